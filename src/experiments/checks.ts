/**
 * Cells 1–5 of the notebook: the forward checks, the backward checks, the
 * staged-vs-closed-form comparison and the net's gradient check. Each cell seeds
 * a fresh numpy-compatible RandomState and draws exactly what the numpy cell
 * draws, in the same order, so the numbers equal numpy's for the same seed.
 * All of it runs in float64, like numpy's defaults.
 *
 * Every cell takes the batch-norm functions it checks as an argument (bnlab's by
 * default): the exercise (src/exercise) runs the same cells on a learner's.
 */
import { RandomState } from "../core/random.js";
import { Tensor } from "../core/tensor.js";
import { evalNumericalGradient, evalNumericalGradientArray, relError } from "../gradcheck/index.js";
import { affineForward, batchnormBackward, batchnormBackwardAlt, batchnormForward, createRunningStats, reluForward } from "../layers/index.js";
import type { RunningStats } from "../layers/index.js";
import { FullyConnectedNet, type NetLayerImpls } from "../models/fc-net.js";
import type {
  BackwardCheckResult,
  BackwardCompareResult,
  ColumnStats,
  ForwardTestResult,
  ForwardTrainResult,
  NetGradcheckResult,
  TimingStats,
} from "./types.js";

/** The batch-norm functions the cells check, with bnlab's public signatures. */
export interface BatchnormImpl {
  batchnormForward: typeof batchnormForward;
  batchnormBackward: typeof batchnormBackward;
  batchnormBackwardAlt: typeof batchnormBackwardAlt;
}

/** bnlab's own batch norm. */
export const BNLAB_BATCHNORM: BatchnormImpl = { batchnormForward, batchnormBackward, batchnormBackwardAlt };

/** The seed of the published assignment. */
export const DEFAULT_SEED = 231;

/** Column means and biased standard deviations of a (N, D) tensor (numpy's `mean(axis=0)`, `std(axis=0)`). */
export function columnStats(a: Tensor): ColumnStats {
  const [N, D] = a.shape as [number, number];
  const means = new Array<number>(D).fill(0);
  const stds = new Array<number>(D).fill(0);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) means[j]! += a.data[i * D + j]!;
  for (let j = 0; j < D; j++) means[j] = means[j]! / N;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) {
      const d = a.data[i * D + j]! - means[j]!;
      stds[j]! += d * d;
    }
  }
  for (let j = 0; j < D; j++) stds[j] = Math.sqrt(stds[j]! / N);
  return { means, stds };
}

/** relu(X·W1)·W2, as the notebook simulates a two-layer network's activations. X (N, D1), W1 (D1, D2), W2 (D2, D3) -> (N, D3). */
function twoLayer(X: Tensor, W1: Tensor, W2: Tensor): Tensor {
  const b1 = Tensor.zeros([W1.shape[1]!], "float64");
  const b2 = Tensor.zeros([W2.shape[1]!], "float64");
  const h = reluForward(affineForward(X, W1, b1).out).out;
  return affineForward(h, W2, b2).out;
}

const SHAPE = { N: 200, D1: 50, D2: 60, D3: 3 };

/** Cell 1's activations a = relu(X·W1)·W2 (N, D3), drawn X, W1, W2 in that order. */
export function forwardTrainInput(seed = DEFAULT_SEED): Tensor {
  const rng = new RandomState(seed);
  const { N, D1, D2, D3 } = SHAPE;
  const X = rng.randn(N, D1);
  const W1 = rng.randn(D1, D2);
  const W2 = rng.randn(D2, D3);
  return twoLayer(X, W1, W2);
}

/** Cell 1's non-trivial scale and shift. */
export const CELL1_AFFINE = { gamma: [1, 2, 3], beta: [11, 12, 13] } as const;

/** Cell 1: draws X (N, D1), W1 (D1, D2), W2 (D2, D3), then checks train-time batch norm. */
export function forwardTrainCheck(seed = DEFAULT_SEED, forward: typeof batchnormForward = batchnormForward): ForwardTrainResult {
  const { D3 } = SHAPE;
  const a = forwardTrainInput(seed);
  const ones = Tensor.full([D3], 1, "float64");
  const zeros = Tensor.zeros([D3], "float64");
  const afterUnit = columnStats(forward(a, ones, zeros, { mode: "train" }).out);
  const gamma = [...CELL1_AFFINE.gamma];
  const beta = [...CELL1_AFFINE.beta];
  const out = forward(a, Tensor.from(gamma, [D3], "float64"), Tensor.from(beta, [D3], "float64"), { mode: "train" }).out;
  return { seed, shape: { ...SHAPE }, before: columnStats(a), afterUnit, afterAffine: { ...columnStats(out), gamma, beta } };
}

