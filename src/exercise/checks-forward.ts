/**
 * Checks of the learner's batchnormForward: the notebook's cells 1 and 2, then
 * comparisons with bnlab's forward on ragged shapes, N = 1, a large offset and float32.
 */
import { Tensor } from "../core/tensor.js";
import type { DType } from "../core/tensor.js";
import { CELL1_AFFINE, DEFAULT_SEED, forwardTestRun, forwardTrainCheck, forwardTrainInput } from "../experiments/checks.js";
import { batchnormForward, createRunningStats } from "../layers/index.js";
import type { RunningStats } from "../layers/index.js";
import { copyRunning, fmtList, learnerBnForward, REF_TOL, seededInputs, type CheckOutcome, type ExerciseCheck } from "./check-lib.js";
import { fmtErr, output, scaledError, type LearnerContext } from "./context.js";
import { diagnoseOutputs, forwardCandidates, stepName, type ForwardStep, type Outputs } from "./diagnose.js";

/** Runs a sequence of forward passes with `forward`, returning its outputs by name (as forwardVariantOutputs names them). */
function runSequence(
  forward: (x: Tensor, mode: "train" | "test", running: RunningStats | undefined) => Tensor,
  steps: readonly ForwardStep[],
  running0: RunningStats | null,
): Outputs {
  const running = running0 === null ? undefined : copyRunning(running0);
  const outputs: Outputs = {};
  steps.forEach((s, k) => (outputs[stepName(k, steps.length)] = forward(s.x, s.mode, running).data));
  if (running !== undefined) {
    outputs["running mean"] = running.mean;
    outputs["running var"] = running.var;
  }
  return outputs;
}

/** The learner's and bnlab's outputs on a sequence, compared; a diagnosis when they differ. */
export function compareForwardSequence(
  ctx: LearnerContext,
  steps: readonly ForwardStep[],
  gamma: Tensor,
  beta: Tensor,
  running0: RunningStats | null,
  what: string,
  tol: number,
): { error: number; diagnosis: ReturnType<typeof diagnoseOutputs> } {
  const got = runSequence((x, mode, running) => learnerBnForward(ctx, x, gamma, beta, running ? { mode, running } : { mode }).out, steps, running0);
  const want = runSequence((x, mode, running) => batchnormForward(x, gamma, beta, running ? { mode, running } : { mode }).out, steps, running0);
  const error = Math.max(...Object.keys(want).map((k) => scaledError(got[k]!, want[k]!)));
  const diag = diagnoseOutputs(got, want, tol, forwardCandidates(steps, gamma.data, beta.data, running0), what);
  return { error, diagnosis: diag };
}

const cell1: ExerciseCheck = {
  id: "cell1",
  title: "cell 1: train-time forward (means 0 and stds 1, then beta and gamma)",
  functions: ["batchnormForward"],
  measure: "max over features of |mean − beta| and |std/gamma − 1|",
  run(ctx) {
    const forward = (x: Tensor, g: Tensor, b: Tensor, p: { mode: "train" }): { out: Tensor; cache: never } => learnerBnForward(ctx, x, g, b, p) as { out: Tensor; cache: never };
    const r = forwardTrainCheck(DEFAULT_SEED, forward as typeof batchnormForward);
    let error = 0;
    const cmp = (stats: { means: number[]; stds: number[] }, gamma: readonly number[], beta: readonly number[]): void => {
      stats.means.forEach((m, j) => (error = Math.max(error, Math.abs(m - beta[j]!), Math.abs(stats.stds[j]! / gamma[j]! - 1))));
      if (stats.means.some((m) => !Number.isFinite(m))) error = Infinity;
    };
    cmp(r.afterUnit, [1, 1, 1], [0, 0, 0]);
    cmp(r.afterAffine, CELL1_AFFINE.gamma, CELL1_AFFINE.beta);
    const notes = [
      `before:            means ${fmtList(r.before.means)}  stds ${fmtList(r.before.stds)}`,
      `gamma 1, beta 0:   means ${fmtList(r.afterUnit.means)}  stds ${fmtList(r.afterUnit.stds, 8)}`,
      `gamma, beta given: means ${fmtList(r.afterAffine.means)}  stds ${fmtList(r.afterAffine.stds, 8)}`,
    ];
    const threshold = 1e-6;
    if (error <= threshold) return { error, threshold, notes, diagnosis: null };
    const a = forwardTrainInput(DEFAULT_SEED);
    const g = Tensor.from(CELL1_AFFINE.gamma, [3], "float64");
    const b = Tensor.from(CELL1_AFFINE.beta, [3], "float64");
    const { diagnosis } = compareForwardSequence(ctx, [{ x: a, mode: "train" }], g, b, null, "batchnormForward (train mode, cell 1's activations)", REF_TOL.float64);
    return { error, threshold, notes, diagnosis };
  },
};

