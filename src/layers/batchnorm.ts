/**
 * Batch normalization (Ioffe & Szegedy 2015) for (N, D) inputs: each feature is
 * normalized with statistics over the batch, then scaled by gamma and shifted by
 * beta. The running statistics used at test time are an explicit object owned by
 * the caller (the model), not hidden state in a parameter dictionary.
 */
import { OptionError } from "../core/errors.js";
import { Tensor, allocFloat } from "../core/tensor.js";
import type { DType, FloatArray } from "../core/tensor.js";
import { expect2d, expectDtype, expectShape } from "./checks.js";
import { sumRows, sumRowsProduct } from "./reductions.js";

/** Per-feature running mean and variance (D each), updated by every train-mode forward pass. */
export interface RunningStats {
  mean: FloatArray;
  var: FloatArray;
}

/** Running statistics for D features, starting at zeros as in the assignment. */
export function createRunningStats(D: number, dtype: DType): RunningStats {
  return { mean: allocFloat(D, dtype), var: allocFloat(D, dtype) };
}

/** How a batch-norm forward pass runs. */
export interface BatchnormParam {
  mode: "train" | "test";
  /** Added to the variance before the square root; default 1e-5. */
  eps?: number;
  /** running = momentum·running + (1 − momentum)·batch; default 0.9. */
  momentum?: number;
  /** Updated in train mode when given; required in test mode. */
  running?: RunningStats;
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

function checkParam(fn: string, p: BatchnormParam, D: number, dtype: DType): { eps: number; momentum: number } {
  if (p.mode !== "train" && p.mode !== "test") throw new OptionError("bnParam.mode", '"train" or "test"', p.mode);
  const eps = p.eps ?? 1e-5;
  const momentum = p.momentum ?? 0.9;
  if (!(eps > 0) || !Number.isFinite(eps)) throw new OptionError("bnParam.eps", "a positive number", eps);
  if (!(momentum >= 0 && momentum <= 1)) throw new OptionError("bnParam.momentum", "a number in [0, 1]", momentum);
  if (p.mode === "test" && p.running === undefined) {
    throw new OptionError("bnParam.running", "running statistics in test mode", undefined);
  }
  if (p.running !== undefined) {
    for (const k of ["mean", "var"] as const) {
      const a = p.running[k];
      if (a.length !== D) throw new RangeError(`${fn}: bnParam.running.${k} must have shape (${D}), found (${a.length})`);
      if ((a instanceof Float64Array ? "float64" : "float32") !== dtype) {
        throw new RangeError(`${fn}: bnParam.running.${k} must have dtype ${dtype} (that of x)`);
      }
    }
  }
  return { eps, momentum };
}

/**
 * Forward pass of batch normalization.
 *
 * Train mode: batch mean and biased variance per feature; the running statistics
 * (when given) move towards them. Test mode: the running statistics normalize.
 *
 * @param x input (N, D)
 * @param gamma scale (D), dtype of x
 * @param beta shift (D), dtype of x
 * @returns out (N, D) and the cache for either backward pass
 */
export function batchnormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  bnParam: BatchnormParam,
): { out: Tensor; cache: BatchnormCache } {
  const fn = "batchnormForward";
  const [N, D] = expect2d(fn, "x", x);
  expectShape(fn, "gamma", gamma, [D]);
  expectShape(fn, "beta", beta, [D]);
  expectDtype(fn, "gamma", gamma, x.dtype);
  expectDtype(fn, "beta", beta, x.dtype);
  const { eps, momentum } = checkParam(fn, bnParam, D, x.dtype);
  const xd = x.data;
  const mu = new Float64Array(D);
  const v = new Float64Array(D);
  const xmu = allocFloat(N * D, x.dtype);
  if (bnParam.mode === "train") {
    // step 1: mu = mean over the batch
    sumRows(xd, N, D, mu);
    for (let j = 0; j < D; j++) mu[j] = mu[j]! / N;
    // step 2: xmu = x - mu
    for (let i = 0; i < N * D; i++) xmu[i] = xd[i]! - mu[i % D]!;
    // steps 3-4: var = mean of xmu² (biased)
    sumRowsProduct(xmu, xmu, N, D, v);
    for (let j = 0; j < D; j++) v[j] = v[j]! / N;
    const running = bnParam.running;
    if (running !== undefined) {
      for (let j = 0; j < D; j++) {
        running.mean[j] = momentum * running.mean[j]! + (1 - momentum) * mu[j]!;
        running.var[j] = momentum * running.var[j]! + (1 - momentum) * v[j]!;
      }
    }
  } else {
    const running = bnParam.running!;
    mu.set(running.mean);
    v.set(running.var);
    for (let i = 0; i < N * D; i++) xmu[i] = xd[i]! - mu[i % D]!;
  }
  // steps 5-6: sqrtvar = sqrt(var + eps), ivar = 1 / sqrtvar
  const sqrtvar = new Float64Array(D);
  const ivar = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    sqrtvar[j] = Math.sqrt(v[j]! + eps);
    ivar[j] = 1 / sqrtvar[j]!;
  }
  // steps 7-9: xhat = xmu·ivar, out = gamma·xhat + beta
  const xhat = allocFloat(N * D, x.dtype);
  const out = allocFloat(N * D, x.dtype);
  const g = gamma.data;
  const b = beta.data;
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) {
      xhat[r + j] = xmu[r + j]! * ivar[j]!;
      out[r + j] = g[j]! * xhat[r + j]! + b[j]!;
    }
  }
  const cache: BatchnormCache = { mode: bnParam.mode, N, D, xhat, xmu, gamma: g, ivar, sqrtvar, var: v, eps };
  return { out: new Tensor(out, [N, D]), cache };
}