/**
 * Cell 2: draws W1, W2, then 50 warm-up batches X (each through a train-mode pass
 * updating the running averages), then one X for the test-mode pass.
 */
export function forwardTestCheck(seed = DEFAULT_SEED, warmupPasses = 50, forward: typeof batchnormForward = batchnormForward): ForwardTestResult {
  return forwardTestRun(seed, warmupPasses, forward).result;
}

/** Cell 2 with its inputs and outputs: the warm-up batches, the test batch, the test-mode output and the running statistics. */
export function forwardTestRun(
  seed = DEFAULT_SEED,
  warmupPasses = 50,
  forward: typeof batchnormForward = batchnormForward,
): { result: ForwardTestResult; warmup: Tensor[]; input: Tensor; out: Tensor; running: RunningStats } {
  const rng = new RandomState(seed);
  const { N, D1, D2, D3 } = SHAPE;
  const W1 = rng.randn(D1, D2);
  const W2 = rng.randn(D2, D3);
  const gamma = Tensor.full([D3], 1, "float64");
  const beta = Tensor.zeros([D3], "float64");
  const running = createRunningStats(D3, "float64");
  const warmup: Tensor[] = [];
  for (let t = 0; t < warmupPasses; t++) {
    const a = twoLayer(rng.randn(N, D1), W1, W2);
    warmup.push(a);
    forward(a, gamma, beta, { mode: "train", running });
  }
  const a = twoLayer(rng.randn(N, D1), W1, W2);
  const out = forward(a, gamma, beta, { mode: "test", running }).out;
  return { result: { seed, shape: { ...SHAPE }, warmupPasses, after: columnStats(out) }, warmup, input: a, out, running };
}

/** x = 5·randn(N, D) + 12, gamma = randn(D), beta = randn(D), dout = randn(N, D), in that order. */
export function drawBackwardInputs(rng: RandomState, N: number, D: number): { x: Tensor; gamma: Tensor; beta: Tensor; dout: Tensor } {
  const x = rng.randn(N, D);
  for (let i = 0; i < x.data.length; i++) x.data[i] = 5 * x.data[i]! + 12;
  return { x, gamma: rng.randn(D), beta: rng.randn(D), dout: rng.randn(N, D) };
}

type Grads3 = { dx: Tensor; dgamma: Tensor; dbeta: Tensor };

/**
 * Cell 3's gradients for one backward pass: its inputs, the numerical gradients
 * of `forward` and the analytic ones of `backward` (on the cache of `forward`).
 */
export function backwardGradients(
  seed: number,
  N: number,
  D: number,
  forward: typeof batchnormForward,
  backward: typeof batchnormBackward,
): { inputs: { x: Tensor; gamma: Tensor; beta: Tensor; dout: Tensor }; numeric: Grads3; analytic: Grads3 } {
  const rng = new RandomState(seed);
  const inputs = drawBackwardInputs(rng, N, D);
  const { x, gamma, beta, dout } = inputs;
  const f = (): Tensor => forward(x, gamma, beta, { mode: "train" }).out;
  // NOTE: each numerical gradient perturbs its own argument in place and restores it.
  const numeric = { dx: evalNumericalGradientArray(f, x, dout), dgamma: evalNumericalGradientArray(f, gamma, dout), dbeta: evalNumericalGradientArray(f, beta, dout) };
  const { cache } = forward(x, gamma, beta, { mode: "train" });
  return { inputs, numeric, analytic: backward(dout, cache) };
}

/** Cell 3: numerical gradient check of both backward passes (N, D = 4, 5). */
export function backwardCheck(seed = DEFAULT_SEED, N = 4, D = 5, impl: BatchnormImpl = BNLAB_BATCHNORM): BackwardCheckResult {
  const staged = backwardGradients(seed, N, D, impl.batchnormForward, impl.batchnormBackward);
  const alt = backwardGradients(seed, N, D, impl.batchnormForward, impl.batchnormBackwardAlt);
  const errors = (g: { numeric: Grads3; analytic: Grads3 }): { dxError: number; dgammaError: number; dbetaError: number } => ({
    dxError: relError(g.numeric.dx, g.analytic.dx),
    dgammaError: relError(g.numeric.dgamma, g.analytic.dgamma),
    dbetaError: relError(g.numeric.dbeta, g.analytic.dbeta),
  });
  return { seed, shape: { N, D }, ...errors(staged), alt: errors(alt) };
}

