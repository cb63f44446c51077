/** The rectified linear unit, elementwise: out = max(0, x). */
import { Tensor, allocFloat } from "../core/tensor.js";
import { expectDtype, expectSameShape } from "./checks.js";

/** What `reluBackward` needs: the input. */
export interface ReluCache {
  readonly x: Tensor;
}

/**
 * Forward pass of a ReLU.
 * @param x input of any shape
 * @returns out (shape of x) and the cache
 */
export function reluForward(x: Tensor): { out: Tensor; cache: ReluCache } {
  const xd = x.data;
  const out = allocFloat(xd.length, x.dtype);
  for (let i = 0; i < xd.length; i++) out[i] = xd[i]! > 0 ? xd[i]! : 0;
  return { out: new Tensor(out, x.shape), cache: { x } };
}

/**
 * Backward pass of a ReLU.
 * @param dout upstream gradient (shape of x)
 * @returns dx (shape of x)
 */
export function reluBackward(dout: Tensor, cache: ReluCache): { dx: Tensor } {
  expectSameShape("reluBackward", "dout", dout, cache.x);
  expectDtype("reluBackward", "dout", dout, cache.x.dtype);
  const xd = cache.x.data;
  const dd = dout.data;
  const dx = allocFloat(xd.length, dout.dtype);
  // NOTE: at exactly x = 0 ReLU has no derivative; like the assignment's
  // `dout * (x > 0)` we take the subgradient 0 there. Numerical gradient checks
  // straddling a kink (|x| < h) can disagree with this; they do not test it.
  for (let i = 0; i < xd.length; i++) dx[i] = xd[i]! > 0 ? dd[i]! : 0;
  return { dx: new Tensor(dx, cache.x.shape) };
}
