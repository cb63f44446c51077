/**
 * Shared pieces of the checks: the check type, guarded calls of the learner's
 * batch-norm and layer-norm functions with validated outputs, and seeded inputs.
 */
import { RandomState } from "../core/random.js";
import { Tensor } from "../core/tensor.js";
import type { DType } from "../core/tensor.js";
import type { BatchnormParam, RunningStats } from "../layers/index.js";
import { CheckFailure, diagnosis, output, type LearnerContext } from "./context.js";
import type { Diagnosis, ExerciseFunction } from "./types.js";

/** What a check's body returns: it passes when there is no diagnosis and error <= threshold. */
export interface CheckOutcome {
  error: number;
  threshold: number;
  notes: string[];
  diagnosis: Diagnosis | null;
}

/** One check of the exercise. */
export interface ExerciseCheck {
  id: string;
  title: string;
  /** The learner's functions it needs (missing or "not implemented": the check says so). */
  functions: ExerciseFunction[];
  measure: string;
  run(ctx: LearnerContext): CheckOutcome;
}

/** Threshold of comparisons with bnlab's result (scaledError), by dtype. */
export const REF_TOL: Record<DType, number> = { float64: 1e-8, float32: 1e-4 };

export type Grads = { dx: Tensor; dgamma: Tensor; dbeta: Tensor };

function resultObject(fn: string, r: unknown, keys: string[]): Record<string, unknown> {
  if (r === null || typeof r !== "object") {
    throw new CheckFailure(diagnosis(keys, "wrongShape", `${fn} returned ${String(r)}, not an object { ${keys.join(", ")} }`));
  }
  return r as Record<string, unknown>;
}

/** The learner's batchnormForward, guarded; out validated (shape and dtype of x; NaN allowed: compared later). */
export function learnerBnForward(ctx: LearnerContext, x: Tensor, gamma: Tensor, beta: Tensor, param: BatchnormParam): { out: Tensor; cache: unknown } {
  const running = param.running;
  const mayChange = new Set<unknown>(param.mode === "train" && running ? [running.mean, running.var] : []);
  let r: Record<string, unknown>;
  try {
    r = resultObject("batchnormForward", ctx.call("batchnormForward", [x, gamma, beta, param], ["x", "gamma", "beta", "bnParam"], mayChange), ["out", "cache"]);
  } catch (err) {
    // NOTE: a test-mode pass that changes the running statistics has a cause of its own.
    if (err instanceof CheckFailure && param.mode === "test" && err.diagnosis.wrong.some((w) => w.startsWith("bnParam.running"))) {
      const wrong = err.diagnosis.wrong.map((w) => (w.endsWith(".mean") ? "running mean" : w.endsWith(".var") ? "running var" : w));
      throw new CheckFailure(diagnosis(wrong, "testUpdatesRunning", `batchnormForward in test mode changed ${err.diagnosis.wrong.join(", ")}`));
    }
    throw err;
  }
  return { out: output("batchnormForward", "out", r.out, x.shape, x.dtype, true), cache: r.cache };
}

/** A guarded backward (staged, alt or layer norm's) with validated dx, dgamma, dbeta. */
export function learnerBackward(ctx: LearnerContext, fn: ExerciseFunction, dout: Tensor, cache: unknown, D: number): Grads {
  const r = resultObject(fn, ctx.call(fn, [dout, cache], ["dout", "cache"]), ["dx", "dgamma", "dbeta"]);
  return {
    dx: output(fn, "dx", r.dx, dout.shape, dout.dtype, true),
    dgamma: output(fn, "dgamma", r.dgamma, [D], dout.dtype, true),
    dbeta: output(fn, "dbeta", r.dbeta, [D], dout.dtype, true),
  };
}

/** The learner's layernormForward, guarded. */
export function learnerLnForward(ctx: LearnerContext, x: Tensor, gamma: Tensor, beta: Tensor): { out: Tensor; cache: unknown } {
  const r = resultObject("layernormForward", ctx.call("layernormForward", [x, gamma, beta, {}], ["x", "gamma", "beta", "lnParam"]), ["out", "cache"]);
  return { out: output("layernormForward", "out", r.out, x.shape, x.dtype, true), cache: r.cache };
}

/** Plain functions calling the learner's through the context (for the net and the notebook's cells). */
export function guardedBatchnorm(ctx: LearnerContext): {
  batchnormForward: (x: Tensor, gamma: Tensor, beta: Tensor, p: BatchnormParam) => { out: Tensor; cache: never };
  batchnormBackward: (dout: Tensor, cache: never) => Grads;
  batchnormBackwardAlt: (dout: Tensor, cache: never) => Grads;
  layernormForward: (x: Tensor, gamma: Tensor, beta: Tensor) => { out: Tensor; cache: never };
  layernormBackward: (dout: Tensor, cache: never) => Grads;
} {
  const D = (dout: Tensor): number => dout.shape[1]!;
  return {
    batchnormForward: (x, gamma, beta, p) => learnerBnForward(ctx, x, gamma, beta, p) as { out: Tensor; cache: never },
    batchnormBackward: (dout, cache) => learnerBackward(ctx, "batchnormBackward", dout, cache, D(dout)),
    batchnormBackwardAlt: (dout, cache) => learnerBackward(ctx, "batchnormBackwardAlt", dout, cache, D(dout)),
    layernormForward: (x, gamma, beta) => learnerLnForward(ctx, x, gamma, beta) as { out: Tensor; cache: never },
    layernormBackward: (dout, cache) => learnerBackward(ctx, "layernormBackward", dout, cache, D(dout)),
  };
}

/** Seeded (N, D) inputs: x = scale·randn + offset, gamma = 1 + 0.5·randn, beta = randn, dout = randn, running statistics. */
export function seededInputs(
  seed: number,
  N: number,
  D: number,
  dtype: DType,
  offset = 3,
  scale = 2,
): { x: Tensor; gamma: Tensor; beta: Tensor; dout: Tensor; running: RunningStats } {
  const rng = new RandomState(seed);
  const cast = (t: Tensor, f: (v: number) => number = (v) => v): Tensor => Tensor.from(Array.from(t.data, f), t.shape, dtype);
  const x = cast(rng.randn(N, D), (v) => scale * v + offset);
  const gamma = cast(rng.randn(D), (v) => 1 + 0.5 * v);
  const beta = cast(rng.randn(D));
  const dout = cast(rng.randn(N, D));
  const mean = cast(rng.randn(D));
  const v = cast(rng.rand(D), (u) => 0.5 + u);
  return { x, gamma, beta, dout, running: { mean: mean.data, var: v.data } };
}

/** Copies running statistics (the caller owns them; each run gets its own). */
export function copyRunning(r: RunningStats): RunningStats {
  return { mean: r.mean.slice(), var: r.var.slice() };
}

export const fmtList = (a: readonly number[], digits = 3): string => `[${a.map((v) => (Number.isFinite(v) ? v.toFixed(digits) : String(v))).join(", ")}]`;
