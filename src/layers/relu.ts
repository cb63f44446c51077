/**
 * The rectified linear unit, elementwise: out = max(0, x). On the WebAssembly kernel
 * paths the loops run as branch-free SIMD (asm/relu.ts, the same bits).
 *
 * NOTE: NaN semantics are numpy's. The assignment's `np.maximum(0, x)` keeps a NaN
 * (and -0), so a diverged activation stays NaN and the loss shows the divergence;
 * `x < 0 ? 0 : x` is exactly that (a comparison with NaN is false). The backward
 * pass is `dout * (x > 0)`: a product, so NaN or ±Infinity in dout where x <= 0
 * gives NaN, and a negative dout gives -0, as in numpy.
 */
import { Tensor } from "../core/tensor.js";
import type { FloatArray } from "../core/tensor.js";
import { activeKernel } from "../kernels/index.js";
import type { ReluKernels } from "../kernels/types.js";
import { expectDtype, expectSameShape, outputBuffer } from "./checks.js";

/** ReLU's passes in TypeScript: the definition every backend's `relu` reproduces bit for bit. */
export const reluReference: ReluKernels = {
  forward(x, out) {
    for (let i = 0; i < out.length; i++) out[i] = x[i]! < 0 ? 0 : x[i]!;
  },
  // NOTE: at exactly x = 0 ReLU has no derivative; like the assignment's
  // `dout * (x > 0)` we take the subgradient 0 there. Numerical gradient checks
  // straddling a kink (|x| < h) can disagree with this; they do not test it.
  backward(x, dout, dx) {
    for (let i = 0; i < dx.length; i++) dx[i] = dout[i]! * (x[i]! > 0 ? 1 : 0);
  },
};

/** What `reluBackward` needs: the input. */
export interface ReluCache {
  readonly x: Tensor;
}

/**
 * Forward pass of a ReLU.
 * @param x input of any shape
 * @param outBuffer optional preallocated out (size of x, its dtype), e.g. a model's workspace
 * @returns out (shape of x) and the cache
 */
export function reluForward(x: Tensor, outBuffer?: FloatArray): { out: Tensor; cache: ReluCache } {
  const xd = x.data;
  const out = outputBuffer("reluForward", "out", outBuffer, xd.length, xd);
  (activeKernel("relu", xd.length) ?? reluReference).forward(xd, out);
  return { out: new Tensor(out, x.shape), cache: { x } };
}

/**
 * Backward pass of a ReLU.
 * @param dout upstream gradient (shape of x)
 * @param dxBuffer optional preallocated dx (size of x, dtype of dout)
 * @returns dx (shape of x)
 */
export function reluBackward(dout: Tensor, cache: ReluCache, dxBuffer?: FloatArray): { dx: Tensor } {
  expectSameShape("reluBackward", "dout", dout, cache.x);
  expectDtype("reluBackward", "dout", dout, cache.x.dtype);
  const xd = cache.x.data;
  const dd = dout.data;
  const dx = outputBuffer("reluBackward", "dx", dxBuffer, xd.length, dd);
  (activeKernel("relu", xd.length) ?? reluReference).backward(xd, dd, dx);
  return { dx: new Tensor(dx, cache.x.shape) };
}
