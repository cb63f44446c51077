/**
 * Batch normalization (Ioffe & Szegedy 2015) for (N, D) inputs: each feature is
 * normalized with statistics over the batch, then scaled by gamma and shifted by
 * beta. The running statistics used at test time are an explicit object owned by
 * the caller (the model), not hidden state in a parameter dictionary.
 */
import { OptionError } from "../core/errors.js";
import { Tensor, allocFloat } from "../core/tensor.js";
import type { DType, FloatArray } from "../core/tensor.js";
import { activeKernel } from "../kernels/index.js";
import type { BatchnormKernels } from "../kernels/types.js";
import { expect2d, expectDtype, expectShape, outputBuffer } from "./checks.js";

/** Per-feature running mean and variance (D each), updated by every train-mode forward pass. */
export interface RunningStats {
  mean: FloatArray;
  var: FloatArray;
}

/**
 * Running statistics for D features, starting at zeros as in the assignment.
 * `init` sets other starting values: PyTorch, Keras and TF.js start the running
 * variance at 1 (`{ var: 1 }`; see docs/normalization-conventions.md).
 */
export function createRunningStats(D: number, dtype: DType, init: { mean?: number; var?: number } = {}): RunningStats {
  const running = { mean: allocFloat(D, dtype), var: allocFloat(D, dtype) };
  if (init.mean !== undefined) running.mean.fill(init.mean);
  if (init.var !== undefined) running.var.fill(init.var);
  return running;
}

/**
 * Which value `momentum` weights in the running-statistics update:
 * - "running" (the assignment, Keras, TF.js): running ← momentum·running + (1 − momentum)·batch;
 * - "batch" (PyTorch): running ← (1 − momentum)·running + momentum·batch.
 */
export type MomentumWeights = "running" | "batch";

/**
 * Which batch variance enters the running variance (the forward pass always
 * normalizes with the biased one):
 * - "biased" (the assignment, Keras, TF.js): Σ(x − mean)² / N;
 * - "unbiased" (PyTorch's running_var): the biased one times N / (N − 1).
 */
export type RunningVariance = "biased" | "unbiased";

/** How a batch-norm forward pass runs. */
export interface BatchnormParam {
  mode: "train" | "test";
  /** Added to the variance before the square root; default 1e-5. */
  eps?: number;
  /** Weight of the running-statistics update (see `momentumWeights`); default 0.9. */
  momentum?: number;
  /**
   * Which value `momentum` weights: "running" (default, the assignment's: running ←
   * momentum·running + (1 − momentum)·batch) or "batch" (PyTorch's: running ←
   * (1 − momentum)·running + momentum·batch, so PyTorch's momentum = 0.1 is bnlab's
   * `{ momentum: 0.1, momentumWeights: "batch" }`).
   */
  momentumWeights?: MomentumWeights;
  /**
   * The batch variance the running variance averages: "biased" (default, the
   * assignment's) or "unbiased" (× N / (N − 1), PyTorch's running_var; needs N ≥ 2).
   */
  runningVariance?: RunningVariance;
  /** Updated in train mode when given; required in test mode. */
  running?: RunningStats;
}

/** The running-statistics update of a train-mode pass, options resolved. */
export interface RunningUpdate {
  momentum: number;
  momentumWeights: MomentumWeights;
  runningVariance: RunningVariance;
}

/**
 * Resolves and checks the running-update options of a batch-norm (or batch-renorm)
 * parameter object; N is the batch size (updating an unbiased running variance needs N ≥ 2).
 */
export function runningUpdateOptions(
  p: Pick<BatchnormParam, "mode" | "momentum" | "momentumWeights" | "runningVariance" | "running">,
  N: number,
): RunningUpdate {
  const momentum = p.momentum ?? 0.9;
  const momentumWeights = p.momentumWeights ?? "running";
  const runningVariance = p.runningVariance ?? "biased";
  if (!(momentum >= 0 && momentum <= 1)) throw new OptionError("bnParam.momentum", "a number in [0, 1]", momentum);
  if (momentumWeights !== "running" && momentumWeights !== "batch") {
    throw new OptionError("bnParam.momentumWeights", '"running" or "batch"', momentumWeights);
  }
  if (runningVariance !== "biased" && runningVariance !== "unbiased") {
    throw new OptionError("bnParam.runningVariance", '"biased" or "unbiased"', runningVariance);
  }
  if (runningVariance === "unbiased" && p.mode === "train" && p.running !== undefined && N < 2) {
    throw new OptionError("bnParam.runningVariance", '"biased" for a batch of one sample (N / (N − 1) needs N ≥ 2)', runningVariance);
  }
  return { momentum, momentumWeights, runningVariance };
}

