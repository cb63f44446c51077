/**
 * The batch-size study's figures (Vega-Lite, no Node imports) and findings,
 * written from the measured numbers: where batch norm falls behind, and which
 * normalization holds up, follow from the accuracies quoted.
 */
import type { TopLevelSpec } from "vega-lite";
import { NORMALIZATIONS, NORM_KINDS, type NormKind } from "../../core/names.js";
import { DEFAULT_D_MAX, DEFAULT_R_MAX } from "../../models/net-norm.js";
import { FIGURE_CONFIG } from "../../report/specs.js";
import type { Finding, StudyFigure } from "../study.js";
import type { BatchSizeRun, BatchSizeStudyResult } from "./types.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const fin = (x: number): boolean => Number.isFinite(x);
const pct = (x: number): string => (fin(x) ? `${(100 * x).toFixed(1)}%` : String(x));
const pts = (d: number): string => (fin(d) ? `${(100 * d).toFixed(1)} points` : String(d));

/** Batch norm "falls behind" at a batch size when its best validation accuracy there is more than this below its best at any size. */
export const FALL_BEHIND = 0.02;

/** Display names of the nets. */
export const NET_LABELS: Record<NormKind, string> = Object.fromEntries(NORM_KINDS.map((k) => [k, k === "none" ? "baseline" : NORMALIZATIONS[k].prose])) as Record<NormKind, string>;
const label = (k: NormKind): string => NET_LABELS[k];
const upper = (t: string): string => t.charAt(0).toUpperCase() + t.slice(1);

/** Mean training loss of each epoch (the finite losses of its iterations). */
function epochLosses(run: BatchSizeRun): number[] {
  const per = Math.max(run.iterationsPerEpoch, 1);
  const out: number[] = [];
  for (let s = 0; s < run.lossHistory.length; s += per) {
    const v = run.lossHistory.slice(s, s + per).filter(fin);
    out.push(v.length === 0 ? NaN : v.reduce((a, b) => a + b, 0) / v.length);
  }
  return out;
}

function bestSpec(r: BatchSizeStudyResult): TopLevelSpec {
  const rows = r.runs.filter((x) => fin(x.bestValAcc)).map((x) => ({ net: label(x.normalization), batchSize: x.batchSize, acc: x.bestValAcc }));
  const dropped = r.runs.length - rows.length;
  return {
    $schema: SCHEMA,
    title: { text: "Best validation accuracy by batch size", subtitle: `${r.settings.numEpochs} epochs at every size; learning rate ${r.settings.lrScaling === "fixed" ? `${r.settings.learningRate} at every size` : `${r.settings.learningRate} × B / ${r.settings.lrReferenceBatch}`}${dropped > 0 ? `; ${dropped} non-finite values not drawn` : ""}` },
    config: FIGURE_CONFIG,
    width: 600,
    height: 300,
    data: { values: rows },
    mark: { type: "line", point: { size: 40 } },
    encoding: {
      x: { field: "batchSize", type: "quantitative", title: "Batch size (log)", scale: { type: "log", base: 2 }, axis: { values: r.settings.batchSizes } },
      y: { field: "acc", type: "quantitative", title: "Best validation accuracy", scale: { zero: false } },
      color: { field: "net", type: "nominal", title: null, scale: { domain: r.settings.normalizations.map(label), range: r.settings.normalizations.map((k) => NORMALIZATIONS[k].color) } },
    },
  } as TopLevelSpec;
}

function curvesSpec(r: BatchSizeStudyResult, what: "val" | "loss"): TopLevelSpec {
  const rows: Record<string, string | number>[] = [];
  let dropped = 0;
  for (const run of r.runs) {
    const ys = what === "val" ? run.valAccHistory : epochLosses(run);
    ys.forEach((y, e) => {
      if (fin(y)) rows.push({ net: label(run.normalization), batch: run.batchSize, epoch: what === "val" ? e : e + 1, y });
      else dropped++;
    });
  }
  const yTitle = what === "val" ? "Validation accuracy" : "Mean training loss";
  return {
    $schema: SCHEMA,
    title: {
      text: what === "val" ? "Validation accuracy over training" : "Training loss over training",
      subtitle: `${what === "val" ? "at each epoch's check" : "mean over each epoch's iterations"}; one panel per normalization, one line per batch size${dropped > 0 ? `; ${dropped} non-finite values not drawn` : ""}`,
    },
    config: FIGURE_CONFIG,
    data: { values: rows },
    facet: { field: "net", type: "nominal", title: null, sort: r.settings.normalizations.map(label) },
    columns: 3,
    spec: {
      width: 220,
      height: 150,
      mark: { type: "line", point: { size: 10 } },
      encoding: {
        x: { field: "epoch", type: "quantitative", title: "Epoch", axis: { format: "d", tickMinStep: 1 } },
        y: { field: "y", type: "quantitative", title: yTitle, scale: what === "loss" ? { zero: false } : {} },
        color: { field: "batch", type: "ordinal", title: "batch size", scale: { scheme: "viridis" } },
      },
    },
  } as TopLevelSpec;
}

