/**
 * The wasm-simd gemm bit for bit against a scalar emulation of its arithmetic: each
 * element of C sums fl(a·b) in float32 (float64) from +0 over a k block of 256 in k
 * order (the zero row the packers pad an odd block with adds +0, which never changes a
 * sum that starts at +0), then C = block sum for the first block of a plain product,
 * else C = block sum + C.
 * This pins the summation order, so changes to tiling, packing or the copy-out of
 * asm/gemm.ts can be shown not to change any bit (the float64 comparisons of
 * test/kernels.test.ts would not notice). wasm-relaxed fuses the multiply-add and is
 * not covered here.
 */
import { describe, expect, it } from "vitest";
import { availableKernelPaths } from "../src/node.js";
import { backendFor } from "../src/kernels/index.js";
import type { FloatArray } from "../src/node.js";
import { mulberry32 } from "./helpers/seeded.js";

const KC = 256;
const DIMS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 13, 16, 17, 31, 33, 50, 64, 65, 100, 257, 300, 513];
const SPECIAL = [Number.NaN, 0, -0, Infinity, -Infinity, 1e-45, -1e-45, 3e38, -3e38];

function emulate(
  f32: boolean, transA: boolean, transB: boolean, M: number, N: number, K: number, A: FloatArray, B: FloatArray, C: FloatArray, accumulate: boolean,
): void {
  const r = f32 ? Math.fround : (v: number): number => v;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let c = C[i * N + j]!;
      for (let k0 = 0; k0 < K; k0 += KC) {
        const kc = Math.min(KC, K - k0);
        let t = 0;
        for (let k = k0; k < k0 + kc; k++) {
          const a = transA ? A[k * M + i]! : A[i * K + k]!;
          const b = transB ? B[j * K + k]! : B[k * N + j]!;
          t = r(t + r(a * b));
        }
        c = k0 === 0 && !accumulate ? t : r(t + c);
      }
      C[i * N + j] = c;
    }
  }
}

function sameBits(a: FloatArray, b: FloatArray): string | null {
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) continue;
    if (!Object.is(a[i], b[i])) return `[${i}]: ${Object.is(a[i], -0) ? "-0" : a[i]} vs ${Object.is(b[i], -0) ? "-0" : b[i]}`;
  }
  return null;
}

describe.runIf(availableKernelPaths().includes("wasm-simd"))("wasm-simd gemm summation order", () => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`${dtype}: equals the scalar emulation bit for bit (ragged shapes, every transpose, accumulate, special values)`, () => {
      const g = backendFor("wasm-simd").gemm;
      const rnd = mulberry32(dtype === "float32" ? 31 : 32);
      const pick = (): number => DIMS[Math.floor(rnd() * DIMS.length)]!;
      const make = (n: number, special: boolean): FloatArray => {
        const a = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
        for (let i = 0; i < n; i++) a[i] = special && rnd() < 0.03 ? SPECIAL[Math.floor(rnd() * SPECIAL.length)]! : (rnd() - 0.5) * 4;
        return a;
      };
      const shapes: [number, number, number][] = [[50, 100, 3072], [3072, 100, 50], [50, 100, 100], [6, 8, 257], [7, 9, 513], [1, 1, 1]];
      while (shapes.length < 70) {
        let [M, N, K] = [pick(), pick(), pick()];
        while (M * N * K > 200_000) {
          if (M >= N) M = Math.ceil(M / 3);
          else N = Math.ceil(N / 3);
        }
        shapes.push([M, N, K]);
      }
      shapes.forEach(([M, N, K], n) => {
        const transA = n % 4 === 1 || n % 4 === 3;
        const transB = n % 4 >= 2;
        const accumulate = n % 3 === 2;
        const special = n % 5 === 4;
        const A = make(M * K, special);
        const B = make(K * N, special);
        const C0 = make(M * N, special);
        const [c1, c2] = [C0.slice(), C0.slice()];
        g(transA, transB, M, N, K, A, B, c1, accumulate);
        emulate(dtype === "float32", transA, transB, M, N, K, A, B, c2, accumulate);
        const bad = sameBits(c1, c2);
        expect(bad, `(M, N, K) = (${M}, ${N}, ${K}) transA ${transA} transB ${transB} accumulate ${accumulate}`).toBeNull();
      });
    });

    it(`${dtype}: equals the scalar emulation at the packers' and edge kernels' boundaries, every transpose`, () => {
      // Rows around the 6-row tiles and the groups of 16 tiles that packA copies per k row of Aᵀ,
      // columns around the 8-wide panels and the narrow edge panels, k around the 256 blocks.
      const Ms = [1, 2, 3, 4, 5, 6, 7, 11, 12, 13, 50, 95, 96, 97, 102, 193];
      const Ns = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 50, 52];
      const Ks = [1, 2, 7, 50, 255, 256, 257, 300];
      const g = backendFor("wasm-simd").gemm;
      const rnd = mulberry32(dtype === "float32" ? 41 : 42);
      const pick = (xs: number[]): number => xs[Math.floor(rnd() * xs.length)]!;
      const make = (n: number): FloatArray => {
        const a = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
        for (let i = 0; i < n; i++) a[i] = (rnd() - 0.5) * 4;
        return a;
      };
      const shapes: [number, number, number][] = [[193, 50, 300], [97, 2, 257], [50, 50, 3072], [3072, 50, 50], [102, 52, 7]];
      while (shapes.length < 160) shapes.push([pick(Ms), pick(Ns), pick(Ks)]);
      shapes.forEach(([M, N, K], n) => {
        for (const [transA, transB] of [[false, false], [true, false], [false, true], [true, true]] as const) {
          const accumulate = n % 2 === 1;
          const A = make(M * K);
          const B = make(K * N);
          const C0 = make(M * N);
          const [c1, c2] = [C0.slice(), C0.slice()];
          g(transA, transB, M, N, K, A, B, c1, accumulate);
          emulate(dtype === "float32", transA, transB, M, N, K, A, B, c2, accumulate);
          const bad = sameBits(c1, c2);
          expect(bad, `(M, N, K) = (${M}, ${N}, ${K}) transA ${transA} transB ${transB} accumulate ${accumulate}`).toBeNull();
        }
      });
    });
  }
});
