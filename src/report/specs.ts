/**
 * Vega-Lite specifications of bnlab's figures, as plain functions of result
 * objects. No Node imports here: the browser playground draws the same specs.
 *
 * Non-finite values (a diverged run's loss) cannot be placed on an axis; they are
 * left out of the plotted data and the figures say how many were left out.
 */
import type { TopLevelSpec } from "vega-lite";
import { NORMALIZATIONS, NORM_KINDS, NORM_LABELS, type NormKind } from "../core/names.js";
import type { BatchSizeResult, DeepNetResult, SweepResult, TrainingRun } from "../experiments/types.js";

/** The legend label of each normalization (defined in src/core/names.ts). */
export { NORM_LABELS };

/** The font stack of every figure; the PNG renderer bundles the first family. */
export const FIGURE_FONT = "DejaVu Sans, Verdana, Arial, sans-serif";

const CONFIG = {
  font: FIGURE_FONT,
  view: { stroke: "#ddd" },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: "#eee" },
  legend: { labelFontSize: 12, titleFontSize: 12, orient: "top" as const },
  title: { fontSize: 14, anchor: "start" as const },
  background: "white",
};

/** The shared look of every figure (font, axes, legend, title), for figures made elsewhere (src/studies). */
export const FIGURE_CONFIG = CONFIG;

type Row = Record<string, string | number>;

function colorScale(kinds: readonly NormKind[]): { domain: string[]; range: string[] } {
  return { domain: kinds.map((k) => NORM_LABELS[k]), range: kinds.map((k) => NORMALIZATIONS[k].color) };
}

function distinctKinds(runs: readonly { normalization: NormKind }[]): NormKind[] {
  return NORM_KINDS.filter((k) => runs.some((r) => r.normalization === k));
}

/** Rows of per-iteration losses; non-finite values are dropped. */
function lossRows(runs: readonly TrainingRun[], label: (r: TrainingRun) => string): { rows: Row[]; dropped: number } {
  const rows: Row[] = [];
  let dropped = 0;
  for (const r of runs) {
    r.lossHistory.forEach((loss, i) => {
      if (Number.isFinite(loss)) rows.push({ method: label(r), iteration: i, loss });
      else dropped++;
    });
  }
  return { rows, dropped };
}

/** Rows of per-epoch accuracies: check k of a history is epoch k. */
function accRows(runs: readonly TrainingRun[], label: (r: TrainingRun) => string): Row[] {
  const rows: Row[] = [];
  for (const r of runs) {
    const n = Math.min(r.trainAccHistory.length, r.valAccHistory.length);
    for (let e = 0; e < n; e++) {
      rows.push({ method: label(r), epoch: e, train: r.trainAccHistory[e]!, val: r.valAccHistory[e]! });
    }
  }
  return rows;
}

const WIDTH = 640;

/**
 * The deep-net figure (cell 6): training loss per iteration, training accuracy per
 * epoch and validation accuracy per epoch, one color per method.
 */
export function deepNetSpec(result: DeepNetResult, title = "Batch norm for deep networks"): TopLevelSpec {
  const kinds = distinctKinds(result.runs);
  const color = {
    field: "method",
    type: "nominal" as const,
    title: null,
    scale: colorScale(kinds),
  };
  const label = (r: TrainingRun): string => NORM_LABELS[r.normalization];
  const { rows: losses, dropped } = lossRows(result.runs, label);
  const accs = accRows(result.runs, label);
  const lossTitle = dropped > 0 ? `Training loss (${dropped} non-finite values not drawn)` : "Training loss";
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, subtitle: `hidden ${fmtDims(result.settings.hiddenDims)}, weight scale ${result.settings.weightScale}` },
    config: CONFIG,
    vconcat: [
      {
        title: lossTitle,
        width: WIDTH,
        height: 200,
        data: { values: losses },
        mark: { type: "point", filled: true, size: 14, opacity: 0.7 },
        encoding: {
          x: { field: "iteration", type: "quantitative", title: "Iteration" },
          y: { field: "loss", type: "quantitative", title: "Loss", scale: { zero: false } },
          color,
        },
      },
      accPanel(accs, "train", "Training accuracy", color),
      accPanel(accs, "val", "Validation accuracy", color),
    ],
  } as TopLevelSpec;
}

function accPanel(rows: Row[], field: "train" | "val", title: string, color: object): object {
  return {
    title,
    width: WIDTH,
    height: 180,
    data: { values: rows },
    mark: { type: "line", point: true },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "Epoch", axis: { tickMinStep: 1 } },
      y: { field, type: "quantitative", title: "Accuracy", scale: { domain: [0, 1] } },
      color,
    },
  };
}

