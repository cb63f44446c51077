/**
 * Batch renormalization (Ioffe 2017, "Batch Renormalization: Towards Reducing
 * Minibatch Dependence in Batch-Normalized Models") for (N, D) inputs.
 *
 * Train mode normalizes with the batch's statistics and then corrects towards the
 * running ones, per feature j:
 *
 *   xhat = (x − μ_B) / σ_B,   y = r·xhat + d,   out = gamma·y + beta
 *   r = clip(σ_B / σ, 1/rMax, rMax),   d = clip((μ_B − μ) / σ, −dMax, dMax)
 *
 * with σ_B = sqrt(var_B + eps) and μ, σ = sqrt(running var + eps) the running
 * statistics before this batch updates them. r and d are constants for the
 * backward pass (the paper's stop_gradient). Without clipping y = (x − μ)/σ: the
 * output no longer depends on the rest of the batch. Test mode is batch norm's.
 *
 * NOTE: with r and d constant, out = (gamma·r)·xhat + (beta + gamma·d): batch norm
 * with scale gamma·r and shift beta + gamma·d. The code is that composition, on
 * `batchnormForward` and `batchnormBackwardAlt` (WebAssembly paths included), so
 * rMax = 1, dMax = 0 (r = 1, d = 0, gamma·1 = gamma exactly, and beta left as it
 * is) is batch norm bit for bit: out, running statistics, dx, dgamma, dbeta.
 *
 * NOTE: the paper's Algorithm 1 keeps a moving average of σ; here the running
 * statistics are batch norm's (mean and variance, the same update and
 * conventions), so a net can switch between the two and share the test mode.
 */
import { OptionError } from "../core/errors.js";
import { Tensor } from "../core/tensor.js";
import type { FloatArray } from "../core/tensor.js";
import { batchnormBackwardAlt, batchnormForward, checkRunningStats, runningUpdateOptions, updateRunningStats } from "./batchnorm.js";
import type { BatchnormBuffers, BatchnormCache, MomentumWeights, RunningStats, RunningVariance } from "./batchnorm.js";
import { expect2d } from "./checks.js";
import { columnMeans } from "./reductions.js";

/** How a batch-renorm forward pass runs. */
export interface BatchrenormParam {
  mode: "train" | "test";
  /** Added to both variances before the square root; default 1e-5. */
  eps?: number;
  /** As batch norm's (weight of the running update); default 0.9. */
  momentum?: number;
  /** As batch norm's; default "running". */
  momentumWeights?: MomentumWeights;
  /** As batch norm's; default "biased". */
  runningVariance?: RunningVariance;
  /** r is clipped to [1/rMax, rMax]; a number ≥ 1 (Infinity: no clipping); default 3 (the paper's final value). */
  rMax?: number;
  /** d is clipped to [−dMax, dMax]; a number ≥ 0 (Infinity: no clipping); default 5 (the paper's final value). */
  dMax?: number;
  /** Required in both modes: train mode reads them for r and d, then updates them. */
  running: RunningStats;
}

/** What `batchrenormBackward` needs. */
export interface BatchrenormCache {
  /** Batch norm's cache with its gamma replaced by gamma·r (dtype of x). */
  readonly bn: BatchnormCache;
  /** r per feature (D); all 1 in test mode. */
  readonly r: Float64Array;
  /** d per feature (D); all 0 in test mode. */
  readonly d: Float64Array;
}

