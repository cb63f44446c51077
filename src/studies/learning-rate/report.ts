/**
 * The learning-rate study's figures (Vega-Lite heatmaps, no Node imports) and
 * findings, written from the measured numbers: the largest learning rate that
 * trains at each weight scale, with and without batch norm.
 */
import type { TopLevelSpec } from "vega-lite";
import { isUpdateRuleName, UPDATE_RULES } from "../../core/names.js";
import { FIGURE_CONFIG } from "../../report/specs.js";
import type { Finding, StudyFigure } from "../study.js";
import type { LearningRateResult, LrCell, LrNet } from "./types.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const fin = (x: number): boolean => Number.isFinite(x);
const pct = (x: number): string => (fin(x) ? `${(100 * x).toFixed(1)}%` : String(x));
/** A grid value as the axes and findings show it: 1e-3, 0.0316, 3.16. */
export const num = (x: number): string => (!fin(x) ? String(x) : x >= 0.01 && x < 100 ? String(Number(x.toPrecision(3))) : x.toExponential(1).replace("e+", "e").replace(".0e", "e"));

/** Display names of the nets. */
export const NET_LABELS: Record<LrNet, string> = { baseline: "baseline", batchnorm: "batch norm" };
const ruleLabel = (r: string): string => (isUpdateRuleName(r) ? UPDATE_RULES[r].label : r);

/** Whether a cell trained: not diverged, best validation accuracy ≥ trainsAcc. */
const trains = (c: LrCell, r: LearningRateResult): boolean => !c.diverged && c.bestValAcc >= r.settings.trainsAcc;

function heatmap(r: LearningRateResult, what: "acc" | "loss"): TopLevelSpec {
  const rows = r.cells.map((c) => {
    const v = what === "acc" ? c.bestValAcc : c.finalLoss;
    return { rule: ruleLabel(c.updateRule), net: NET_LABELS[c.net], lr: num(c.learningRate), lrv: c.learningRate, ws: num(c.weightScale), wsv: c.weightScale, value: fin(v) && !(what === "loss" && c.diverged) ? v : null, mark: c.diverged ? "×" : "" };
  });
  const ws = [...r.settings.weightScales].sort((a, b) => b - a).map(num);
  const diverged = r.cells.filter((c) => c.diverged).length;
  const color =
    what === "acc"
      ? { field: "value", type: "quantitative", title: "best val acc", scale: { scheme: "viridis" } }
      : { field: "value", type: "quantitative", title: "final loss", scale: { scheme: "magma", reverse: true, type: "log" } };
  return {
    $schema: SCHEMA,
    title: {
      text: what === "acc" ? "Best validation accuracy over learning rate × weight scale" : "Final training loss over learning rate × weight scale",
      subtitle: `× marks a diverged run (a non-finite loss, or a last-epoch mean loss above ${num(r.settings.divergeLoss)}): ${diverged} of ${r.cells.length}${what === "loss" ? "; diverged cells are grey" : ""}; ${r.settings.numEpochs} epoch${r.settings.numEpochs === 1 ? "" : "s"}, batch ${r.settings.batchSize}`,
    },
    config: FIGURE_CONFIG,
    data: { values: rows },
    facet: { row: { field: "rule", type: "nominal", title: null, sort: r.settings.grids.map((g) => ruleLabel(g.updateRule)) }, column: { field: "net", type: "nominal", title: null, sort: r.settings.nets.map((n) => NET_LABELS[n]) } },
    resolve: { scale: { x: "independent" } },
    spec: {
      width: 260,
      height: 200,
      encoding: {
        x: { field: "lr", type: "ordinal", title: "Learning rate", sort: { field: "lrv" }, axis: { labelAngle: -40 } },
        y: { field: "ws", type: "ordinal", title: "Weight scale", sort: ws },
      },
      layer: [
        { mark: { type: "rect", color: "#d9d9d9" } },
        { mark: { type: "rect" }, transform: [{ filter: "datum.value != null" }], encoding: { color } },
        { mark: { type: "text", fontSize: 14, color: "#d62728", fontWeight: "bold" }, encoding: { text: { field: "mark" } } },
      ],
    },
  } as TopLevelSpec;
}

export function learningRateFigures(r: LearningRateResult): StudyFigure[] {
  return [
    { name: "accuracy-heatmap", caption: "Best validation accuracy of every cell, per update rule (rows) and net (columns); × marks diverged runs.", spec: heatmap(r, "acc") },
    { name: "loss-heatmap", caption: "Final training loss (the last epoch's mean, log colour scale) of every cell; diverged cells grey with ×.", spec: heatmap(r, "loss") },
  ];
}