/**
 * Moves the running statistics towards a batch's mean mu and biased variance v (D each,
 * from a batch of N samples), as `u` says. NOTE: the default ("running", "biased") is
 * the assignment's expression, operand for operand, so existing results stay bit for
 * bit; "batch" is not "running" with 1 − momentum (1 − 0.9 ≠ 0.1 in floating point).
 */
export function updateRunningStats(running: RunningStats, mu: Float64Array, v: Float64Array, N: number, u: RunningUpdate): void {
  const m = u.momentum;
  const unbiased = u.runningVariance === "unbiased";
  const D = mu.length;
  for (let j = 0; j < D; j++) {
    const vb = unbiased ? (v[j]! * N) / (N - 1) : v[j]!;
    if (u.momentumWeights === "running") {
      running.mean[j] = m * running.mean[j]! + (1 - m) * mu[j]!;
      running.var[j] = m * running.var[j]! + (1 - m) * vb;
    } else {
      running.mean[j] = (1 - m) * running.mean[j]! + m * mu[j]!;
      running.var[j] = (1 - m) * running.var[j]! + m * vb;
    }
  }
}

/**
 * Everything either backward pass needs; `batchnormBackward` and
 * `batchnormBackwardAlt` read the same cache. Per-feature vectors are float64.
 */
export interface BatchnormCache {
  readonly mode: "train" | "test";
  readonly N: number;
  readonly D: number;
  /** Normalized input (N, D), dtype of x. */
  readonly xhat: FloatArray;
  /** x − mean (N, D), dtype of x. */
  readonly xmu: FloatArray;
  /** Scale (D). */
  readonly gamma: FloatArray;
  /** 1 / sqrt(var + eps) (D). */
  readonly ivar: Float64Array;
  /** sqrt(var + eps) (D). */
  readonly sqrtvar: Float64Array;
  /** The variance used (D): the batch's in train mode, the running one in test mode. */
  readonly var: Float64Array;
  readonly eps: number;
}

function checkParam(fn: string, p: BatchnormParam, N: number, D: number, dtype: DType): { eps: number; update: RunningUpdate } {
  if (p.mode !== "train" && p.mode !== "test") throw new OptionError("bnParam.mode", '"train" or "test"', p.mode);
  const eps = p.eps ?? 1e-5;
  if (!(eps > 0) || !Number.isFinite(eps)) throw new OptionError("bnParam.eps", "a positive number", eps);
  const update = runningUpdateOptions(p, N);
  if (p.mode === "test" && p.running === undefined) {
    throw new OptionError("bnParam.running", "running statistics in test mode", undefined);
  }
  if (p.running !== undefined) checkRunningStats(fn, p.running, D, dtype);
  return { eps, update };
}

/** Throws unless both running arrays hold D values of the dtype of x. */
export function checkRunningStats(fn: string, running: RunningStats, D: number, dtype: DType): void {
  for (const k of ["mean", "var"] as const) {
    const a = running[k];
    if (a.length !== D) throw new RangeError(`${fn}: bnParam.running.${k} must have shape (${D}), found (${a.length})`);
    if ((a instanceof Float64Array ? "float64" : "float32") !== dtype) {
      throw new RangeError(`${fn}: bnParam.running.${k} must have dtype ${dtype} (that of x)`);
    }
  }
}

/**
 * Optional preallocated outputs of `batchnormForward` (a model's workspace reuses
 * them across calls): each N·D elements of x's dtype. The returned `out` and the
 * cache then view these buffers, so they stay valid until the next call that
 * reuses them.
 */
export interface BatchnormBuffers {
  out: FloatArray;
  xhat: FloatArray;
  xmu: FloatArray;
}

/**
 * Batch norm's forward pass in TypeScript (`BatchnormForwardFn`): the definition every
 * backend's `batchnorm.forward` reproduces bit for bit. Three row-major passes in
 * train mode: the column means; x − mean (stored) with the column sums of its
 * squares; then xhat and out (numpy's two-pass variance, so the result equals the
 * assignment's). In test mode mu and v are given and the first two passes are one.
 */