function checkDout(fn: string, dout: Tensor, cache: BatchnormCache): void {
  expectShape(fn, "dout", dout, [cache.N, cache.D]);
  if ((cache.xhat instanceof Float64Array ? "float64" : "float32") !== dout.dtype) {
    throw new RangeError(`${fn}: dout must have the dtype of x, found ${dout.dtype}`);
  }
}

/** Test mode: the statistics are constants, so dx = dout·gamma·ivar. */
function testModeBackward(dout: Tensor, c: BatchnormCache): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const { N, D } = c;
  const dd = dout.data;
  const dbeta = sumRows(dd, N, D, allocFloat(D, dout.dtype));
  const dgamma = sumRowsProduct(dd, c.xhat, N, D, allocFloat(D, dout.dtype));
  const dx = allocFloat(N * D, dout.dtype);
  for (let i = 0; i < N * D; i++) dx[i] = dd[i]! * c.gamma[i % D]! * c.ivar[i % D]!;
  return { dx: new Tensor(dx, [N, D]), dgamma: new Tensor(dgamma, [D]), dbeta: new Tensor(dbeta, [D]) };
}

/**
 * Backward pass of batch normalization, staged: back through the computation
 * graph of the forward pass one node at a time (steps 9 to 0 of the notebook),
 * summing the gradients of every node with more than one outgoing branch.
 *
 * @param dout upstream gradient (N, D)
 * @returns dx (N, D), dgamma (D), dbeta (D)
 */
