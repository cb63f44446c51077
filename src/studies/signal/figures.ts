/**
 * The signal study's figures (Vega-Lite specs, no Node imports): layer ×
 * weight-scale heatmaps of cell 7's nets, batch norm and baseline side by side
 * on one colour scale, at initialization and after training; and the per-layer
 * update-to-weight ratio over training. Non-finite values (and zeros on a log
 * colour scale) are left out and counted in the subtitle.
 */
import type { TopLevelSpec } from "vega-lite";
import type { LayerSignal } from "../../experiments/signal.js";
import { FIGURE_CONFIG } from "../../report/specs.js";
import type { StudyFigure } from "../study.js";
import type { SignalNorm, SignalResult, SignalRun } from "./types.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const NET: Record<SignalNorm, string> = { batchnorm: "batch norm", none: "baseline" };
const WHEN = { init: "at initialization", end: "after training" } as const;
const sc = (w: number): string => w.toExponential(1);

type Row = Record<string, string | number | null>;

/** Which runs a figure shows, by normalization, in the order batch norm, baseline. */
function nets(r: SignalResult): string[] {
  return (["batchnorm", "none"] as const).filter((k) => r.runs.some((x) => x.normalization === k)).map((k) => NET[k]);
}

function heatmap(
  r: SignalResult,
  title: string,
  what: string,
  pick: (s: LayerSignal) => number[],
  log: boolean,
  whens: readonly ("init" | "end")[],
): TopLevelSpec {
  const runs = r.runs.filter((x) => x.cell === "sweep");
  const scales = [...new Set(runs.map((x) => x.weightScale))].sort((a, b) => a - b).map(sc);
  const rows: Row[] = [];
  let dropped = 0;
  for (const x of runs) {
    for (const when of whens) {
      pick(x.signal[when]).forEach((value, i) => {
        if (Number.isFinite(value) && (!log || value > 0)) rows.push({ net: NET[x.normalization], when: WHEN[when], layer: i + 1, scale: sc(x.weightScale), value });
        else dropped++;
      });
    }
  }
  const layers = r.settings.sweep.hiddenDims.length;
  const subtitle = `cell 7's nets (hidden ${JSON.stringify(r.settings.sweep.hiddenDims)}), on ${runs[0]?.signal.rows ?? 0} training rows; ${what}${log ? ", log colour scale" : ""}${dropped > 0 ? `; ${dropped} values not drawn (${log ? "zero or " : ""}non-finite)` : ""}`;
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle },
    config: FIGURE_CONFIG,
    data: { values: rows },
    facet: {
      row: { field: "when", type: "nominal", title: null, sort: whens.map((w) => WHEN[w]) },
      column: { field: "net", type: "nominal", title: null, sort: nets(r) },
    },
    spec: {
      width: Math.max(200, 16 * scales.length),
      height: Math.max(90, 18 * layers),
      mark: { type: "rect" },
      encoding: {
        x: { field: "scale", type: "ordinal", sort: scales, title: "weight scale", axis: { labelAngle: -60 } },
        y: { field: "layer", type: "ordinal", sort: "descending", title: "hidden layer" },
        color: { field: "value", type: "quantitative", title: null, scale: log ? { type: "log", scheme: "viridis" } : { scheme: "viridis", domain: [0, 1] } },
        tooltip: [
          { field: "scale", title: "w" },
          { field: "layer", title: "layer" },
          { field: "value", title: "value", format: ".2e" },
        ],
      },
    },
    resolve: { scale: { color: "shared" } },
  } as TopLevelSpec;
}

/** The runs whose update ratios are drawn: cell 6's, then cell 7's at the smallest, middle and largest scales. */
function ratioRuns(r: SignalResult): { panel: string; run: SignalRun }[] {
  const out: { panel: string; run: SignalRun }[] = [];
  for (const x of r.runs.filter((q) => q.cell === "deepNet")) out.push({ panel: `cell 6, w = ${sc(x.weightScale)}`, run: x });
  const scales = [...new Set(r.runs.filter((q) => q.cell === "sweep").map((q) => q.weightScale))].sort((a, b) => a - b);
  const picks = [...new Set([scales[0], scales[scales.length >> 1], scales[scales.length - 1]])].filter((w): w is number => w !== undefined);
  for (const w of picks) for (const x of r.runs.filter((q) => q.cell === "sweep" && q.weightScale === w)) out.push({ panel: `cell 7, w = ${sc(w)}`, run: x });
  return out;
}