function fmtDims(dims: readonly number[]): string {
  if (dims.length > 1 && dims.every((d) => d === dims[0])) return `[${dims[0]}]×${dims.length}`;
  return `[${dims.join(", ")}]`;
}

/**
 * The sweep figure (cell 7): best validation accuracy, best training accuracy and
 * final training loss against the weight-initialization scale on a log axis.
 */
export function sweepSpec(result: SweepResult): TopLevelSpec {
  const kinds = distinctKinds(result.points);
  const color = { field: "method", type: "nominal" as const, title: null, scale: colorScale(kinds) };
  const rows: Row[] = [];
  const lossRowsOut: Row[] = [];
  let diverged = 0;
  for (const p of result.points) {
    const method = NORM_LABELS[p.normalization];
    rows.push({ method, scale: p.weightScale, val: p.bestValAcc, train: p.bestTrainAcc });
    if (Number.isFinite(p.finalLoss)) lossRowsOut.push({ method, scale: p.weightScale, loss: p.finalLoss });
    else diverged++;
  }
  const x = {
    field: "scale",
    type: "quantitative" as const,
    title: "Weight initialization scale",
    scale: { type: "log" as const },
    axis: { format: "~e", values: [1e-4, 1e-3, 1e-2, 1e-1, 1] },
  };
  const panel = (field: "val" | "train", title: string, yTitle: string): object => ({
    title,
    width: WIDTH,
    height: 200,
    data: { values: rows },
    mark: { type: "line", point: true },
    encoding: { x, y: { field, type: "quantitative", title: yTitle, scale: { domain: [0, 1] } }, color },
  });
  // NOTE: an exploding baseline's loss can be 1e8 while the others sit near 2; a
  // log axis then keeps every line readable (the notebook's linear axis would not).
  const finite = lossRowsOut.map((r) => r.loss as number).filter((v) => v > 0);
  const logLoss = finite.length > 0 && Math.max(...finite) / Math.min(...finite) > 100;
  const lossTitle =
    diverged > 0
      ? `Final training loss vs weight initialization scale (${diverged} diverged runs not drawn)`
      : "Final training loss vs weight initialization scale";
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Batch normalization and initialization", subtitle: `hidden ${fmtDims(result.settings.hiddenDims)}` },
    config: CONFIG,
    vconcat: [
      panel("val", "Best val accuracy vs weight initialization scale", "Best val accuracy"),
      panel("train", "Best train accuracy vs weight initialization scale", "Best training accuracy"),
      {
        title: lossTitle,
        width: WIDTH,
        height: 200,
        data: { values: lossRowsOut },
        mark: { type: "line", point: true },
        encoding: {
          x,
          y: {
            field: "loss",
            type: "quantitative",
            // NOTE: a y title longer than the panel is tall pushes the panel title up; keep it short.
            title: logLoss ? "Final loss (log scale)" : "Final training loss",
            scale: logLoss ? { type: "log" } : { zero: false },
            // One labelled tick per decade (1e+0, 1e+1, …) instead of a crowd of minor ticks.
            ...(logLoss ? { axis: { format: "~e", values: decades(finite) } } : {}),
          },
          color,
        },
      },
    ],
  } as TopLevelSpec;
}

/** Powers of ten spanning the positive values (for a log axis). */
function decades(values: readonly number[]): number[] {
  const lo = Math.floor(Math.log10(Math.min(...values)));
  const hi = Math.ceil(Math.log10(Math.max(...values)));
  return Array.from({ length: hi - lo + 1 }, (_, i) => Number(`1e${lo + i}`));
}

/** The batch-size figure (--extended): training and validation accuracy per epoch per (method, batch size). */
export function batchSizeSpec(result: BatchSizeResult): TopLevelSpec {
  const label = (r: TrainingRun): string => `${NORM_LABELS[r.normalization]}, batch ${r.batchSize}`;
  const accs = accRows(result.runs, label);
  const color = {
    field: "method",
    type: "nominal" as const,
    title: null,
    sort: result.runs.map(label),
    // Long labels ("batchnorm, batch 50"): one per line on the right, never truncated.
    legend: { orient: "right" as const, labelLimit: 300 },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: "Batch normalization and batch size", subtitle: `hidden ${fmtDims(result.settings.hiddenDims)}` },
    config: CONFIG,
    vconcat: [accPanel(accs, "train", "Training accuracy", color), accPanel(accs, "val", "Validation accuracy", color)],
  } as TopLevelSpec;
}