export function batchnormBackward(dout: Tensor, cache: BatchnormCache): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  checkDout("batchnormBackward", dout, cache);
  if (cache.mode === "test") return testModeBackward(dout, cache);
  const { N, D, xhat, xmu, gamma, ivar, sqrtvar, var: v, eps } = cache;
  const dt = dout.dtype;
  const ND = N * D;

  // step 9: out = gammax + beta. beta was broadcast over the rows, so its
  // gradient sums over them; gammax passes dout through unchanged.
  const dbeta = sumRows(dout.data, N, D, allocFloat(D, dt));
  const dgammax = dout.data;

  // step 8: gammax = gamma * xhat.
  const dgamma = sumRowsProduct(dgammax, xhat, N, D, allocFloat(D, dt));
  const dxhat = allocFloat(ND, dt);
  for (let i = 0; i < ND; i++) dxhat[i] = dgammax[i]! * gamma[i % D]!;

  // step 7: xhat = xmu * ivar. Both inputs get a gradient; ivar was broadcast,
  // so its gradient sums over the rows.
  const divar = sumRowsProduct(dxhat, xmu, N, D, new Float64Array(D));
  const dxmu1 = allocFloat(ND, dt);
  for (let i = 0; i < ND; i++) dxmu1[i] = dxhat[i]! * ivar[i % D]!;

  // step 6: ivar = 1 / sqrtvar.
  const dsqrtvar = new Float64Array(D);
  for (let j = 0; j < D; j++) dsqrtvar[j] = (-1 / (sqrtvar[j]! * sqrtvar[j]!)) * divar[j]!;

  // step 5: sqrtvar = sqrt(var + eps).
  const dvar = new Float64Array(D);
  for (let j = 0; j < D; j++) dvar[j] = (0.5 / Math.sqrt(v[j]! + eps)) * dsqrtvar[j]!;

  // step 4: var = (1/N) Σ_rows sq. NOTE: the gradient of a mean is the same
  // (1/N)·dvar for every row; we keep that broadcast row (D) instead of an
  // (N, D) array of identical rows.
  const dsq = new Float64Array(D);
  for (let j = 0; j < D; j++) dsq[j] = dvar[j]! / N;

  // step 3: sq = xmu².
  const dxmu2 = allocFloat(ND, dt);
  for (let i = 0; i < ND; i++) dxmu2[i] = 2 * xmu[i]! * dsq[i % D]!;

  // step 2: xmu = x - mu. NOTE: xmu has two outgoing branches (to xhat in step 7
  // and to sq in step 3): its gradient is the sum dxmu1 + dxmu2, which flows to
  // x directly and, negated and summed over the rows, to mu.
  const dx1 = allocFloat(ND, dt);
  for (let i = 0; i < ND; i++) dx1[i] = dxmu1[i]! + dxmu2[i]!;
  const dmu = sumRows(dx1, N, D, new Float64Array(D));
  for (let j = 0; j < D; j++) dmu[j] = -dmu[j]!;

  // step 1: mu = (1/N) Σ_rows x: every row gets (1/N)·dmu (a broadcast row again).
  const dx2 = new Float64Array(D);
  for (let j = 0; j < D; j++) dx2[j] = dmu[j]! / N;

  // step 0: x has two outgoing branches (to xmu and to mu): sum them.
  const dx = allocFloat(ND, dt);
  for (let i = 0; i < ND; i++) dx[i] = dx1[i]! + dx2[i % D]!;

  return { dx: new Tensor(dx, [N, D]), dgamma: new Tensor(dgamma, [D]), dbeta: new Tensor(dbeta, [D]) };
}

/**
 * Backward pass of batch normalization in closed form, derived on paper:
 *
 *   dx = (gamma·ivar / N) · (N·dout − Σ_rows dout − xhat · Σ_rows(dout·xhat))
 *
 * where the two sums are exactly dbeta and dgamma. Same cache as `batchnormBackward`.
 *
 * @param dout upstream gradient (N, D)
 * @returns dx (N, D), dgamma (D), dbeta (D)
 */
export function batchnormBackwardAlt(dout: Tensor, cache: BatchnormCache): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  checkDout("batchnormBackwardAlt", dout, cache);
  if (cache.mode === "test") return testModeBackward(dout, cache);
  const { N, D, xhat, gamma, ivar } = cache;
  const dt = dout.dtype;
  const dd = dout.data;
  const dbeta = sumRows(dd, N, D, allocFloat(D, dt));
  const dgamma = sumRowsProduct(dd, xhat, N, D, allocFloat(D, dt));
  const scale = new Float64Array(D);
  for (let j = 0; j < D; j++) scale[j] = (gamma[j]! * ivar[j]!) / N;
  const dx = allocFloat(N * D, dt);
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) {
      dx[r + j] = scale[j]! * (N * dd[r + j]! - dbeta[j]! - xhat[r + j]! * dgamma[j]!);
    }
  }
  return { dx: new Tensor(dx, [N, D]), dgamma: new Tensor(dgamma, [D]), dbeta: new Tensor(dbeta, [D]) };
}