function updateRatioSpec(r: SignalResult): TopLevelSpec {
  const rows: Row[] = [];
  let dropped = 0;
  const picked = ratioRuns(r);
  let maxLayers = 0;
  for (const { panel, run } of picked) {
    maxLayers = Math.max(maxLayers, run.updateRatio.layers.length);
    run.updateRatio.layers.forEach((series, i) =>
      series.forEach((value, k) => {
        const ok = Number.isFinite(value) && value > 0;
        // NOTE: a null (not a missing row) breaks the line, so a gap is not drawn as a straight segment across it.
        rows.push({ panel, net: NET[run.normalization], layer: `W${i + 1}`, iteration: run.updateRatio.steps[k]!, value: ok ? value : null });
        if (!ok) dropped++;
      }),
    );
  }
  const panels = [...new Set(picked.map((p) => p.panel))];
  return {
    $schema: SCHEMA,
    title: {
      text: "Update-to-weight ratio per layer over training",
      subtitle: `‖ΔW‖/‖W‖ of a step, geometric mean over ${r.settings.ratioEvery} step${r.settings.ratioEvery === 1 ? "" : "s"}; W${maxLayers} is the output layer${dropped > 0 ? `; ${dropped} values not drawn (zero or non-finite)` : ""}`,
    },
    config: FIGURE_CONFIG,
    data: { values: rows },
    facet: {
      row: { field: "panel", type: "nominal", title: null, sort: panels },
      column: { field: "net", type: "nominal", title: null, sort: nets(r) },
    },
    spec: {
      width: 300,
      height: 120,
      mark: { type: "line", strokeWidth: 1.3, invalid: "break-paths-filter-domains" },
      encoding: {
        x: { field: "iteration", type: "quantitative", title: "Iteration" },
        y: { field: "value", type: "quantitative", title: "‖ΔW‖/‖W‖ (log)", scale: { type: "log" } },
        color: { field: "layer", type: "nominal", title: "layer", sort: Array.from({ length: maxLayers }, (_, i) => `W${i + 1}`), scale: { scheme: "viridis" } },
      },
    },
    resolve: { scale: { y: "shared" } },
  } as TopLevelSpec;
}

export function signalFigures(r: SignalResult): StudyFigure[] {
  const both = ["init", "end"] as const;
  return [
    {
      name: "signal-std",
      caption: "Standard deviation of the value entering the ReLU, per hidden layer and weight scale, at initialization and after training; batch norm and baseline on one log colour scale.",
      spec: heatmap(r, "Signal entering the ReLU, per layer", "std of the value entering the ReLU", (s) => s.preActStd, true, both),
    },
    {
      name: "affine-std",
      caption: "Standard deviation of the affine output x·W + b (before batch norm), per hidden layer and weight scale (log colour scale).",
      spec: heatmap(r, "Affine output, per layer", "std of x·W + b (before any normalization)", (s) => s.affineStd, true, both),
    },
    {
      name: "input-gradient",
      caption: "Norm of the loss gradient with respect to each hidden layer's input, per weight scale, at initialization and after training (log colour scale).",
      spec: heatmap(r, "Gradient with respect to a layer's input", "‖∂L/∂input‖", (s) => s.inputGradNorm, true, both),
    },
    {
      name: "output-gradient",
      caption: "Norm of the loss gradient with respect to each hidden layer's output h (what backpropagation carries down), per weight scale (log colour scale).",
      spec: heatmap(r, "Gradient with respect to a layer's output", "‖∂L/∂h‖", (s) => s.outputGradNorm, true, both),
    },
    {
      name: "weight-gradient",
      caption: "Norm of the loss gradient with respect to each hidden layer's weights, per weight scale (log colour scale).",
      spec: heatmap(r, "Gradient with respect to a layer's weights", "‖∂L/∂W‖", (s) => s.weightGradNorm, true, both),
    },
    {
      name: "dead-relus",
      caption: "Fraction of dead ReLUs (units with no positive input on the probe rows), per hidden layer and weight scale.",
      spec: heatmap(r, "Dead ReLUs, per layer", "fraction of units with no positive input", (s) => s.deadFraction, false, both),
    },
    {
      name: "update-ratio",
      caption: "Update-to-weight ratio ‖ΔW‖/‖W‖ per layer over training: cell 6's nets, and cell 7's at its smallest, middle and largest weight scales.",
      spec: updateRatioSpec(r),
    },
  ];
}