export function batchnormForwardReference(
  train: boolean, N: number, D: number, eps: number, x: FloatArray, gamma: FloatArray, beta: FloatArray,
  mu: Float64Array, v: Float64Array, sqrtvar: Float64Array, ivar: Float64Array, xmu: FloatArray, xhat: FloatArray, out: FloatArray,
): void {
  if (train) {
    // step 1: mu = mean over the batch (column sums in row order, as sumRows)
    mu.fill(0, 0, D);
    for (let i = 0; i < N; i++) {
      const r = i * D;
      for (let j = 0; j < D; j++) mu[j] = mu[j]! + x[r + j]!;
    }
    for (let j = 0; j < D; j++) mu[j] = mu[j]! / N;
    // steps 2-4: xmu = x - mu, stored in x's dtype; var = mean of xmu² (biased),
    // from the stored values as numpy squares the rounded xmu.
    v.fill(0, 0, D);
    for (let i = 0; i < N; i++) {
      const r = i * D;
      for (let j = 0; j < D; j++) {
        xmu[r + j] = x[r + j]! - mu[j]!;
        const e = xmu[r + j]!;
        v[j] = v[j]! + e * e;
      }
    }
    for (let j = 0; j < D; j++) v[j] = v[j]! / N;
  } else {
    for (let i = 0; i < N; i++) {
      const r = i * D;
      for (let j = 0; j < D; j++) xmu[r + j] = x[r + j]! - mu[j]!;
    }
  }
  // steps 5-6: sqrtvar = sqrt(var + eps), ivar = 1 / sqrtvar
  for (let j = 0; j < D; j++) {
    sqrtvar[j] = Math.sqrt(v[j]! + eps);
    ivar[j] = 1 / sqrtvar[j]!;
  }
  // steps 7-9: xhat = xmu·ivar, out = gamma·xhat + beta
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) {
      xhat[r + j] = xmu[r + j]! * ivar[j]!;
      out[r + j] = gamma[j]! * xhat[r + j]! + beta[j]!;
    }
  }
}

/**
 * Forward pass of batch normalization.
 *
 * Train mode: batch mean and biased variance per feature; the running statistics
 * (when given) move towards them (`updateRunningStats`, by the param's
 * `momentum`, `momentumWeights` and `runningVariance`). Test mode: the running
 * statistics normalize.
 *
 * The arithmetic is `batchnormForwardReference`'s (or the active backend's kernel,
 * the same bits); this function checks, allocates and updates the running statistics.
 *
 * @param x input (N, D)
 * @param gamma scale (D), dtype of x
 * @param beta shift (D), dtype of x
 * @param buffers optional preallocated outputs (see `BatchnormBuffers`)
 * @returns out (N, D) and the cache for either backward pass
 */
export function batchnormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  bnParam: BatchnormParam,
  buffers?: BatchnormBuffers,
): { out: Tensor; cache: BatchnormCache } {
  const fn = "batchnormForward";
  const [N, D] = expect2d(fn, "x", x);
  expectShape(fn, "gamma", gamma, [D]);
  expectShape(fn, "beta", beta, [D]);
  expectDtype(fn, "gamma", gamma, x.dtype);
  expectDtype(fn, "beta", beta, x.dtype);
  // NOTE: numpy's mean of an empty batch is NaN (with a warning), which the momentum update
  // then writes into the running statistics for good; refuse instead of poisoning them.
  if (N === 0 && bnParam.mode === "train") throw new RangeError(`${fn}: x has no rows (N = 0); train mode needs a batch to take its mean and variance from`);
  const { eps, update } = checkParam(fn, bnParam, N, D, x.dtype);
  const xd = x.data;
  const ND = N * D;
  const train = bnParam.mode === "train";
  const running = bnParam.running;
  const mu = new Float64Array(D);
  const v = new Float64Array(D);
  if (!train) {
    mu.set(running!.mean);
    v.set(running!.var);
  }
  const sqrtvar = new Float64Array(D);
  const ivar = new Float64Array(D);
  const xmu = outputBuffer(fn, "xmu", buffers?.xmu, ND, xd);
  const xhat = outputBuffer(fn, "xhat", buffers?.xhat, ND, xd);
  const out = outputBuffer(fn, "out", buffers?.out, ND, xd);
  const g = gamma.data;
  (activeKernel("batchnorm", ND) ?? batchnormReference).forward(train, N, D, eps, xd, g, beta.data, mu, v, sqrtvar, ivar, xmu, xhat, out);
  if (train && running !== undefined) updateRunningStats(running, mu, v, N, update);
  const cache: BatchnormCache = { mode: bnParam.mode, N, D, xhat, xmu, gamma: g, ivar, sqrtvar, var: v, eps };
  return { out: new Tensor(out, [N, D]), cache };
}

