/**
 * The raw wasm-simd gemm on ordinary arrays (copied in and out either way), to compare the
 * shared-memory build (default) with the plain one (BNLAB_RESIDENT=0) in separate processes;
 * with --resident, A, B and C are resident arrays (no copies).
 *
 *   node --import tsx bench/dev/shared-probe.ts [--resident]
 */
import { backendFor } from "../../src/node.js";

const g = backendFor("wasm-simd");
const resident = process.argv.includes("--resident");
const shapes: [number, number, number, boolean][] = [[50, 100, 3072, false], [3072, 100, 50, true], [500, 100, 3072, false], [1000, 512, 3072, false]];
const out: Record<string, number> = {};
for (const [M, N, K, tA] of shapes) {
  const mk = (n: number) => {
    const a = resident ? (g.allocResident!(n, "float32") as Float32Array) : new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = Math.sin(i);
    return a;
  };
  const A = mk(M * K), B = mk(K * N), C = mk(M * N);
  const run = () => g.gemm(tA, false, M, N, K, A, B, C, false);
  for (let i = 0; i < 5; i++) run();
  const ts: number[] = [];
  for (let r = 0; r < 15; r++) {
    const reps = Math.max(1, Math.round(2e8 / (M * N * K)));
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) run();
    ts.push((performance.now() - t0) / reps);
  }
  ts.sort((a, b) => a - b);
  out[`${M}x${N}x${K}${tA ? "T" : ""}`] = +((2 * M * N * K) / ts[0]! / 1e6).toFixed(1);
}
console.log(JSON.stringify({ shared: process.env["BNLAB_RESIDENT"] !== "0", resident, gflops: out }));
