/**
 * "Sandwich" layers that only compose the layers above, as the assignment's
 * layer_utils.py: affine–relu and affine–norm–relu. No math lives here.
 */
import type { FloatArray, Tensor } from "../core/tensor.js";
import { affineBackward, affineForward } from "./affine.js";
import type { AffineCache } from "./affine.js";
import { batchnormBackwardAlt, batchnormForward } from "./batchnorm.js";
import type { BatchnormBuffers, BatchnormCache, BatchnormParam } from "./batchnorm.js";
import { batchrenormBackward, batchrenormForward } from "./batchrenorm.js";
import type { BatchrenormCache, BatchrenormParam } from "./batchrenorm.js";
import { groupnormBackward, groupnormForward } from "./groupnorm.js";
import type { GroupnormCache, GroupnormParam } from "./groupnorm.js";
import { layernormBackward, layernormForward } from "./layernorm.js";
import type { LayernormCache, LayernormParam } from "./layernorm.js";
import { reluBackward, reluForward } from "./relu.js";
import type { ReluCache } from "./relu.js";

/** Which normalization a sandwich applies, with its parameters. */
export type NormSpec =
  | { kind: "batchnorm"; param: BatchnormParam }
  | { kind: "batchrenorm"; param: BatchrenormParam }
  | { kind: "layernorm"; param?: LayernormParam }
  | { kind: "groupnorm"; param: GroupnormParam };

/** The cache of `normForward`, tagged with the kind of normalization. */
export type NormCache =
  | { kind: "batchnorm"; cache: BatchnormCache }
  | { kind: "batchrenorm"; cache: BatchrenormCache }
  | { kind: "layernorm"; cache: LayernormCache }
  | { kind: "groupnorm"; cache: GroupnormCache };

/**
 * Batch, batch-re-, layer or group normalization, chosen by `norm.kind`.
 * @param x input (N, D); gamma, beta (D)
 * @param buffers optional preallocated outputs for batch norm and batch renorm (the others allocate)
 * @returns out (N, D) and a tagged cache
 */
export function normForward(x: Tensor, gamma: Tensor, beta: Tensor, norm: NormSpec, buffers?: BatchnormBuffers): { out: Tensor; cache: NormCache } {
  switch (norm.kind) {
    case "batchnorm": {
      const { out, cache } = batchnormForward(x, gamma, beta, norm.param, buffers);
      return { out, cache: { kind: "batchnorm", cache } };
    }
    case "batchrenorm": {
      const { out, cache } = batchrenormForward(x, gamma, beta, norm.param, buffers);
      return { out, cache: { kind: "batchrenorm", cache } };
    }
    case "layernorm": {
      const { out, cache } = layernormForward(x, gamma, beta, norm.param ?? {});
      return { out, cache: { kind: "layernorm", cache } };
    }
    case "groupnorm": {
      const { out, cache } = groupnormForward(x, gamma, beta, norm.param);
      return { out, cache: { kind: "groupnorm", cache } };
    }
  }
}

/**
 * Backward of `normForward`. NOTE: batch norm uses the closed-form
 * `batchnormBackwardAlt` (the tests show it equals the staged version).
 * @param dout (N, D)
 * @param dxBuffer optional preallocated dx for batch norm and batch renorm (the others allocate)
 * @returns dx (N, D), dgamma (D), dbeta (D)
 */
export function normBackward(dout: Tensor, cache: NormCache, dxBuffer?: FloatArray): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  switch (cache.kind) {
    case "batchnorm":
      return batchnormBackwardAlt(dout, cache.cache, dxBuffer);
    case "batchrenorm":
      return batchrenormBackward(dout, cache.cache, dxBuffer);
    case "layernorm":
      return layernormBackward(dout, cache.cache);
    case "groupnorm":
      return groupnormBackward(dout, cache.cache);
  }
}

/** Cache of an affine–relu sandwich. */
export interface AffineReluCache {
  readonly fc: AffineCache;
  readonly relu: ReluCache;
}

/**
 * affine then ReLU.
 * @param x (N, d1, …, dk); w (D, M); b (M)
 * @returns out (N, M)
 */
export function affineReluForward(x: Tensor, w: Tensor, b: Tensor): { out: Tensor; cache: AffineReluCache } {
  const a = affineForward(x, w, b);
  const r = reluForward(a.out);
  return { out: r.out, cache: { fc: a.cache, relu: r.cache } };
}

/**
 * Backward of `affineReluForward`.
 * @param dout (N, M)
 * @returns dx (shape of x), dw (D, M), db (M)
 */
export function affineReluBackward(dout: Tensor, cache: AffineReluCache): { dx: Tensor; dw: Tensor; db: Tensor } {
  const { dx: da } = reluBackward(dout, cache.relu);
  return affineBackward(da, cache.fc);
}

/** Cache of an affine–norm–relu sandwich. */
export interface AffineNormReluCache {
  readonly fc: AffineCache;
  readonly norm: NormCache;
  readonly relu: ReluCache;
}

/**
 * affine, then a normalization (`norm.kind`), then ReLU.
 * @param x (N, d1, …, dk); w (D, M); b, gamma, beta (M)
 * @returns out (N, M)
 */
export function affineNormReluForward(
  x: Tensor,
  w: Tensor,
  b: Tensor,
  gamma: Tensor,
  beta: Tensor,
  norm: NormSpec,
): { out: Tensor; cache: AffineNormReluCache } {
  const a = affineForward(x, w, b);
  const n = normForward(a.out, gamma, beta, norm);
  const r = reluForward(n.out);
  return { out: r.out, cache: { fc: a.cache, norm: n.cache, relu: r.cache } };
}

/**
 * Backward of `affineNormReluForward`.
 * @param dout (N, M)
 * @returns dx (shape of x), dw (D, M), db, dgamma, dbeta (M)
 */
export function affineNormReluBackward(
  dout: Tensor,
  cache: AffineNormReluCache,
): { dx: Tensor; dw: Tensor; db: Tensor; dgamma: Tensor; dbeta: Tensor } {
  const { dx: dn } = reluBackward(dout, cache.relu);
  const { dx: da, dgamma, dbeta } = normBackward(dn, cache.norm);
  const { dx, dw, db } = affineBackward(da, cache.fc);
  return { dx, dw, db, dgamma, dbeta };
}
