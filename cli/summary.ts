/**
 * The summary table `bnlab reproduce` prints at the end: one row per cell with
 * its key numbers, then where the report and the figures are.
 */
import type { ReproduceResults, SweepResult, TrainingRun } from "../src/node.js";
import { NORM_LABELS } from "../src/node.js";

const e = (x: number): string => (Number.isFinite(x) ? x.toExponential(1) : String(x));
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : String(x));
const arr = (xs: number[], d = 3): string => `[${xs.map((x) => x.toFixed(d)).join(", ")}]`;

/** Renders rows as an aligned two-column text table. */
export function textTable(rows: [string, string][]): string {
  const w = Math.max(...rows.map((r) => r[0].length));
  const line = `${"-".repeat(w)}  ${"-".repeat(Math.min(90, Math.max(...rows.map((r) => r[1].length))))}`;
  return [line, ...rows.map(([a, b]) => `${a.padEnd(w)}  ${b}`), line].join("\n");
}

function runLine(runs: TrainingRun[], withBatch = false): string {
  return runs
    .map((r) => `${NORM_LABELS[r.normalization]}${withBatch ? ` b${r.batchSize}` : ""}: train ${pct(r.trainAccHistory.at(-1) ?? NaN)}, best val ${pct(r.bestValAcc)}`)
    .join("; ");
}

/** One line per method: its best validation accuracy and the scale where it happened. */
export function sweepLine(s: SweepResult): string {
  return s.normalizations
    .map((k) => {
      const pts = s.points.filter((p) => p.normalization === k);
      const best = pts.reduce((a, p) => (p.bestValAcc > a.bestValAcc ? p : a), pts[0]!);
      const div = pts.filter((p) => p.diverged).length;
      return `${NORM_LABELS[k]} best val ${pct(best.bestValAcc)} at ${e(best.weightScale)}${div > 0 ? ` (${div} diverged)` : ""}`;
    })
    .join("; ");
}

/** The summary rows of a reproduce run. */
export function summaryRows(r: ReproduceResults): [string, string][] {
  const c = r.cells;
  const maxMean = Math.max(...c.forwardTrain.afterUnit.means.map(Math.abs));
  const rows: [string, string][] = [
    ["data", r.dataset.description],
    ["1 train-time forward", `before: means ${arr(c.forwardTrain.before.means)}; after: max |mean| ${e(maxMean)}, stds ${arr(c.forwardTrain.afterUnit.stds, 4)}`],
    ["2 test-time forward", `means ${arr(c.forwardTest.after.means)}, stds ${arr(c.forwardTest.after.stds)}`],
    ["3 backward check", `dx ${e(c.backwardCheck.dxError)}, dgamma ${e(c.backwardCheck.dgammaError)}, dbeta ${e(c.backwardCheck.dbetaError)}`],
    [
      "4 staged vs alt",
      `dx diff ${e(c.backwardCompare.dxDifference)}, speedup ${c.backwardCompare.timing.speedup.toFixed(2)}x (median of ${c.backwardCompare.timing.reps})`,
    ],
    [
      "5 net gradcheck",
      c.netGradcheck.checks
        .map((k) => `reg ${k.reg}: loss ${k.initialLoss.toFixed(4)}, max W err ${e(Math.max(...k.errors.filter((x) => x.name.startsWith("W")).map((x) => x.relError)))}`)
        .join("; "),
    ],
    ["6 deep net", runLine(c.deepNet.runs)],
    [`7 sweep (${c.sweep.weightScales.length} scales)`, sweepLine(c.sweep)],
  ];
  if (c.batchSize !== null) rows.push(["batch sizes", runLine(c.batchSize.runs, true)]);
  const f = c.answer.facts;
  rows.push([
    "8 answer",
    `BN good range ${f.bnGoodRangeDecades.toFixed(1)} decades vs baseline ${f.baselineGoodRangeDecades.toFixed(1)}; baseline stuck at chance at ${f.baselineStuckScales.length} of ${c.sweep.weightScales.length} scales, exploded at ${f.baselineExplodedScales.length}`,
  ]);
  rows.push(["total time", `${(r.timings.total ?? 0).toFixed(1)} s`]);
  return rows;
}