function checkDout(fn: string, dout: Tensor, cache: BatchnormCache): void {
  expectShape(fn, "dout", dout, [cache.N, cache.D]);
  if ((cache.xhat instanceof Float64Array ? "float64" : "float32") !== dout.dtype) {
    throw new RangeError(`${fn}: dout must have the dtype of x, found ${dout.dtype}`);
  }
}

/** A new array of D elements of the dtype of `like`. */
function vectorLike(like: FloatArray, D: number): FloatArray {
  return like instanceof Float64Array ? new Float64Array(D) : new Float32Array(D);
}

/** Column sums of dout and of dout·xhat (dbeta, dgamma) in one pass, in row order as sumRows, into dbeta and dgamma. */
function paramGradsInto(dd: FloatArray, xhat: FloatArray, N: number, D: number, dbeta: FloatArray, dgamma: FloatArray): void {
  const sb = new Float64Array(D);
  const sg = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) {
      const d = dd[r + j]!;
      sb[j] = sb[j]! + d;
      sg[j] = sg[j]! + d * xhat[r + j]!;
    }
  }
  dbeta.set(sb);
  dgamma.set(sg);
}

/** `paramGradsInto` into new arrays of the dtype of dout. */
function paramGrads(dd: FloatArray, xhat: FloatArray, N: number, D: number): { dbeta: FloatArray; dgamma: FloatArray } {
  const dbeta = vectorLike(dd, D);
  const dgamma = vectorLike(dd, D);
  paramGradsInto(dd, xhat, N, D, dbeta, dgamma);
  return { dbeta, dgamma };
}

/** Test mode: the statistics are constants, so dx = dout·gamma·ivar. */
function testModeBackward(dout: Tensor, c: BatchnormCache, dxBuffer: FloatArray | undefined): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const { N, D } = c;
  const dd = dout.data;
  const { dbeta, dgamma } = paramGrads(dd, c.xhat, N, D);
  const dx = outputBuffer("batchnormBackward", "dx", dxBuffer, N * D, dd);
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) dx[r + j] = dd[r + j]! * c.gamma[j]! * c.ivar[j]!;
  }
  return { dx: new Tensor(dx, [N, D]), dgamma: new Tensor(dgamma, [D]), dbeta: new Tensor(dbeta, [D]) };
}

/**
 * Backward pass of batch normalization, staged: back through the computation
 * graph of the forward pass one node at a time (steps 9 to 0 of the notebook),
 * summing the gradients of every node with more than one outgoing branch.
 *
 * The per-element nodes are evaluated row by row in three fused passes (no N×D
 * intermediates); every node's value is still rounded to the dtype exactly as if
 * it were stored, so the result equals the node-by-node evaluation.
 *
 * @param dout upstream gradient (N, D)
 * @param dxBuffer optional preallocated dx (N·D, dtype of dout)
 * @returns dx (N, D), dgamma (D), dbeta (D)
 */
export function batchnormBackward(dout: Tensor, cache: BatchnormCache, dxBuffer?: FloatArray): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  checkDout("batchnormBackward", dout, cache);
  if (cache.mode === "test") return testModeBackward(dout, cache, dxBuffer);
  const { N, D, xhat, xmu, gamma, ivar, sqrtvar, var: v, eps } = cache;
  const dd = dout.data;
  const dx = outputBuffer("batchnormBackward", "dx", dxBuffer, N * D, dd);
  // One row of each per-element node, in the dtype (storing rounds as numpy does).
  const row = (): FloatArray => (dd instanceof Float64Array ? new Float64Array(D) : new Float32Array(D));
  const dxhat = row();
  const dxmu1 = row();
  const dxmu2 = row();

  // step 9: out = gammax + beta. beta was broadcast over the rows, so its
  // gradient sums over them; gammax passes dout through unchanged (dgammax = dout).
  // step 8: gammax = gamma * xhat: dgamma = Σ_rows dgammax·xhat, dxhat = dgammax·gamma.
  // step 7: xhat = xmu * ivar: ivar was broadcast, so divar = Σ_rows dxhat·xmu.
  const { dbeta, dgamma } = paramGrads(dd, xhat, N, D);
  const divar = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) dxhat[j] = dd[r + j]! * gamma[j]!;
    for (let j = 0; j < D; j++) divar[j] = divar[j]! + dxhat[j]! * xmu[r + j]!;
  }

  // step 6: ivar = 1 / sqrtvar.  step 5: sqrtvar = sqrt(var + eps).
  // step 4: var = (1/N) Σ_rows sq. NOTE: the gradient of a mean is the same
  // (1/N)·dvar for every row; we keep that broadcast row (D) instead of an
  // (N, D) array of identical rows.
  const dsq = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    const dsqrtvar = (-1 / (sqrtvar[j]! * sqrtvar[j]!)) * divar[j]!;
    const dvar = (0.5 / Math.sqrt(v[j]! + eps)) * dsqrtvar;
    dsq[j] = dvar / N;
  }

  // step 7 (the xmu branch): dxmu1 = dxhat·ivar.  step 3: sq = xmu², dxmu2 = 2·xmu·dsq.
  // step 2: xmu = x - mu. NOTE: xmu has two outgoing branches (to xhat in step 7
  // and to sq in step 3): its gradient is the sum dx1 = dxmu1 + dxmu2, which flows
  // to x directly and, negated and summed over the rows, to mu. dx1 goes into dx.
  const dmu = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) dxhat[j] = dd[r + j]! * gamma[j]!;
    for (let j = 0; j < D; j++) dxmu1[j] = dxhat[j]! * ivar[j]!;
    for (let j = 0; j < D; j++) dxmu2[j] = 2 * xmu[r + j]! * dsq[j]!;
    for (let j = 0; j < D; j++) {
      dx[r + j] = dxmu1[j]! + dxmu2[j]!;
      dmu[j] = dmu[j]! + dx[r + j]!;
    }
  }

  // step 1: mu = (1/N) Σ_rows x: every row gets (1/N)·dmu (a broadcast row again).
  const dx2 = new Float64Array(D);
  for (let j = 0; j < D; j++) dx2[j] = -dmu[j]! / N;

  // step 0: x has two outgoing branches (to xmu and to mu): sum them.
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) dx[r + j] = dx[r + j]! + dx2[j]!;
  }

  return { dx: new Tensor(dx, [N, D]), dgamma: new Tensor(dgamma, [D]), dbeta: new Tensor(dbeta, [D]) };
}

