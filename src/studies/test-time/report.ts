/**
 * The test-time study's figures (Vega-Lite, no Node imports) and findings, written
 * from the measured numbers: each verdict (helped / hurt / no change, larger /
 * smaller gap) follows from the numbers it quotes.
 */
import type { TopLevelSpec } from "vega-lite";
import { FIGURE_CONFIG } from "../../report/specs.js";
import type { Finding, StudyFigure } from "../study.js";
import type { TestTimeResult, TestTimeRun } from "./types.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const fin = (x: number): boolean => Number.isFinite(x);
const pct = (x: number): string => (fin(x) ? `${(100 * x).toFixed(1)}%` : String(x));
const pts = (d: number): string => (fin(d) ? `${d >= 0 ? "+" : "−"}${Math.abs(100 * d).toFixed(1)} points` : String(d));
const f3 = (x: number): string => (fin(x) ? (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2)) : String(x));

/** The three ways of scoring, as the figures and findings name them. */
export const METHOD_LABELS = { emaAcc: "moving average (test mode)", preciseAcc: "precise statistics (test mode)", batchAcc: "batch statistics (train mode)" } as const;
type Method = keyof typeof METHOD_LABELS;
const METHODS = Object.keys(METHOD_LABELS) as Method[];
const METHOD_COLORS = ["#1f77b4", "#2ca02c", "#ff7f0e"];

/** Changes within this many accuracy points (as a fraction) count as no change. */
export const SAME_ACC = 0.005;

function accuracySpec(r: TestTimeResult): TopLevelSpec {
  const rows: Record<string, string | number>[] = [];
  let dropped = 0;
  for (const run of r.runs) {
    for (const m of METHODS) {
      for (const [split, v] of [["validation", run[m]], ["training", run[(`train${m[0]!.toUpperCase()}${m.slice(1)}`) as "trainEmaAcc"]]] as const) {
        if (fin(v)) rows.push({ batch: String(run.batchSize), method: METHOD_LABELS[m], split, acc: v });
        else dropped++;
      }
    }
  }
  const order = r.runs.map((x) => String(x.batchSize));
  return {
    $schema: SCHEMA,
    title: {
      text: "Accuracy at test time by the statistics used",
      subtitle: `final nets; train mode scores consecutive batches of the training batch size; precise statistics pool ${r.settings.preciseSamples} training rows${dropped > 0 ? `; ${dropped} non-finite values not drawn` : ""}`,
    },
    config: FIGURE_CONFIG,
    data: { values: rows },
    facet: { column: { field: "split", type: "nominal", title: null, sort: ["validation", "training"] } },
    spec: {
      width: 300,
      height: 240,
      mark: { type: "bar" },
      encoding: {
        x: { field: "batch", type: "ordinal", title: "Training batch size", sort: order, axis: { labelAngle: 0 } },
        xOffset: { field: "method", type: "nominal", sort: Object.values(METHOD_LABELS) },
        y: { field: "acc", type: "quantitative", title: "Accuracy", scale: { zero: false } },
        color: { field: "method", type: "nominal", title: null, scale: { domain: Object.values(METHOD_LABELS), range: METHOD_COLORS }, legend: { labelLimit: 320 } },
      },
    },
  } as TopLevelSpec;
}

function curvesSpec(r: TestTimeResult): TopLevelSpec {
  const rows: Record<string, string | number>[] = [];
  for (const run of r.runs) {
    run.valAccHistory.forEach((v, e) => fin(v) && rows.push({ batch: `batch ${run.batchSize}`, epoch: e, acc: v, split: "validation" }));
    run.trainAccHistory.forEach((v, e) => fin(v) && rows.push({ batch: `batch ${run.batchSize}`, epoch: e, acc: v, split: "training" }));
  }
  return {
    $schema: SCHEMA,
    title: { text: "Training curves (moving-average statistics)", subtitle: "accuracy at each epoch's check, as the Solver measures it (test mode); solid: validation, dashed: training sample" },
    config: FIGURE_CONFIG,
    width: 600,
    height: 260,
    data: { values: rows },
    mark: { type: "line", point: { size: 16 } },
    encoding: {
      x: { field: "epoch", type: "quantitative", title: "Epoch", axis: { format: "d", tickMinStep: 1 } },
      y: { field: "acc", type: "quantitative", title: "Accuracy" },
      color: { field: "batch", type: "nominal", title: null, sort: r.runs.map((x) => `batch ${x.batchSize}`) },
      strokeDash: { field: "split", type: "nominal", title: null, sort: ["validation", "training"] },
    },
  } as TopLevelSpec;
}

function statsSpec(r: TestTimeResult): TopLevelSpec {
  const rows: Record<string, string | number>[] = [];
  for (const run of r.runs) {
    if (fin(run.meanShift)) rows.push({ batchSize: run.batchSize, measure: "|μ_EMA − μ| / σ", value: run.meanShift });
    if (fin(run.logVarRatio)) rows.push({ batchSize: run.batchSize, measure: "|log(σ²_EMA / σ²)|", value: run.logVarRatio });
  }
  return {
    $schema: SCHEMA,
    title: { text: "Moving averages vs precise statistics", subtitle: "mean over batch-norm layers and units; μ, σ²: the precise (population) statistics of the final net" },
    config: FIGURE_CONFIG,
    width: 600,
    height: 240,
    data: { values: rows },
    mark: { type: "line", point: { size: 40 } },
    encoding: {
      x: { field: "batchSize", type: "quantitative", title: "Training batch size (log)", scale: { type: "log" }, axis: { values: r.runs.map((x) => x.batchSize) } },
      y: { field: "value", type: "quantitative", title: "Distance" },
      color: { field: "measure", type: "nominal", title: null, legend: { labelLimit: 320 } },
    },
  } as TopLevelSpec;
}

