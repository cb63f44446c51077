/**
 * Argument checks shared by the layers: a wrong shape or dtype throws a
 * RangeError naming the argument, the expected shape and the one found.
 */
import type { DType, FloatArray, Tensor } from "../core/tensor.js";

function fmt(shape: readonly (number | string)[]): string {
  return `(${shape.join(", ")})`;
}

/** Throws unless `t` has exactly `shape` (a string entry matches any size; it names the dimension). */
export function expectShape(fn: string, arg: string, t: Tensor, shape: readonly (number | string)[]): void {
  const ok = t.shape.length === shape.length && shape.every((d, i) => typeof d === "string" || t.shape[i] === d);
  if (!ok) throw new RangeError(`${fn}: ${arg} must have shape ${fmt(shape)}, found ${fmt(t.shape)}`);
}

/** Throws unless `t` is 2-D; returns [N, D]. */
export function expect2d(fn: string, arg: string, t: Tensor): [number, number] {
  if (t.shape.length !== 2) throw new RangeError(`${fn}: ${arg} must have shape (N, D), found ${fmt(t.shape)}`);
  return [t.shape[0]!, t.shape[1]!];
}

/** Throws unless `t` has the dtype `dtype` (that of x: every layer computes in one dtype). */
export function expectDtype(fn: string, arg: string, t: Tensor, dtype: DType): void {
  if (t.dtype !== dtype) throw new RangeError(`${fn}: ${arg} must have dtype ${dtype} (that of x), found ${t.dtype}`);
}

/** Throws unless `dout` has the shape of the forward output. */
export function expectSameShape(fn: string, arg: string, t: Tensor, like: Tensor): void {
  expectShape(fn, arg, t, like.shape);
}

/**
 * An output buffer of n elements of the dtype of `like`: the caller's `given`
 * (a model's workspace, reused across calls) or a new zeroed one.
 */
export function outputBuffer(fn: string, name: string, given: FloatArray | undefined, n: number, like: FloatArray): FloatArray {
  if (given === undefined) return like instanceof Float64Array ? new Float64Array(n) : new Float32Array(n);
  if (given.length < n || given instanceof Float64Array !== like instanceof Float64Array) {
    throw new RangeError(`${fn}: buffer ${name} must hold ${n} elements of the dtype of x`);
  }
  return given.length === n ? given : given.subarray(0, n);
}