/** The largest learning rate at which `net` trains with `rule` at weight scale `ws` (NaN when none does). */
export function largestTraining(r: LearningRateResult, rule: string, net: LrNet, ws: number): number {
  const lrs = r.cells.filter((c) => c.updateRule === rule && c.net === net && c.weightScale === ws && trains(c, r)).map((c) => c.learningRate);
  return lrs.length === 0 ? NaN : Math.max(...lrs);
}

/** The findings of a learning-rate result. */
export function learningRateFindings(r: LearningRateResult): Finding[] {
  const out: Finding[] = [];
  const scales = [...r.settings.weightScales].sort((a, b) => a - b);
  const has = (n: LrNet): boolean => r.settings.nets.includes(n);
  for (const g of r.settings.grids) {
    const rule = g.updateRule;
    const values: Record<string, number | null> = {};
    const parts: string[] = [];
    let larger = 0;
    let smaller = 0;
    for (const ws of scales) {
      const bn = has("batchnorm") ? largestTraining(r, rule, "batchnorm", ws) : NaN;
      const base = has("baseline") ? largestTraining(r, rule, "baseline", ws) : NaN;
      values[`bn@${num(ws)}`] = fin(bn) ? bn : null;
      values[`baseline@${num(ws)}`] = fin(base) ? base : null;
      const show = (x: number): string => (fin(x) ? num(x) : "none");
      parts.push(`${num(ws)}: ${show(bn)} vs ${show(base)}`);
      const b = fin(bn) ? bn : 0;
      const a = fin(base) ? base : 0;
      if (b > a) larger++;
      else if (b < a) smaller++;
    }
    const lrs = g.learningRates;
    const verdict =
      larger > 0 && smaller === 0
        ? `batch norm trained at a larger learning rate at ${larger} of ${scales.length} weight scales and never at a smaller one`
        : larger === 0 && smaller === 0
          ? `batch norm and the baseline reached the same largest learning rate at every weight scale`
          : `batch norm trained at a larger learning rate at ${larger} and at a smaller one at ${smaller} of ${scales.length} weight scales`;
    out.push({
      id: `largest-lr-${rule}`,
      text:
        `With ${ruleLabel(rule)} (learning rates ${num(Math.min(...lrs))} to ${num(Math.max(...lrs))}), ${verdict}. Largest learning rate that trains (no divergence, best validation accuracy ≥ ${pct(r.settings.trainsAcc)}), ` +
        `batch norm vs baseline, by weight scale: ${parts.join("; ")}.`,
      values: { ...values, larger, smaller },
    });
  }
  const count = (pred: (c: LrCell) => boolean): Record<string, number> => Object.fromEntries(r.settings.nets.map((n) => [n, r.cells.filter((c) => c.net === n && pred(c)).length]));
  const div = count((c) => c.diverged);
  const tr = count((c) => trains(c, r));
  const perNet = r.cells.length / Math.max(r.settings.nets.length, 1);
  const best = r.settings.nets.map((n) => {
    const cs = r.cells.filter((c) => c.net === n && fin(c.bestValAcc));
    const top = cs.reduce<LrCell | null>((a, c) => (a === null || c.bestValAcc > a.bestValAcc ? c : a), null);
    return { n, top };
  });
  out.push({
    id: "divergence",
    text:
      `Of ${perNet} cells each (${r.settings.grids.map((g) => ruleLabel(g.updateRule)).join(" and ")}), ` +
      r.settings.nets.map((n) => `${NET_LABELS[n]} diverged in ${div[n]} and trained in ${tr[n]}`).join(", ") +
      `. Best validation accuracy: ` +
      best.map(({ n, top }) => (top === null ? `${NET_LABELS[n]} none` : `${NET_LABELS[n]} ${pct(top.bestValAcc)} (${ruleLabel(top.updateRule)}, learning rate ${num(top.learningRate)}, weight scale ${num(top.weightScale)})`)).join("; ") +
      `.`,
    values: Object.fromEntries([...r.settings.nets.map((n) => [`${n}Diverged`, div[n]!]), ...r.settings.nets.map((n) => [`${n}Trained`, tr[n]!]), ...best.map(({ n, top }) => [`${n}Best`, top?.bestValAcc ?? null])]),
  });
  return out;
}
