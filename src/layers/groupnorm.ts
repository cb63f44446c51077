/**
 * Group normalization (Wu & He 2018) for (N, D) inputs: the D features of each
 * sample are split into G groups of D / G consecutive features (feature j is in
 * group ⌊j / (D / G)⌋, as PyTorch's GroupNorm splits channels), and each group is
 * normalized over its own features; then a per-feature scale gamma and shift
 * beta. No batch statistics and no running statistics: train and test compute the
 * same thing, whatever the batch size. G = 1 is layer normalization; G = D
 * normalizes every feature on its own (then xhat is 0 and only beta reaches the output).
 *
 * NOTE: the loops are layernorm.ts's, with the row of D features replaced by a
 * group of D / G, operation for operation, so G = 1 gives layer norm's results
 * bit for bit (forward and backward; the tests check both dtypes).
 */
import { OptionError } from "../core/errors.js";
import { Tensor, allocFloat } from "../core/tensor.js";
import type { FloatArray } from "../core/tensor.js";
import { expect2d, expectDtype, expectShape } from "./checks.js";
import { sumRows, sumRowsProduct } from "./reductions.js";

/** Options of a group-norm forward pass. */
export interface GroupnormParam {
  /** Number of groups G: a positive integer dividing D. */
  groups: number;
  /** Added to each group's variance before the square root; default 1e-5. */
  eps?: number;
}

/** What `groupnormBackward` needs. Per-group statistics are float64. */
export interface GroupnormCache {
  readonly N: number;
  readonly D: number;
  /** Number of groups G. */
  readonly G: number;
  /** Normalized input (N, D), dtype of x. */
  readonly xhat: FloatArray;
  /** Scale (D). */
  readonly gamma: FloatArray;
  /** 1 / sqrt(var + eps) per sample and group (N, G), row-major. */
  readonly ivar: Float64Array;
}

/**
 * Forward pass of group normalization.
 *
 * @param x input (N, D), D divisible by gnParam.groups
 * @param gamma scale (D), dtype of x
 * @param beta shift (D), dtype of x
 * @returns out (N, D) and the cache
 */
export function groupnormForward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  gnParam: GroupnormParam,
): { out: Tensor; cache: GroupnormCache } {
  const fn = "groupnormForward";
  const [N, D] = expect2d(fn, "x", x);
  expectShape(fn, "gamma", gamma, [D]);
  expectShape(fn, "beta", beta, [D]);
  expectDtype(fn, "gamma", gamma, x.dtype);
  expectDtype(fn, "beta", beta, x.dtype);
  const G = gnParam.groups;
  if (!Number.isInteger(G) || G < 1) throw new OptionError("gnParam.groups", "a positive integer", G);
  if (D % G !== 0) throw new OptionError("gnParam.groups", `a divisor of the feature count D = ${D}`, G);
  const eps = gnParam.eps ?? 1e-5;
  if (!(eps > 0) || !Number.isFinite(eps)) throw new OptionError("gnParam.eps", "a positive number", eps);
  const Dg = D / G;
  const xd = x.data;
  const g = gamma.data;
  const b = beta.data;
  const xhat = allocFloat(N * D, x.dtype);
  const out = allocFloat(N * D, x.dtype);
  const ivar = new Float64Array(N * G);
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < G; k++) {
      const f = k * Dg; // the group's first feature
      const r = i * D + f;
      let mu = 0;
      for (let j = 0; j < Dg; j++) mu += xd[r + j]!;
      mu /= Dg;
      let v = 0;
      for (let j = 0; j < Dg; j++) {
        const c = xd[r + j]! - mu;
        v += c * c;
      }
      v /= Dg;
      const iv = 1 / Math.sqrt(v + eps);
      ivar[i * G + k] = iv;
      for (let j = 0; j < Dg; j++) {
        xhat[r + j] = (xd[r + j]! - mu) * iv;
        out[r + j] = g[f + j]! * xhat[r + j]! + b[f + j]!;
      }
    }
  }
  return { out: new Tensor(out, [N, D]), cache: { N, D, G, xhat, gamma: g, ivar } };
}

/**
 * Backward pass of group normalization: layer norm's closed form applied to each
 * group of Dg = D / G features, per sample i and group k:
 *
 *   dx_ik = (ivar_ik / Dg) · (Dg·dxhat_ik − Σ dxhat_ik − xhat_ik · Σ dxhat_ik·xhat_ik),  dxhat = dout·gamma
 *
 * with the sums over the group's features. gamma and beta act per feature, so
 * their gradients sum over the samples, as in layer norm.
 *
 * @param dout upstream gradient (N, D)
 * @returns dx (N, D), dgamma (D), dbeta (D)
 */
export function groupnormBackward(dout: Tensor, cache: GroupnormCache): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const { N, D, G, xhat, gamma, ivar } = cache;
  expectShape("groupnormBackward", "dout", dout, [N, D]);
  if ((xhat instanceof Float64Array ? "float64" : "float32") !== dout.dtype) {
    throw new RangeError(`groupnormBackward: dout must have the dtype of x, found ${dout.dtype}`);
  }
  const Dg = D / G;
  const dt = dout.dtype;
  const dd = dout.data;
  const dbeta = sumRows(dd, N, D, allocFloat(D, dt));
  const dgamma = sumRowsProduct(dd, xhat, N, D, allocFloat(D, dt));
  const dx = allocFloat(N * D, dt);
  const dxhat = new Float64Array(Dg);
  for (let i = 0; i < N; i++) {
    for (let k = 0; k < G; k++) {
      const f = k * Dg;
      const r = i * D + f;
      let s1 = 0;
      let s2 = 0;
      for (let j = 0; j < Dg; j++) {
        dxhat[j] = dd[r + j]! * gamma[f + j]!;
        s1 += dxhat[j]!;
        s2 += dxhat[j]! * xhat[r + j]!;
      }
      const c = ivar[i * G + k]! / Dg;
      for (let j = 0; j < Dg; j++) dx[r + j] = c * (Dg * dxhat[j]! - s1 - xhat[r + j]! * s2);
    }
  }
  return { dx: new Tensor(dx, [N, D]), dgamma: new Tensor(dgamma, [D]), dbeta: new Tensor(dbeta, [D]) };
}
