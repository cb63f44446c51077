/**
 * The starter module a learner fills in (TypeScript; the JavaScript starter is
 * this with the types stripped). Each function throws "not implemented" until
 * written; its doc comment gives the contract, every shape and the hints.
 */
export const STARTER_TS = `/**
 * Batch normalization, by hand: the functions of the CS231n batch-norm assignment,
 * with bnlab's signatures. Fill them in one at a time and run
 *
 *     npx bnlab exercise check          (add --only cell1, --only batchnormBackward, …)
 *
 * after each. A function that still throws "not implemented" is skipped by the checks.
 * Shapes: N rows (the batch), D features. A Tensor is { data: Float64Array | Float32Array,
 * shape }, row-major: element (i, j) of an (N, D) tensor is data[i * D + j].
 * Every output has the dtype of x: allocate with \`Tensor.zeros(shape, x.dtype)\`.
 * Never change an array you were given (x, gamma, beta, dout, the cache): the checks look.
 */
import { Tensor, affineForward, affineBackward, reluForward, reluBackward } from "bnlab";
import type { AffineCache, BatchnormParam, NormSpec, ReluCache } from "bnlab";

export interface BatchnormCache {
  // what your forward pass keeps for the backward passes: choose the fields yourself
  [key: string]: unknown;
}

/**
 * Batch normalization, forward.
 *
 * Train mode (bnParam.mode === "train"): for each feature j, the batch mean mu_j and the
 * batch variance var_j (the biased one: divide by N, as numpy's var does), then
 *   xhat = (x − mu) / sqrt(var + eps),   out = gamma · xhat + beta.
 * When bnParam.running is given, move the running statistics towards the batch's, in place:
 *   running.mean[j] = momentum · running.mean[j] + (1 − momentum) · mu_j   (same for var)
 * Test mode: normalize with running.mean and running.var instead, and change nothing.
 * The running statistics belong to the caller (the model); they start at zeros.
 *
 * @param x input (N, D)
 * @param gamma scale (D)
 * @param beta shift (D)
 * @param bnParam { mode: "train" | "test", eps = 1e-5, momentum = 0.9, running?: { mean: (D), var: (D) } }
 * @returns out (N, D) and the cache your backward passes read
 *
 * Hints: write it as the small steps of the computation graph (mean, x − mean, its square,
 * variance, sqrt(var + eps), its inverse, xhat, gamma·xhat, + beta) and keep the
 * intermediates in the cache. eps goes inside the square root. With N = 1 the variance is 0:
 * out must still be finite (it equals beta).
 */
export function batchnormForward(x: Tensor, gamma: Tensor, beta: Tensor, bnParam: BatchnormParam): { out: Tensor; cache: BatchnormCache } {
  throw new Error("not implemented: batchnormForward");
}

/**
 * Batch normalization, backward, staged: back through the computation graph of your
 * forward pass one node at a time, from out to x.
 *
 * @param dout upstream gradient (N, D)
 * @param cache what batchnormForward returned (train mode)
 * @returns dx (N, D), dgamma (D), dbeta (D)
 *
 * Hints: go through your forward steps in reverse. beta and gamma were broadcast over the
 * rows, so their gradients sum over the rows. Some nodes feed two others (x feeds both
 * x − mean and the mean; x − mean feeds both xhat and the variance): a node's gradient is
 * the sum over all the branches leaving it. The gradient of a mean over N rows gives every
 * row 1/N of it. Check the shapes at every step.
 */
export function batchnormBackward(dout: Tensor, cache: BatchnormCache): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  throw new Error("not implemented: batchnormBackward");
}

/**
 * Batch normalization, backward, in closed form: work the staged gradient out on paper
 * and simplify it to one expression for dx. Same cache, same results as the staged pass,
 * and faster (cell 4 times both).
 *
 * @param dout upstream gradient (N, D)
 * @param cache what batchnormForward returned (train mode)
 * @returns dx (N, D), dgamma (D), dbeta (D)
 *
 * Hints: dbeta and dgamma are as before. Written with xhat, the inverse standard deviation
 * and the two column sums Σ dout and Σ dout·xhat, dx fits on one line; mind the factor 1/N
 * in front and the gamma.
 */
export function batchnormBackwardAlt(dout: Tensor, cache: BatchnormCache): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  throw new Error("not implemented: batchnormBackwardAlt");
}

export interface LayernormCache {
  // what your layer-norm forward pass keeps for its backward pass
  [key: string]: unknown;
}

/**
 * Layer normalization, forward: like batch norm with the roles of rows and columns
 * exchanged for the statistics. Each sample i (row) is normalized over its own D features:
 *   xhat[i, :] = (x[i, :] − mean_i) / sqrt(var_i + eps),   out = gamma · xhat + beta (per feature).
 * No running statistics: train and test compute the same thing.
 *
 * @param x input (N, D)
 * @param gamma scale (D)
 * @param beta shift (D)
 * @param lnParam { eps = 1e-5 }
 * @returns out (N, D) and the cache
 *
 * Hint: the statistics run along axis 1 (over j for each i); gamma and beta still act per feature.
 */
export function layernormForward(x: Tensor, gamma: Tensor, beta: Tensor, lnParam: { eps?: number }): { out: Tensor; cache: LayernormCache } {
  throw new Error("not implemented: layernormForward");
}

/**
 * Layer normalization, backward.
 *
 * @param dout upstream gradient (N, D)
 * @param cache what layernormForward returned
 * @returns dx (N, D), dgamma (D), dbeta (D)
 *
 * Hints: dgamma and dbeta sum over the rows as in batch norm. For dx, apply batch norm's
 * closed form to each row, with D in the place of N and dout·gamma in the place of dout.
 */
export function layernormBackward(dout: Tensor, cache: LayernormCache): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
  throw new Error("not implemented: layernormBackward");
}

export interface AffineNormReluCache {
  // the sandwich's cache: the three layers' caches
  fc: AffineCache;
  norm: BatchnormCache;
  relu: ReluCache;
}

/**
 * The affine – batch norm – ReLU sandwich that each hidden layer of the fully connected
 * net with batch norm is made of. It only composes: affineForward and reluForward come
 * from bnlab, the batch norm in the middle is yours.
 *
 * @param x input (N, D); w (D, M); b, gamma, beta (M)
 * @param norm { kind: "batchnorm", param: bnParam } (pass norm.param to your batchnormForward)
 * @returns out (N, M) and the three caches
 */
export function affineNormReluForward(
  x: Tensor, w: Tensor, b: Tensor, gamma: Tensor, beta: Tensor, norm: NormSpec,
): { out: Tensor; cache: AffineNormReluCache } {
  throw new Error("not implemented: affineNormReluForward");
}

/**
 * Backward of the sandwich: the three backward passes in reverse order (ReLU, then your
 * batch norm — either backward — then affine).
 *
 * @param dout upstream gradient (N, M)
 * @returns dx (N, D), dw (D, M), db, dgamma, dbeta (M)
 */
export function affineNormReluBackward(
  dout: Tensor, cache: AffineNormReluCache,
): { dx: Tensor; dw: Tensor; db: Tensor; dgamma: Tensor; dbeta: Tensor } {
  throw new Error("not implemented: affineNormReluBackward");
}
`;
