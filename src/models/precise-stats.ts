/**
 * Precise statistics for test time (Wu & Johnson 2021, "Rethinking 'Batch' in
 * BatchNorm", §3): instead of the exponential moving average that training leaves
 * in the running statistics — dominated by the last few batches, each computed
 * with weights that have since moved — recompute each batch-norm layer's
 * population statistics with the weights frozen, over many batches, and write them
 * into the running statistics.
 */
import { OptionError } from "../core/errors.js";
import type { RandomState } from "../core/random.js";
import { Tensor } from "../core/tensor.js";
import { batchnormForward } from "../layers/batchnorm.js";
import { columnMeans } from "../layers/reductions.js";
import type { FullyConnectedNet } from "./fc-net.js";
import { PopulationStats } from "./population-stats.js";

/** Options of `preciseBatchnormStats`. */
export interface PreciseStatsOptions {
  /** Samples per batch: the batch size whose train-mode statistics are pooled (≥ 1, ≤ N). */
  batchSize: number;
  /** How many batches to pool (≥ 1). */
  numBatches: number;
  /**
   * Draws each batch's rows as the Solver draws a minibatch (`rng.choice(N, batchSize)`,
   * with replacement). Without it the batches are consecutive slices of X in order,
   * wrapping around (so X of exactly batchSize rows gives the same batch every time).
   */
  rng?: RandomState;
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

/** Rows `idx` of X (N, …) as a new (batchSize, …) tensor. */
function gatherRows(X: Tensor, idx: ArrayLike<number>): Tensor {
  const N = X.shape[0]!;
  const row = X.size / N;
  const out = Tensor.zeros([idx.length, ...X.shape.slice(1)], X.dtype);
  for (let i = 0; i < idx.length; i++) out.data.set(X.data.subarray(idx[i]! * row, (idx[i]! + 1) * row), i * row);
  return out;
}

/**
 * Recomputes the running statistics of every batch-norm (and batch-renorm) layer of
 * `model` as population statistics: `numBatches` batches of `batchSize` rows of X go
 * through the net in train mode (each layer normalized by its batch's statistics, as
 * in training; dropout as in training), with no parameter and no running statistic
 * changing along the way; each layer's batch means and biased variances, computed
 * exactly as batch norm computes them, are pooled by `PopulationStats`:
 *
 *   mean = mean of the batch means,   var = mean of the batch variances + variance of the batch means
 *
 * i.e. the mean and biased variance of all the pooled samples (exactly, as the batches
 * have one size). These then replace the running statistics. Batches that are all the
 * same give exactly that batch's statistics. The model's random streams (dropout,
 * bnNoise) are rewound afterwards, so nothing but the running statistics changes.
 *
 * NOTE: train mode needs labels for the trace's loss; the loss and gradients are not
 * used, so every label is class 0.
 *
 * @param X samples (N, d1, …, dk) with the model's inputDim features
 */
export function preciseBatchnormStats(model: FullyConnectedNet, X: Tensor, options: PreciseStatsOptions): void {
  const { batchSize, numBatches, rng } = options;
  const N = X.shape[0] ?? 0;
  if (!isPositiveInteger(batchSize) || batchSize > N) throw new OptionError("batchSize", `an integer in [1, ${N}] (the rows of X)`, batchSize);
  if (!isPositiveInteger(numBatches)) throw new OptionError("numBatches", "a positive integer", numBatches);
  const snap = model.snapshot();
  const names = [...snap.buffers.keys()].filter((k) => k.startsWith("runningMean")).map((k) => Number(k.slice("runningMean".length)));
  if (names.length === 0) throw new OptionError("model", "a net with batch-norm running statistics", model.normalization);
  const rngState = model.rng.getState();
  const noiseState = model.noiseRng?.getState() ?? null;
  const pools = new Map(names.map((n) => [n, new PopulationStats(snap.buffers.get(`runningMean${n}`)!.length)]));
  const labels = new Int32Array(batchSize);
  const ones = new Map<number, { g: Tensor; b: Tensor }>();
  let next = 0;
  for (let t = 0; t < numBatches; t++) {
    let idx: ArrayLike<number>;
    if (rng !== undefined) {
      idx = rng.choice(N, batchSize);
    } else {
      const seq = new Int32Array(batchSize);
      for (let i = 0; i < batchSize; i++) seq[i] = (next + i) % N;
      next = (next + batchSize) % N;
      idx = seq;
    }
    const tr = model.trace(gatherRows(X, idx), labels, { mode: "train", updateRunningStats: false });
    for (const [n, pool] of pools) {
      const a = tr.layers[n - 1]!.affine;
      const D = a.shape[1]!;
      let gb = ones.get(n);
      if (gb === undefined) {
        gb = { g: Tensor.full([D], 1, a.dtype), b: Tensor.zeros([D], a.dtype) };
        ones.set(n, gb);
      }
      // The batch's variance as batch norm computes it (its cache), the mean in its order.
      const v = batchnormForward(a, gb.g, gb.b, { mode: "train" }).cache.var;
      pool.add(columnMeans(a.data, batchSize, D), v);
    }
  }
  for (const [n, pool] of pools) {
    const { mean, var: v } = pool.result();
    snap.buffers.get(`runningMean${n}`)!.set(mean);
    snap.buffers.get(`runningVar${n}`)!.set(v);
  }
  model.restore(snap);
  model.rng.setState(rngState);
  if (noiseState !== null) model.noiseRng!.setState(noiseState);
}
