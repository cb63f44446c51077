/**
 * The wasm-simd float32 gemm on the products of the notebook's six-layer net (median µs
 * and GFLOP/s, operands reused between repetitions): the forward X·W1 (50×3072 by 3072×100),
 * an accuracy check's X·W1 for 1000 and 100 rows, dW1 = Xᵀ·dout, and the hidden layers'
 * 50×100×100 products (plain, A·Bᵀ, Aᵀ·B). A quick A/B probe for kernel changes.
 *
 *   npx tsx bench/gemm-probe.ts
 */
import { backendFor } from "../src/node.js";
const g = backendFor("wasm-simd").gemm;
function rnd(n: number): Float32Array { const a = new Float32Array(n); for (let i = 0; i < n; i++) a[i] = Math.random() - 0.5; return a; }
const cases: [string, boolean, boolean, number, number, number][] = [
  ["fwd50", false, false, 50, 100, 3072],
  ["chk1000", false, false, 1000, 100, 3072],
  ["chk100", false, false, 100, 100, 3072],
  ["dW1", true, false, 3072, 100, 50],
  ["h100", false, false, 50, 100, 100],
  ["h100tB", false, true, 50, 100, 100],
  ["h100tA", true, false, 100, 100, 50],
];
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const out: Record<string, string> = {};
for (const [name, tA, tB, M, N, K] of cases) {
  const A = rnd(M * K), B = rnd(K * N), C = new Float32Array(M * N);
  const reps = Math.max(3, Math.round(2e8 / (M * N * K)));
  const ts: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) g(tA, tB, M, N, K, A, B, C, false);
    ts.push((performance.now() - t0) / reps);
  }
  const t = med(ts.slice(2));
  out[name] = `${(t * 1000).toFixed(1)}us ${(2 * M * N * K / t / 1e6).toFixed(1)}GF`;
}
console.log(JSON.stringify(out));