const cell2: ExerciseCheck = {
  id: "cell2",
  title: "cell 2: test-time forward after 50 warm-up passes",
  functions: ["batchnormForward"],
  measure: "max error of the test-time out and the running mean and var vs bnlab's",
  run(ctx) {
    const forward = (x: Tensor, g: Tensor, b: Tensor, p: Parameters<typeof batchnormForward>[3]): { out: Tensor; cache: never } => learnerBnForward(ctx, x, g, b, p) as { out: Tensor; cache: never };
    const mine = forwardTestRun(DEFAULT_SEED, 50, forward as typeof batchnormForward);
    const ref = forwardTestRun(DEFAULT_SEED, 50);
    const error = Math.max(scaledError(mine.out.data, ref.out.data), scaledError(mine.running.mean, ref.running.mean), scaledError(mine.running.var, ref.running.var));
    const notes = [`test time: means ${fmtList(mine.result.after.means)}  stds ${fmtList(mine.result.after.stds)}  (bnlab: means ${fmtList(ref.result.after.means)})`];
    const threshold = REF_TOL.float64;
    if (error <= threshold) return { error, threshold, notes, diagnosis: null };
    const steps: ForwardStep[] = [...mine.warmup.map((x) => ({ x, mode: "train" as const })), { x: mine.input, mode: "test" }];
    const gamma = Tensor.full([3], 1, "float64");
    const beta = Tensor.zeros([3], "float64");
    const cmp = compareForwardSequence(ctx, steps, gamma, beta, createRunningStats(3, "float64"), "50 train-mode passes then one test-mode pass", threshold);
    return { error, threshold, notes, diagnosis: cmp.diagnosis };
  },
};

/** Train twice (running statistics from non-zero values), then test: each shape, one dtype. */
function forwardReference(ctx: LearnerContext, shapes: readonly [number, number][], dtype: DType, offset: number, scale: number, seed: number): CheckOutcome {
  let error = 0;
  const notes: string[] = [];
  const tol = REF_TOL[dtype];
  for (const [N, D] of shapes) {
    const a = seededInputs(seed + N * 131 + D, N, D, dtype, offset, scale);
    const b = seededInputs(seed + N * 131 + D + 1, N, D, dtype, offset, scale);
    const c = seededInputs(seed + N * 131 + D + 2, N, D, dtype, offset, scale);
    const steps: ForwardStep[] = [{ x: a.x, mode: "train" }, { x: b.x, mode: "train" }, { x: c.x, mode: "test" }];
    const r = compareForwardSequence(ctx, steps, a.gamma, a.beta, a.running, `(N, D) = (${N}, ${D}), ${dtype}: train, train, test`, tol);
    notes.push(`(N, D) = (${N}, ${D}) ${dtype}: error ${fmtErr(r.error)}`);
    error = Math.max(error, r.error);
    if (r.diagnosis !== null) return { error, threshold: tol, notes, diagnosis: r.diagnosis };
  }
  return { error, threshold: tol, notes, diagnosis: null };
}

const forwardRef: ExerciseCheck = {
  id: "forward-reference",
  title: "batch norm forward vs bnlab: ragged shapes, train and test mode, running statistics (float64)",
  functions: ["batchnormForward"],
  measure: "max |yours − bnlab's| / max(1, max|bnlab's|) over out, running mean, running var",
  run: (ctx) => forwardReference(ctx, [[2, 1], [3, 7], [17, 5], [64, 33]], "float64", 3, 2, 11),
};

const forwardN1: ExerciseCheck = {
  id: "forward-n1",
  title: "batch norm forward with N = 1 in train mode (variance 0: out = beta, finite)",
  functions: ["batchnormForward"],
  measure: "max error of out and the running statistics vs bnlab's",
  run(ctx) {
    const a = seededInputs(5, 1, 6, "float64");
    const r = compareForwardSequence(ctx, [{ x: a.x, mode: "train" }], a.gamma, a.beta, a.running, "(N, D) = (1, 6), train mode", REF_TOL.float64);
    return { error: r.error, threshold: REF_TOL.float64, notes: [], diagnosis: r.diagnosis };
  },
};

const forwardOffset: ExerciseCheck = {
  id: "forward-large-offset",
  title: "batch norm forward with a large offset, x = 1e4 + randn (float64 and float32)",
  functions: ["batchnormForward"],
  measure: "max error of out and the running statistics vs bnlab's",
  run(ctx) {
    const r64 = forwardReference(ctx, [[50, 4]], "float64", 1e4, 1, 21);
    if (r64.diagnosis !== null || r64.error > r64.threshold) return r64;
    const r32 = forwardReference(ctx, [[50, 4]], "float32", 1e4, 1, 22);
    return { ...r32, notes: [...r64.notes, ...r32.notes], error: r32.error };
  },
};

const forwardF32: ExerciseCheck = {
  id: "forward-float32",
  title: "batch norm forward in float32 (out and running statistics stay float32)",
  functions: ["batchnormForward"],
  measure: "max error vs bnlab's float32 forward",
  run(ctx) {
    const a = seededInputs(31, 8, 5, "float32");
    const running = createRunningStats(5, "float32");
    const { out } = learnerBnForward(ctx, a.x, a.gamma, a.beta, { mode: "train", running });
    output("batchnormForward", "out", out, [8, 5], "float32");
    return forwardReference(ctx, [[8, 5], [33, 9]], "float32", 3, 2, 31);
  },
};

export const FORWARD_CHECKS: ExerciseCheck[] = [cell1, cell2, forwardRef, forwardN1, forwardOffset, forwardF32];