export function batchSizeFigures(r: BatchSizeStudyResult): StudyFigure[] {
  return [
    { name: "best-accuracy", caption: "Best validation accuracy of each normalization at each batch size.", spec: bestSpec(r) },
    { name: "validation-curves", caption: "Validation accuracy at each epoch, per normalization and batch size.", spec: curvesSpec(r, "val") },
    { name: "loss-curves", caption: "Mean training loss of each epoch, per normalization and batch size.", spec: curvesSpec(r, "loss") },
  ];
}

/** What the findings quote about one normalization. */
export interface NormSummary {
  normalization: NormKind;
  /** Best validation accuracy per batch size, in increasing batch size. */
  bySize: { batchSize: number; acc: number }[];
  best: number;
  bestAt: number;
  /** Accuracy at the smallest batch size. */
  smallest: number;
  /** best − smallest. */
  drop: number;
}

export function summarizeNorms(r: BatchSizeStudyResult): NormSummary[] {
  return r.settings.normalizations.map((k) => {
    const bySize = r.runs
      .filter((x) => x.normalization === k)
      .map((x) => ({ batchSize: x.batchSize, acc: x.bestValAcc }))
      .sort((a, b) => a.batchSize - b.batchSize);
    const finite = bySize.filter((x) => fin(x.acc));
    const top = finite.reduce((a, b) => (b.acc > a.acc ? b : a), finite[0] ?? { batchSize: NaN, acc: NaN });
    const smallest = bySize[0]?.acc ?? NaN;
    return { normalization: k, bySize, best: top.acc, bestAt: top.batchSize, smallest, drop: top.acc - smallest };
  });
}