export function testTimeFigures(r: TestTimeResult): StudyFigure[] {
  return [
    { name: "accuracy", caption: "Validation and training accuracy of each final net with the moving-average statistics, precise statistics and its batch's own statistics.", spec: accuracySpec(r) },
    { name: "curves", caption: "Accuracy over training at each batch size, measured with the moving-average statistics.", spec: curvesSpec(r) },
    { name: "statistics", caption: "How far the moving averages are from the precise statistics, by training batch size.", spec: statsSpec(r) },
  ];
}

function verdict(d: number): "helped" | "hurt" | "made no difference" {
  return d > SAME_ACC + 1e-9 ? "helped" : d < -SAME_ACC - 1e-9 ? "hurt" : "made no difference";
}

const bySize = (runs: readonly TestTimeRun[]): TestTimeRun[] => [...runs].sort((a, b) => a.batchSize - b.batchSize);

/** The findings of a test-time result. */
export function testTimeFindings(r: TestTimeResult): Finding[] {
  const runs = bySize(r.runs);
  if (runs.length === 0) return [];
  const out: Finding[] = [];
  const values = (f: (x: TestTimeRun) => number, key: string): Record<string, number> => Object.fromEntries(runs.map((x) => [`${key}${x.batchSize}`, f(x)]));

  const deltas = runs.map((x) => x.preciseAcc - x.emaAcc);
  const helped = runs.filter((_, i) => verdict(deltas[i]!) === "helped").map((x) => x.batchSize);
  const bestI = deltas.reduce((bi, d, i) => (d > deltas[bi]! ? i : bi), 0);
  const per = runs.map((x, i) => `batch ${x.batchSize}: ${pct(x.emaAcc)} → ${pct(x.preciseAcc)} (${pts(deltas[i]!)}, ${verdict(deltas[i]!)})`).join("; ");
  const lead =
    helped.length === 0
      ? `Precise statistics did not help at any batch size (no gain above ${(100 * SAME_ACC).toFixed(1)} points)`
      : helped.length === 1
        ? `Precise statistics helped only at batch size ${helped[0]} (${pts(deltas[bestI]!)})`
        : `Precise statistics helped at batch sizes ${helped.join(", ")}, most at ${runs[bestI]!.batchSize} (${pts(deltas[bestI]!)})`;
  out.push({
    id: "precise",
    text: `${lead}. Validation accuracy of the final net, moving average → precise statistics over ${r.settings.preciseSamples} training rows: ${per}.`,
    values: { ...values((x) => x.emaAcc, "ema"), ...values((x) => x.preciseAcc, "precise") },
  });

  const gaps = runs.map((x) => x.batchAcc - x.emaAcc);
  const absGaps = gaps.map(Math.abs);
  const maxI = absGaps.reduce((bi, g, i) => (g > absGaps[bi]! ? i : bi), 0);
  const first = runs[0]!;
  const lastRun = runs[runs.length - 1]!;
  const shrinks = runs.length > 1 && absGaps[0]! > absGaps[runs.length - 1]! + SAME_ACC;
  const grows = runs.length > 1 && absGaps[runs.length - 1]! > absGaps[0]! + SAME_ACC;
  const trend = runs.length < 2 ? "" : shrinks ? ` The gap shrinks from batch ${first.batchSize} to batch ${lastRun.batchSize}.` : grows ? ` The gap grows from batch ${first.batchSize} to batch ${lastRun.batchSize}.` : ` The gap is about the same at batch ${first.batchSize} and ${lastRun.batchSize}.`;
  out.push({
    id: "train-test-gap",
    text:
      `Train mode at test time (each batch of validation rows normalized by its own statistics) vs test mode (moving averages): ` +
      runs.map((x, i) => `batch ${x.batchSize}: ${pct(x.batchAcc)} vs ${pct(x.emaAcc)} (${pts(gaps[i]!)})`).join("; ") +
      `. The largest gap is at batch ${runs[maxI]!.batchSize}.${trend}`,
    values: { ...values((x) => x.batchAcc, "batch"), ...values((x) => x.batchAcc - x.emaAcc, "gap") },
  });

  const dist = runs.map((x) => `batch ${x.batchSize}: ${f3(x.meanShift)} and ${f3(x.logVarRatio)}`).join("; ");
  const meanFar = first.meanShift > lastRun.meanShift;
  const varFar = first.logVarRatio > lastRun.logVarRatio;
  const far = runs.length < 2 ? "as far from" : meanFar && varFar ? "further from" : !meanFar && !varFar ? "closer to" : meanFar ? "further from (in the means; closer in the variances)" : "further from (in the variances; closer in the means)";
  out.push({
    id: "statistics",
    text:
      `The moving averages at batch ${first.batchSize} were ${far} the population statistics than at batch ${lastRun.batchSize}: mean |μ_EMA − μ|/σ and mean |log(σ²_EMA/σ²)| over the batch-norm units, ${dist}.`,
    values: { ...values((x) => x.meanShift, "meanShift"), ...values((x) => x.logVarRatio, "logVarRatio") },
  });

  const best = (x: TestTimeRun): { m: Method; acc: number } => METHODS.map((m) => ({ m, acc: x[m] })).reduce((a, b) => (b.acc > a.acc ? b : a));
  out.push({
    id: "best-method",
    text: `Best way to score each net on validation: ${runs.map((x) => { const b = best(x); return `batch ${x.batchSize}: ${METHOD_LABELS[b.m]} (${pct(b.acc)})`; }).join("; ")}; the nets' best validation accuracy during training (moving averages) was ${runs.map((x) => pct(x.bestValAcc)).join(", ")}.`,
    values: values((x) => best(x).acc, "best"),
  });
  return out;
}
