/**
 * Layer normalization (Ba, Kiros & Hinton 2016) for (N, D) inputs: each sample
 * is normalized over its own features, then scaled by gamma and shifted by beta
 * per feature. No running statistics: train and test compute the same thing.
 */
import { OptionError } from "../core/errors.js";
import { Tensor, allocFloat } from "../core/tensor.js";
import type { FloatArray } from "../core/tensor.js";
import { expect2d, expectDtype, expectShape } from "./checks.js";
import { sumRows, sumRowsProduct } from "./reductions.js";

/** Options of a layer-norm forward pass. */
export interface LayernormParam {
  /** Added to the variance before the square root; default 1e-5. */
  eps?: number;
}

/** What `layernormBackward` needs. Per-sample statistics are float64. */
export interface LayernormCache {
  readonly N: number;
  readonly D: number;
  /** Normalized input (N, D), dtype of x. */
  readonly xhat: FloatArray;
  /** Scale (D). */
  readonly gamma: FloatArray;
  /** 1 / sqrt(var + eps) per sample (N). */
  readonly ivar: Float64Array;
}

/**
 * Forward pass of layer normalization.
 *
 * @param x input (N, D)
 * @param gamma scale (D), dtype of x
 * @param beta shift (D), dtype of x
 * @returns out (N, D) and the cache
 */
export function layernormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  lnParam: LayernormParam = {},
): { out: Tensor; cache: LayernormCache } {
  const fn = "layernormForward";
  const [N, D] = expect2d(fn, "x", x);
  expectShape(fn, "gamma", gamma, [D]);
  expectShape(fn, "beta", beta, [D]);
  expectDtype(fn, "gamma", gamma, x.dtype);
  expectDtype(fn, "beta", beta, x.dtype);
  const eps = lnParam.eps ?? 1e-5;
  if (!(eps > 0) || !Number.isFinite(eps)) throw new OptionError("lnParam.eps", "a positive number", eps);
  const xd = x.data;
  const g = gamma.data;
  const b = beta.data;
  const xhat = allocFloat(N * D, x.dtype);
  const out = allocFloat(N * D, x.dtype);
  const ivar = new Float64Array(N);
  for (let i = 0; i < N; i++) {
    const r = i * D;
    let mu = 0;
    for (let j = 0; j < D; j++) mu += xd[r + j]!;
    mu /= D;
    let v = 0;
    for (let j = 0; j < D; j++) {
      const c = xd[r + j]! - mu;
      v += c * c;
    }
    v /= D;
    const iv = 1 / Math.sqrt(v + eps);
    ivar[i] = iv;
    for (let j = 0; j < D; j++) {
      xhat[r + j] = (xd[r + j]! - mu) * iv;
      out[r + j] = g[j]! * xhat[r + j]! + b[j]!;
    }
  }
  return { out: new Tensor(out, [N, D]), cache: { N, D, xhat, gamma: g, ivar } };
}

/**
 * Backward pass of layer normalization: the batch-norm closed form with the
 * roles of samples and features exchanged for the normalization, per sample i:
 *
 *   dx_i = (ivar_i / D) · (D·dxhat_i − Σ_j dxhat_ij − xhat_i · Σ_j dxhat_ij·xhat_ij),  dxhat = dout·gamma
 *
 * @param dout upstream gradient (N, D)
 * @returns dx (N, D), dgamma (D), dbeta (D)
 */
export function layernormBackward(dout: Tensor, cache: LayernormCache): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const { N, D, xhat, gamma, ivar } = cache;
  expectShape("layernormBackward", "dout", dout, [N, D]);
  if ((xhat instanceof Float64Array ? "float64" : "float32") !== dout.dtype) {
    throw new RangeError(`layernormBackward: dout must have the dtype of x, found ${dout.dtype}`);
  }
  const dt = dout.dtype;
  const dd = dout.data;
  // gamma and beta act per feature, so their gradients sum over the samples.
  const dbeta = sumRows(dd, N, D, allocFloat(D, dt));
  const dgamma = sumRowsProduct(dd, xhat, N, D, allocFloat(D, dt));
  const dx = allocFloat(N * D, dt);
  const dxhat = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    const r = i * D;
    let s1 = 0;
    let s2 = 0;
    for (let j = 0; j < D; j++) {
      dxhat[j] = dd[r + j]! * gamma[j]!;
      s1 += dxhat[j]!;
      s2 += dxhat[j]! * xhat[r + j]!;
    }
    const k = ivar[i]! / D;
    for (let j = 0; j < D; j++) dx[r + j] = k * (D * dxhat[j]! - s1 - xhat[r + j]! * s2);
  }
  return { dx: new Tensor(dx, [N, D]), dgamma: new Tensor(dgamma, [D]), dbeta: new Tensor(dbeta, [D]) };
}