/** The findings of a batch-size result. */
export function batchSizeFindings(r: BatchSizeStudyResult): Finding[] {
  const sums = summarizeNorms(r);
  const get = (k: NormKind): NormSummary | undefined => sums.find((s) => s.normalization === k);
  const out: Finding[] = [];
  const lr = r.settings.lrScaling === "fixed" ? `learning rate ${r.settings.learningRate} at every size` : `learning rate ${r.settings.learningRate} × B / ${r.settings.lrReferenceBatch}`;
  const bn = get("batchnorm");
  const others = sums.filter((s) => s.normalization !== "batchnorm" && s.normalization !== "batchrenorm" && s.normalization !== "none");
  if (bn && bn.bySize.length > 0) {
    // The largest batch size B* such that at B* and every smaller size batch norm is more than FALL_BEHIND below its best.
    let below = -1;
    for (let i = 0; i < bn.bySize.length; i++) {
      if (bn.best - bn.bySize[i]!.acc > FALL_BEHIND) below = i;
      else break;
    }
    const s0 = bn.bySize[0]!;
    const vs = others.map((o) => `${label(o.normalization)} ${pct(o.smallest)}`).join(", ");
    const values: Record<string, number> = { bnBest: bn.best, bnBestAt: bn.bestAt, bnSmallest: s0.acc };
    let text: string;
    if (below < 0) {
      text = `Batch norm did not fall behind as the batch shrank: at every batch size its best validation accuracy was within ${pts(FALL_BEHIND)} of its best, ${pct(bn.best)} (batch ${bn.bestAt}); at batch ${s0.batchSize} it reached ${pct(s0.acc)}${vs ? ` (${vs})` : ""}.`;
    } else {
      const edge = bn.bySize[below]!;
      const next = bn.bySize[below + 1];
      values.fallsBehindAt = edge.batchSize;
      values.gapAtEdge = bn.best - edge.acc;
      values.gapAtSmallest = bn.best - s0.acc;
      text =
        `Batch norm falls behind ${next ? `below batch size ${next.batchSize}` : "at every batch size but its best"}: at batch ${edge.batchSize}${below > 0 ? ` and smaller` : ""} its best validation accuracy was ${pct(edge.acc)}${below > 0 ? ` (batch ${s0.batchSize}: ${pct(s0.acc)})` : ""}, ` +
        `${pts(bn.best - edge.acc)}${below > 0 ? ` to ${pts(bn.best - s0.acc)}` : ""} below its best, ${pct(bn.best)} at batch ${bn.bestAt}` +
        `${vs ? `; at batch ${s0.batchSize} the batch-independent normalizations reached ${vs}` : ""}.`;
    }
    out.push({ id: "batchnorm-falls-behind", text, values });
  }

  const normed = sums.filter((s) => s.normalization !== "none" && s.bySize.length > 0 && fin(s.drop));
  if (normed.length > 0) {
    const steady = normed.reduce((a, b) => (b.drop < a.drop ? b : a));
    const atSmall = normed.reduce((a, b) => (b.smallest > a.smallest ? b : a));
    const s0 = steady.bySize[0]!.batchSize;
    const baseAt0 = get("none")?.bySize.find((x) => x.batchSize === s0)?.acc;
    out.push({
      id: "holds-up",
      text:
        `${upper(label(steady.normalization))} held up best as the batch shrank: its accuracy at batch ${s0} was ${pts(steady.drop)} below its best (${pct(steady.smallest)} vs ${pct(steady.best)}); ` +
        `at batch ${s0} the most accurate normalization was ${label(atSmall.normalization)} (${pct(atSmall.smallest)}${baseAt0 === undefined ? "" : `; the baseline: ${pct(baseAt0)}`}). Drop from best to batch ${s0}: ` +
        normed.map((s) => `${label(s.normalization)} ${pts(s.drop)}`).join(", ") +
        ` (${r.settings.numEpochs} epoch${r.settings.numEpochs === 1 ? "" : "s"}, ${lr}).`,
      values: Object.fromEntries(normed.flatMap((s) => [[`${s.normalization}Drop`, s.drop], [`${s.normalization}Smallest`, s.smallest]])),
    });
  }

  const rn = get("batchrenorm");
  if (bn && rn && bn.bySize.length > 0 && rn.bySize.length > 0) {
    const gaps = rn.bySize.map((x, i) => ({ b: x.batchSize, d: x.acc - (bn.bySize[i]?.acc ?? NaN) }));
    const g0 = gaps[0]!;
    // NOTE: accuracies are counts over the validation rows: a gap of exactly half a point is not "ahead".
    const ahead = gaps.filter((g) => g.d > 0.005 + 1e-9).map((g) => g.b);
    out.push({
      id: "renorm",
      text:
        `Batch renormalization (Ioffe 2017, "Batch Renormalization", NeurIPS; rMax ${DEFAULT_R_MAX}, dMax ${DEFAULT_D_MAX}) vs batch norm (best validation accuracy, renorm − batch norm): ${gaps.map((g) => `batch ${g.b}: ${g.d >= 0 ? "+" : ""}${pts(g.d)}`).join(", ")}; ` +
        (ahead.length === 0 ? "renorm was not ahead at any size." : `renorm was ahead by more than 0.5 points at batch size${ahead.length > 1 ? "s" : ""} ${ahead.join(", ")}.`),
      values: { renormMinusBnSmallest: g0.d, renormSmallest: rn.smallest, bnSmallest: bn.smallest },
    });
  }

  const base = get("none");
  if (base && base.bySize.length > 0) {
    const wins = r.settings.batchSizes
      .slice()
      .sort((a, b) => a - b)
      .map((b) => {
        const at = sums.map((s) => ({ k: s.normalization, acc: s.bySize.find((x) => x.batchSize === b)?.acc ?? NaN })).filter((x) => fin(x.acc));
        const top = at.reduce((a, c) => (c.acc > a.acc ? c : a), at[0] ?? { k: "none" as NormKind, acc: NaN });
        return `batch ${b}: ${label(top.k)} (${pct(top.acc)})`;
      });
    out.push({
      id: "best-per-size",
      text: `Most accurate net at each batch size: ${wins.join("; ")}. The baseline's best was ${pct(base.best)} (batch ${base.bestAt}).`,
      values: { baselineBest: base.best, baselineBestAt: base.bestAt },
    });
  }
  return out;
}
