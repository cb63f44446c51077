/**
 * Reference kernels in plain TypeScript. These are the definition of what every
 * fast kernel must compute; they are never deleted and serve as the fallback.
 */
import type { FloatArray } from "../core/tensor.js";

/**
 * General matrix multiply, row-major:
 *   C (M×N) = op(A) · op(B)            (accumulate = false)
 *   C (M×N) = C + op(A) · op(B)        (accumulate = true)
 * where op(A) is A (M×K) or, with transA, Aᵀ with A stored K×M; likewise op(B)
 * is B (K×N) or, with transB, Bᵀ with B stored N×K.
 *
 * The i-k-j loop order keeps the inner loop contiguous in B and C.
 */
export function gemmReference(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  accumulate: boolean,
): void {
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
}