function clip(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/**
 * Forward pass of batch renormalization.
 *
 * @param x input (N, D)
 * @param gamma scale (D), dtype of x
 * @param beta shift (D), dtype of x
 * @param buffers optional preallocated outputs (as batch norm's)
 * @returns out (N, D) and the cache
 */
export function batchrenormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  brnParam: BatchrenormParam,
  buffers?: BatchnormBuffers,
): { out: Tensor; cache: BatchrenormCache } {
  const fn = "batchrenormForward";
  const [N, D] = expect2d(fn, "x", x);
  const rMax = brnParam.rMax ?? 3;
  const dMax = brnParam.dMax ?? 5;
  if (!(rMax >= 1)) throw new OptionError("bnParam.rMax", "a number ≥ 1", rMax);
  if (!(dMax >= 0)) throw new OptionError("bnParam.dMax", "a number ≥ 0", dMax);
  const running = brnParam.running as RunningStats | undefined;
  if (running === undefined) throw new OptionError("bnParam.running", "running statistics (batch renorm reads them in both modes)", undefined);
  checkRunningStats(fn, running, D, x.dtype);
  const update = runningUpdateOptions(brnParam, N);
  const eps = brnParam.eps ?? 1e-5;
  if (brnParam.mode !== "train") {
    // Test mode (or a bad mode, which batch norm reports) is batch norm's.
    const { out, cache } = batchnormForward(x, gamma, beta, { mode: brnParam.mode, eps, running }, buffers);
    return { out, cache: { bn: cache, r: new Float64Array(D).fill(1), d: new Float64Array(D) } };
  }
  // Batch norm without running statistics: the batch's xhat, variance and sqrt(var + eps).
  const bn = batchnormForward(x, gamma, beta, { mode: "train", eps }, buffers);
  // μ_B in batch norm's order (column sums in row order, then / N), so the running
  // update below sees the very mean batch norm's would.
  const muB = columnMeans(x.data, N, D);
  const r = new Float64Array(D);
  const d = new Float64Array(D);
  const g = gamma.data;
  const b = beta.data;
  const gR = g instanceof Float64Array ? new Float64Array(D) : new Float32Array(D);
  const bD = g instanceof Float64Array ? new Float64Array(D) : new Float32Array(D);
  for (let j = 0; j < D; j++) {
    const sigma = Math.sqrt(running.var[j]! + eps);
    r[j] = clip(bn.cache.sqrtvar[j]! / sigma, 1 / rMax, rMax);
    d[j] = clip((muB[j]! - running.mean[j]!) / sigma, -dMax, dMax);
    gR[j] = g[j]! * r[j]!;
    // NOTE: d = 0 (or −0, which the clip to [−0, 0] gives) leaves beta as it is:
    // beta + gamma·0 would turn a −0 shift into +0.
    bD[j] = d[j] === 0 ? b[j]! : b[j]! + g[j]! * d[j]!;
  }
  // out = (gamma·r)·xhat + (beta + gamma·d): batch norm's last step with the new scale and shift.
  const out = bn.out.data;
  const xhat = bn.cache.xhat;
  for (let i = 0; i < N; i++) {
    const row = i * D;
    for (let j = 0; j < D; j++) out[row + j] = gR[j]! * xhat[row + j]! + bD[j]!;
  }
  updateRunningStats(running, muB, bn.cache.var, N, update);
  return { out: bn.out, cache: { bn: { ...bn.cache, gamma: gR }, r, d } };
}

/**
 * Backward pass of batch renormalization with r and d held constant: batch norm's
 * closed-form backward with scale gamma·r gives dx (dxhat = dout·gamma·r) and
 * Σ dout·xhat; then dgamma = Σ dout·y = r·Σ dout·xhat + d·Σ dout and dbeta = Σ dout.
 *
 * @param dout upstream gradient (N, D)
 * @param dxBuffer optional preallocated dx (N·D, dtype of dout)
 * @returns dx (N, D), dgamma (D), dbeta (D)
 */
export function batchrenormBackward(dout: Tensor, cache: BatchrenormCache, dxBuffer?: FloatArray): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const { dx, dgamma: dgXhat, dbeta } = batchnormBackwardAlt(dout, cache.bn, dxBuffer);
  const { r, d } = cache;
  const dg = dgXhat.data;
  const db = dbeta.data;
  for (let j = 0; j < r.length; j++) dg[j] = d[j] === 0 ? r[j]! * dg[j]! : r[j]! * dg[j]! + d[j]! * db[j]!;
  return { dx, dgamma: dgXhat, dbeta };
}
