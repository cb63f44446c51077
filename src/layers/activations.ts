/**
 * Smooth activations, elementwise, beside the ReLU (relu.ts): the logistic
 * sigmoid and tanh. Each forward keeps its output, from which its derivative
 * follows: σ'(x) = σ(x)·(1 − σ(x)) and tanh'(x) = 1 − tanh(x)².
 */
import { Tensor } from "../core/tensor.js";
import type { FloatArray } from "../core/tensor.js";
import { expectDtype, expectSameShape, outputBuffer } from "./checks.js";

/** What `sigmoidBackward` and `tanhBackward` need: the forward's output. */
export interface SmoothActivationCache {
  readonly out: Tensor;
}

/**
 * Forward pass of the logistic sigmoid, out = 1 / (1 + e^(−x)).
 * NOTE: evaluated as e^x / (1 + e^x) for x < 0, so e^(−x) never overflows to
 * Inf (and 1/Inf to an exact 0 where the true value is a tiny positive number).
 * @param x input of any shape
 * @param outBuffer optional preallocated out (size of x, its dtype)
 * @returns out (shape of x), each in [0, 1], and the cache
 */
export function sigmoidForward(x: Tensor, outBuffer?: FloatArray): { out: Tensor; cache: SmoothActivationCache } {
  const xd = x.data;
  const out = outputBuffer("sigmoidForward", "out", outBuffer, xd.length, xd);
  for (let i = 0; i < xd.length; i++) {
    const v = xd[i]!;
    if (v >= 0) {
      out[i] = 1 / (1 + Math.exp(-v));
    } else {
      const e = Math.exp(v);
      out[i] = e / (1 + e);
    }
  }
  const t = new Tensor(out, x.shape);
  return { out: t, cache: { out: t } };
}

/**
 * Backward pass of the sigmoid: dx = dout·σ·(1 − σ), with σ the stored output.
 * @param dout upstream gradient (shape of x)
 * @param dxBuffer optional preallocated dx (size of x, dtype of dout)
 * @returns dx (shape of x)
 */
export function sigmoidBackward(dout: Tensor, cache: SmoothActivationCache, dxBuffer?: FloatArray): { dx: Tensor } {
  expectSameShape("sigmoidBackward", "dout", dout, cache.out);
  expectDtype("sigmoidBackward", "dout", dout, cache.out.dtype);
  const s = cache.out.data;
  const dd = dout.data;
  const dx = outputBuffer("sigmoidBackward", "dx", dxBuffer, s.length, dd);
  for (let i = 0; i < s.length; i++) dx[i] = dd[i]! * s[i]! * (1 - s[i]!);
  return { dx: new Tensor(dx, cache.out.shape) };
}

/**
 * Forward pass of the hyperbolic tangent (Math.tanh, which saturates to ±1 without overflow).
 * @param x input of any shape
 * @param outBuffer optional preallocated out (size of x, its dtype)
 * @returns out (shape of x), each in [−1, 1], and the cache
 */
export function tanhForward(x: Tensor, outBuffer?: FloatArray): { out: Tensor; cache: SmoothActivationCache } {
  const xd = x.data;
  const out = outputBuffer("tanhForward", "out", outBuffer, xd.length, xd);
  for (let i = 0; i < xd.length; i++) out[i] = Math.tanh(xd[i]!);
  const t = new Tensor(out, x.shape);
  return { out: t, cache: { out: t } };
}

/**
 * Backward pass of tanh: dx = dout·(1 − t²), with t the stored output.
 * @param dout upstream gradient (shape of x)
 * @param dxBuffer optional preallocated dx (size of x, dtype of dout)
 * @returns dx (shape of x)
 */
export function tanhBackward(dout: Tensor, cache: SmoothActivationCache, dxBuffer?: FloatArray): { dx: Tensor } {
  expectSameShape("tanhBackward", "dout", dout, cache.out);
  expectDtype("tanhBackward", "dout", dout, cache.out.dtype);
  const t = cache.out.data;
  const dd = dout.data;
  const dx = outputBuffer("tanhBackward", "dx", dxBuffer, t.length, dd);
  for (let i = 0; i < t.length; i++) dx[i] = dd[i]! * (1 - t[i]! * t[i]!);
  return { dx: new Tensor(dx, cache.out.shape) };
}
