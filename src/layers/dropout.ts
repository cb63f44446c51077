/**
 * Inverted dropout: in train mode each unit is kept with probability p and the
 * kept ones are scaled by 1/p, so test mode is the identity.
 */
import { OptionError } from "../core/errors.js";
import { RandomState } from "../core/random.js";
import { Tensor, allocFloat } from "../core/tensor.js";
import type { FloatArray } from "../core/tensor.js";
import { expectDtype, expectShape } from "./checks.js";

/** How a dropout forward pass runs. */
export interface DropoutParam {
  /** Probability of KEEPING a unit, in (0, 1]. */
  p: number;
  mode: "train" | "test";
  /** Draw the mask from a fresh RandomState(seed), as the assignment's `np.random.seed(seed)`. */
  seed?: number;
  /** Draw the mask from this stream (ignored when `seed` is given). */
  rng?: RandomState;
}

/** What `dropoutBackward` needs: the scaled mask (null in test mode). */
export interface DropoutCache {
  readonly mask: FloatArray | null;
  readonly shape: readonly number[];
}

let defaultRng: RandomState | null = null;

/**
 * Forward pass of inverted dropout.
 *
 * Train mode: mask = (rand(...x.shape) < p) / p and out = x·mask, drawing exactly
 * as the assignment's `(np.random.rand(*x.shape) < p) / p`. Without `seed` or
 * `rng` the mask comes from a process-wide unseeded stream.
 *
 * @param x input of any shape
 * @returns out (shape and dtype of x) and the cache
 */
export function dropoutForward(x: Tensor, dropoutParam: DropoutParam): { out: Tensor; cache: DropoutCache } {
  const { p, mode } = dropoutParam;
  if (!(p > 0 && p <= 1)) throw new OptionError("dropoutParam.p", "a keep probability in (0, 1]", p);
  if (mode !== "train" && mode !== "test") throw new OptionError("dropoutParam.mode", '"train" or "test"', mode);
  // NOTE: in test mode inverted dropout is the identity; the output is x itself.
  if (mode === "test") return { out: x, cache: { mask: null, shape: x.shape } };
  let rng: RandomState;
  if (dropoutParam.seed !== undefined) rng = new RandomState(dropoutParam.seed);
  else if (dropoutParam.rng !== undefined) rng = dropoutParam.rng;
  else rng = defaultRng ??= new RandomState();
  const u = rng.rand(...x.shape).data;
  const xd = x.data;
  const mask = allocFloat(xd.length, x.dtype);
  const out = allocFloat(xd.length, x.dtype);
  const keep = 1 / p;
  for (let i = 0; i < xd.length; i++) {
    mask[i] = u[i]! < p ? keep : 0;
    out[i] = xd[i]! * mask[i]!;
  }
  return { out: new Tensor(out, x.shape), cache: { mask, shape: x.shape } };
}

/**
 * Backward pass of inverted dropout: dx = dout·mask (dout itself in test mode).
 * @param dout upstream gradient (shape of x)
 * @returns dx (shape of x)
 */
export function dropoutBackward(dout: Tensor, cache: DropoutCache): { dx: Tensor } {
  expectShape("dropoutBackward", "dout", dout, cache.shape);
  if (cache.mask === null) return { dx: dout };
  expectDtype("dropoutBackward", "dout", dout, cache.mask instanceof Float64Array ? "float64" : "float32");
  const dd = dout.data;
  const mask = cache.mask;
  const dx = allocFloat(dd.length, dout.dtype);
  for (let i = 0; i < dd.length; i++) dx[i] = dd[i]! * mask[i]!;
  return { dx: new Tensor(dx, cache.shape) };
}
