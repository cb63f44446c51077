/**
 * Column reductions over an (N, D) row-major buffer, shared by the normalization
 * layers so that the staged and closed-form backward passes sum in the same order
 * (their dgamma and dbeta are then bit-identical). Sums accumulate in float64
 * whatever the dtype of the buffers.
 */
import type { FloatArray } from "../core/tensor.js";

/** out[j] = Σ_i a[i, j] for a of shape (N, D). */
export function sumRows(a: FloatArray, N: number, D: number, out: FloatArray): FloatArray {
  const acc = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) acc[j] = acc[j]! + a[r + j]!;
  }
  out.set(acc);
  return out;
}

/** out[j] = Σ_i a[i, j]·b[i, j] for a, b of shape (N, D). */
export function sumRowsProduct(a: FloatArray, b: FloatArray, N: number, D: number, out: FloatArray): FloatArray {
  const acc = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) acc[j] = acc[j]! + a[r + j]! * b[r + j]!;
  }
  out.set(acc);
  return out;
}

/** The column means Σ_i a[i, j] / N (D, float64): batch norm's step 1, in its order (row by row, then / N). */
export function columnMeans(a: FloatArray, N: number, D: number): Float64Array {
  const mu = new Float64Array(D);
  sumRows(a, N, D, mu);
  for (let j = 0; j < D; j++) mu[j] = mu[j]! / N;
  return mu;
}