/**
 * Batch norm's closed-form backward in TypeScript (`BatchnormAltFn`), the definition
 * of `batchnorm.alt`: two passes, the column sums (dbeta, dgamma, float64 accumulation
 * rounded to the dtype), then dx = scale·(N·dout − dbeta − xhat·dgamma) in float64,
 * rounded once, with scale = gamma·ivar/N.
 */
export function batchnormAltReference(
  N: number, D: number, dout: FloatArray, xhat: FloatArray, gamma: FloatArray, ivar: Float64Array,
  dx: FloatArray, dbeta: FloatArray, dgamma: FloatArray,
): void {
  paramGradsInto(dout, xhat, N, D, dbeta, dgamma);
  const scale = new Float64Array(D);
  for (let j = 0; j < D; j++) scale[j] = (gamma[j]! * ivar[j]!) / N;
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) {
      dx[r + j] = scale[j]! * (N * dout[r + j]! - dbeta[j]! - xhat[r + j]! * dgamma[j]!);
    }
  }
}

/** Batch norm's reference kernels (the "ts" backend's). */
export const batchnormReference: BatchnormKernels = { alt: batchnormAltReference, forward: batchnormForwardReference };

/**
 * Backward pass of batch normalization in closed form, derived on paper:
 *
 *   dx = (gamma·ivar / N) · (N·dout − Σ_rows dout − xhat · Σ_rows(dout·xhat))
 *
 * where the two sums are exactly dbeta and dgamma. Same cache as `batchnormBackward`.
 *
 * @param dout upstream gradient (N, D)
 * @param dxBuffer optional preallocated dx (N·D, dtype of dout)
 * @returns dx (N, D), dgamma (D), dbeta (D)
 */
export function batchnormBackwardAlt(dout: Tensor, cache: BatchnormCache, dxBuffer?: FloatArray): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  checkDout("batchnormBackwardAlt", dout, cache);
  if (cache.mode === "test") return testModeBackward(dout, cache, dxBuffer);
  const { N, D, xhat, gamma, ivar } = cache;
  const dd = dout.data;
  const dx = outputBuffer("batchnormBackwardAlt", "dx", dxBuffer, N * D, dd);
  const dbeta = vectorLike(dd, D);
  const dgamma = vectorLike(dd, D);
  // NOTE: the WebAssembly kernels give dbeta, dgamma and float64 dx bit for bit; their
  // float32 dx is evaluated in float32 as numpy does, within a few ulps of the reference's.
  (activeKernel("batchnorm", N * D) ?? batchnormReference).alt(N, D, dd, xhat, gamma, ivar, dx, dbeta, dgamma);
  return { dx: new Tensor(dx, [N, D]), dgamma: new Tensor(dgamma, [D]), dbeta: new Tensor(dbeta, [D]) };
}
