/**
 * Run by test/kernels.test.ts in a child `node --experimental-wasm-relaxed-simd`:
 * the relaxed-SIMD build against the float64 reference on random ragged shapes.
 * Prints one JSON line { paths, cases, worst32, worst64 }.
 */
import { availableKernelPaths, gemmReference, normRelError } from "../src/node.js";
import { backendFor } from "../src/kernels/index.js";

let s = 12345;
const rand = (): number => {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  return s / 4294967296;
};
const DIMS = [1, 2, 3, 5, 6, 7, 8, 9, 17, 33, 65, 129, 257, 513];
const pick = (): number => DIMS[Math.floor(rand() * DIMS.length)]!;
const paths = availableKernelPaths();
const worst = { float32: 0, float64: 0 };
let cases = 0;
if (paths.includes("wasm-relaxed")) {
  const g = backendFor("wasm-relaxed").gemm;
  while (cases < 200) {
    const [M, N, K] = [pick(), pick(), pick()];
    if (M * N * K > 300_000) continue;
    const tA = rand() < 0.5;
    const tB = rand() < 0.5;
    const acc = rand() < 0.5;
    const a = Float64Array.from({ length: M * K }, () => rand() * 2 - 1);
    const b = Float64Array.from({ length: K * N }, () => rand() * 2 - 1);
    const c = Float64Array.from({ length: M * N }, () => rand() * 2 - 1);
    for (const dtype of ["float32", "float64"] as const) {
      const cast = (x: Float64Array): Float32Array | Float64Array => (dtype === "float32" ? Float32Array.from(x) : x.slice());
      const [A, B, C] = [cast(a), cast(b), cast(c)];
      const ref = Float64Array.from(C);
      gemmReference(tA, tB, M, N, K, Float64Array.from(A), Float64Array.from(B), ref, acc);
      g(tA, tB, M, N, K, A, B, C, acc);
      worst[dtype] = Math.max(worst[dtype], normRelError(C, ref));
    }
    cases++;
  }
}
// Rows of C computed in one call equal the same rows computed alone, bit for bit (any M).
let rowSplitCases = 0;
let rowSplitMismatches = 0;
if (paths.includes("wasm-relaxed")) {
  const g = backendFor("wasm-relaxed").gemm;
  for (let c = 0; c < 16; c++) {
    const M = [7, 100, 257, 1000][c % 4]!;
    const N = pick();
    const K = [3, 100, 513, 3072][Math.floor(rand() * 4)]!;
    if (M * N * K > 3_000_000) continue;
    const tA = rand() < 0.5;
    const tB = rand() < 0.5;
    for (const Arr of [Float32Array, Float64Array]) {
      const random = (n: number): Float32Array | Float64Array => {
        const a = new Arr(n);
        for (let i = 0; i < n; i++) a[i] = rand() * 2 - 1;
        return a;
      };
      const A = random(M * K);
      const B = random(K * N);
      const full = new Arr(M * N);
      g(tA, tB, M, N, K, A, B, full, false);
      for (let start = 0; start < M; ) {
        const m = Math.min(M - start, 1 + Math.floor(rand() * 120));
        const As = new Arr(m * K);
        for (let i = 0; i < m; i++) for (let k = 0; k < K; k++) As[tA ? k * m + i : i * K + k] = A[tA ? k * M + start + i : (start + i) * K + k]!;
        const part = new Arr(m * N);
        g(tA, tB, m, N, K, As, B, part, false);
        for (let i = 0; i < m * N; i++) if (!Object.is(part[i], full[start * N + i])) rowSplitMismatches++;
        start += m;
      }
      rowSplitCases++;
    }
  }
}
process.stdout.write(`${JSON.stringify({ paths, cases, worst32: worst.float32, worst64: worst.float64, rowSplitCases, rowSplitMismatches })}\n`);
