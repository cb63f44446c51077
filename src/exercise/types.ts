/**
 * The exercise's vocabulary: the functions a learner writes (bnlab's public
 * signatures, so bnlab's own layers pass unchanged), and what a check reports.
 * Everything a check returns is plain data (sent between threads, printed as JSON).
 */
import type {
  affineNormReluBackward,
  affineNormReluForward,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  layernormBackward,
  layernormForward,
} from "../layers/index.js";

/** The functions of the exercise, in the order of the assignment. */
export const EXERCISE_FUNCTIONS = [
  "batchnormForward",
  "batchnormBackward",
  "batchnormBackwardAlt",
  "layernormForward",
  "layernormBackward",
  "affineNormReluForward",
  "affineNormReluBackward",
] as const;

export type ExerciseFunction = (typeof EXERCISE_FUNCTIONS)[number];

/** A learner's module: any of the functions may be missing (their checks say "not implemented"). */
export interface LearnerLayers {
  batchnormForward?: typeof batchnormForward;
  batchnormBackward?: typeof batchnormBackward;
  batchnormBackwardAlt?: typeof batchnormBackwardAlt;
  layernormForward?: typeof layernormForward;
  layernormBackward?: typeof layernormBackward;
  affineNormReluForward?: typeof affineNormReluForward;
  affineNormReluBackward?: typeof affineNormReluBackward;
}

/** pass; fail (a wrong result); error (the learner's code threw); timeout; not implemented. */
export type CheckStatus = "pass" | "fail" | "error" | "timeout" | "not implemented";

/** Why a check failed: which outputs are wrong and, when the pattern is recognisable, the likely cause. */
export interface Diagnosis {
  /** The wrong outputs: "out", "running mean", "running var", "dx", "dgamma", "dbeta", "dw", "db", "cache", an input's name … */
  wrong: string[];
  /** A stable name of the recognised cause (see CAUSES), or null. */
  causeId: CauseId | null;
  /** The cause in words, or null when no known mistake matches. */
  cause: string | null;
  /** What was compared and found (numbers included). */
  detail: string;
}

/** One check's outcome. */
export interface CheckResult {
  id: string;
  title: string;
  /** The learner's functions this check runs. */
  functions: ExerciseFunction[];
  status: CheckStatus;
  /** The measured error (what `measure` says), or null when nothing was measured. */
  error: number | null;
  threshold: number | null;
  /** What `error` is, e.g. "max relative error of dx, dgamma, dbeta vs numerical gradients". */
  measure: string;
  /** Extra lines: the cell's printout (means, stds, speedup …). */
  notes: string[];
  diagnosis: Diagnosis | null;
  /** For status "error" and "timeout": the message, with the learner's own stack frames. */
  message: string | null;
  seconds: number;
}

/** The recognisable mistakes, each with the sentence a diagnosis prints. */
export const CAUSES = {
  noMeanBranch:
    "the branch through the mean is missing from the staged backward: x feeds both x − mean and the mean, so dx needs the extra term −(1/N)·Σ_rows(dxmu1 + dxmu2) (steps 1 and 0)",
  noVarBranch: "the branch through the variance is missing: x − mean feeds both xhat and the variance, so its gradient is dxmu1 + dxmu2 (steps 7 and 3)",
  unbiased: "the variance is the unbiased one (divided by N − 1); batch norm uses the biased variance, divided by N (numpy's var)",
  runningUnbiased: "the running variance is updated with the unbiased (N − 1) variance; use the same biased variance the batch is normalized with",
  momentumReversed:
    "the momentum convention is reversed: running = momentum·running + (1 − momentum)·batch, with momentum 0.9 keeping 90% of the old value",
  testUsesBatch: "test mode normalizes with the batch's own statistics; it must use the running mean and variance",
  testUpdatesRunning: "test mode changes the running statistics; only train mode updates them",
  noRunningUpdate: "the running statistics are never updated in train mode (they stay at their initial values)",
  missingInvN: "the closed form misses its 1/N: dx = (gamma·ivar/N)·(N·dout − Σdout − xhat·Σ(dout·xhat)) (dx comes out N times too large)",
  noGamma: "gamma is left out of dx: the gradient reaching xhat is dout·gamma, not dout",
  epsOutside: "eps is added outside the square root: the standard deviation is sqrt(var + eps), not sqrt(var) + eps",
  noEps: "eps is missing: the standard deviation is sqrt(var + eps), and eps = 1e-5 keeps it finite when a feature's variance is 0 (N = 1)",
  swappedParams: "dgamma and dbeta are swapped: dbeta = Σ_rows dout, dgamma = Σ_rows dout·xhat",
  onePass:
    "the variance is computed in one pass as E[x²] − E[x]² in float32: with a large mean the two terms cancel and the digits are lost; subtract the mean first, then average the squares",
  batchAxis: "layer norm normalizes over the batch (axis 0) like batch norm; it must normalize each sample over its own features (axis 1)",
  reluBeforeNorm: "the sandwich applies ReLU before the normalization; the order is affine → batch norm → ReLU",
  mutatedInput: "a function changed an array it was given (an input or the cache); the layers must treat their arguments as read-only",
  notFinite: "an output holds NaN or Infinity",
  wrongShape: "an output has the wrong shape (or is not a Tensor)",
  wrongDtype: "an output has the wrong dtype: every output has the dtype of x",
  notDeterministic: "calling the function twice on the same arguments gave different results (state kept between calls, or the cache changed)",
} as const;

export type CauseId = keyof typeof CAUSES;

/** Thrown by the starter's functions; any error whose message says "not implemented" counts. */
export function isNotImplemented(err: unknown): boolean {
  return err instanceof Error && /not implemented/i.test(err.message);
}
