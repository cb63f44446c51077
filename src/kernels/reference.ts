/**
 * Reference kernels in plain TypeScript that belong to no layer: gemm and the
 * finiteness check. They are the definition of what every fast kernel must compute;
 * they are never deleted and serve as the fallback. (The layers' references sit
 * beside their layers: src/layers/affine.ts, batchnorm.ts, relu.ts; the float32
 * update rules in src/optim/float32.ts.)
 */
import type { FloatArray } from "../core/tensor.js";
import type { AllFiniteFn, GemmFn } from "./types.js";

/**
 * General matrix multiply, row-major:
 *   C (M×N) = op(A) · op(B)            (accumulate = false)
 *   C (M×N) = C + op(A) · op(B)        (accumulate = true)
 * where op(A) is A (M×K) or, with transA, Aᵀ with A stored K×M; likewise op(B)
 * is B (K×N) or, with transB, Bᵀ with B stored N×K.
 *
 * The i-k-j loop order keeps the inner loop contiguous in B and C.
 */
export const gemmReference: GemmFn = function gemmReference(transA, transB, M, N, K, A, B, C, accumulate): void {
  if (!accumulate) C.fill(0, 0, M * N);
  for (let i = 0; i < M; i++) {
    const cRow = i * N;
    for (let k = 0; k < K; k++) {
      const a = transA ? A[k * M + i]! : A[i * K + k]!;
      if (a === 0) continue;
      if (transB) {
        for (let j = 0; j < N; j++) C[cRow + j] = C[cRow + j]! + a * B[j * K + k]!;
      } else {
        const bRow = k * N;
        for (let j = 0; j < N; j++) C[cRow + j] = C[cRow + j]! + a * B[bRow + j]!;
      }
    }
  }
};

/**
 * Whether every element is finite, as one read-only pass with four partial sums of
 * w·0: such a sum is NaN exactly when some w is ±Infinity or NaN (0·Inf and 0·NaN are NaN).
 */
export const allFiniteReference: AllFiniteFn = function allFiniteReference(w: FloatArray): boolean {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n4 = w.length & ~3;
  for (let k = 0; k < n4; k += 4) {
    s0 += w[k]! * 0;
    s1 += w[k + 1]! * 0;
    s2 += w[k + 2]! * 0;
    s3 += w[k + 3]! * 0;
  }
  for (let k = n4; k < w.length; k++) s0 += w[k]! * 0;
  return s0 + s1 + s2 + s3 === 0;
};