function timingStats(samples: number[]): TimingStats {
  const s = [...samples].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const medianMs = s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
  return { medianMs, minMs: s[0]!, maxMs: s[s.length - 1]! };
}

/** Options of cell 4's timing. */
export interface BackwardCompareOptions {
  N?: number;
  D?: number;
  warmupReps?: number;
  reps?: number;
}

/**
 * Cell 4: staged vs closed-form backward on N, D = 100, 500: their differences,
 * and the speedup as the ratio of median times over `reps` interleaved
 * repetitions after `warmupReps` warm-up calls of each.
 */
export function backwardCompare(seed = DEFAULT_SEED, options: BackwardCompareOptions = {}, impl: BatchnormImpl = BNLAB_BATCHNORM): BackwardCompareResult {
  const { batchnormForward, batchnormBackward, batchnormBackwardAlt } = impl;
  const N = options.N ?? 100;
  const D = options.D ?? 500;
  const warmupReps = options.warmupReps ?? 20;
  const reps = options.reps ?? 101;
  const rng = new RandomState(seed);
  const { x, gamma, beta, dout } = drawBackwardInputs(rng, N, D);
  const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
  const g1 = batchnormBackward(dout, cache);
  const g2 = batchnormBackwardAlt(dout, cache);
  for (let i = 0; i < warmupReps; i++) {
    batchnormBackward(dout, cache);
    batchnormBackwardAlt(dout, cache);
  }
  const staged: number[] = [];
  const alt: number[] = [];
  // NOTE: interleaving the two keeps slow drifts (frequency scaling, other load)
  // from favouring whichever runs second.
  for (let i = 0; i < reps; i++) {
    let t0 = performance.now();
    batchnormBackward(dout, cache);
    staged.push(performance.now() - t0);
    t0 = performance.now();
    batchnormBackwardAlt(dout, cache);
    alt.push(performance.now() - t0);
  }
  const s = timingStats(staged);
  const a = timingStats(alt);
  return {
    seed,
    shape: { N, D },
    dxDifference: relError(g1.dx, g2.dx),
    dgammaDifference: relError(g1.dgamma, g2.dgamma),
    dbetaDifference: relError(g1.dbeta, g2.dbeta),
    timing: { warmupReps, reps, staged: s, alt: a, speedup: s.medianMs / a.medianMs },
  };
}

/**
 * Cell 5: draws X = randn(N, D) and y = randint(C, size=N), then for reg = 0 and
 * 3.14 builds the batch-norm net from the same stream (its weights are the next
 * draws) and checks every parameter's gradient numerically, in float64.
 * `layers` replaces the net's batch norm (a learner's, in the exercise);
 * `onGradient` sees each numerical and analytic gradient.
 */
export function netGradcheck(
  seed = DEFAULT_SEED,
  regs: readonly number[] = [0, 3.14],
  layers?: Partial<NetLayerImpls>,
  onGradient?: (reg: number, name: string, numeric: Tensor, analytic: Tensor) => void,
): NetGradcheckResult {
  const shape = { N: 2, D: 15, H1: 20, H2: 30, C: 10 };
  const weightScale = 5e-2;
  const rng = new RandomState(seed);
  const X = rng.randn(shape.N, shape.D);
  const y = rng.randint(shape.C, undefined, shape.N);
  const checks = regs.map((reg) => {
    const model = new FullyConnectedNet({
      hiddenDims: [shape.H1, shape.H2],
      inputDim: shape.D,
      numClasses: shape.C,
      reg,
      weightScale,
      dtype: "float64",
      normalization: "batchnorm",
      rng,
      ...(layers !== undefined ? { layers } : {}),
    });
    const { loss, grads } = model.loss(X, y);
    const f = (): number => model.loss(X, y).loss;
    const names = [...grads.keys()].sort();
    const errors = names.map((name) => {
      const num = evalNumericalGradient(f, model.params.get(name)!, 1e-5);
      onGradient?.(reg, name, num, grads.get(name)!);
      return { name, relError: relError(num, grads.get(name)!) };
    });
    return { reg, initialLoss: loss, errors };
  });
  return { seed, shape, weightScale, checks };
}
