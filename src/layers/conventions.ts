/**
 * Batch norm's running-statistics conventions of the frameworks people compare
 * bnlab with, as bnlab options: what each framework's defaults are in bnlab's
 * terms (docs/normalization-conventions.md has the table and the sources).
 */
import { OptionError } from "../core/errors.js";
import { createRunningStats } from "./batchnorm.js";
import type { BatchnormParam, MomentumWeights, RunningStats, RunningVariance } from "./batchnorm.js";
import type { DType } from "../core/tensor.js";

/** One framework's batch-norm defaults in bnlab's options. */
export interface BatchnormConvention {
  /** bnlab's `momentum` (the framework's own number; `momentumWeights` says what it weights). */
  momentum: number;
  momentumWeights: MomentumWeights;
  runningVariance: RunningVariance;
  eps: number;
  /** Starting running mean and variance (the framework's initializers). */
  initialRunningMean: number;
  initialRunningVar: number;
}

/** The framework names `BATCHNORM_CONVENTIONS` knows. */
export type BatchnormFramework = "assignment" | "pytorch" | "keras" | "tfjs";

/**
 * - assignment: CS231n's `batchnorm_forward` (momentum 0.9 on the old value, eps 1e-5, zeros);
 * - pytorch: `torch.nn.BatchNorm1d` (momentum 0.1 on the new value, eps 1e-5, unbiased running_var, var starts at 1);
 * - keras: Keras 3 / tf.keras `BatchNormalization` (momentum 0.99 on the old value, epsilon 1e-3, var starts at 1);
 * - tfjs: `tf.layers.batchNormalization` (as Keras).
 */
export const BATCHNORM_CONVENTIONS: Readonly<Record<BatchnormFramework, Readonly<BatchnormConvention>>> = {
  assignment: { momentum: 0.9, momentumWeights: "running", runningVariance: "biased", eps: 1e-5, initialRunningMean: 0, initialRunningVar: 0 },
  pytorch: { momentum: 0.1, momentumWeights: "batch", runningVariance: "unbiased", eps: 1e-5, initialRunningMean: 0, initialRunningVar: 1 },
  keras: { momentum: 0.99, momentumWeights: "running", runningVariance: "biased", eps: 1e-3, initialRunningMean: 0, initialRunningVar: 1 },
  tfjs: { momentum: 0.99, momentumWeights: "running", runningVariance: "biased", eps: 1e-3, initialRunningMean: 0, initialRunningVar: 1 },
};

/**
 * A framework's batch-norm setup in bnlab's terms: the train-mode parameters and
 * fresh running statistics with the framework's starting values.
 */
export function batchnormConvention(
  framework: BatchnormFramework,
  D: number,
  dtype: DType,
): { param: BatchnormParam & { mode: "train"; running: RunningStats }; running: RunningStats } {
  if (!Object.hasOwn(BATCHNORM_CONVENTIONS, framework)) {
    throw new OptionError("framework", Object.keys(BATCHNORM_CONVENTIONS).map((k) => JSON.stringify(k)).join(", "), framework);
  }
  const c = BATCHNORM_CONVENTIONS[framework];
  const running = createRunningStats(D, dtype, { mean: c.initialRunningMean, var: c.initialRunningVar });
  const param = { mode: "train" as const, eps: c.eps, momentum: c.momentum, momentumWeights: c.momentumWeights, runningVariance: c.runningVariance, running };
  return { param, running };
}
