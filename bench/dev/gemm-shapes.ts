/**
 * The wasm-simd gemm on the shapes given, GFLOP/s of the best of R rounds, the shapes interleaved
 * round by round (a busy machine's slow moments then hit every shape alike): the probe behind
 * docs/performance.md's edge-kernel and packing figures. Compare two builds by running it on each.
 * Without shapes: the six-layer net's products (the forward X·W1, an accuracy check's X·W1 for 1000
 * and 100 rows, dW1 = Xᵀ·dout, and the hidden layers' plain, A·Bᵀ and Aᵀ·B products).
 *
 *   npx tsx bench/dev/gemm-shapes.ts [50x50x3072 3072x50x50x1 50x50x50x0x1 …]     (MxNxK[xTransA[xTransB]]; R=25)
 */
import { backendFor } from "../../src/node.js";

const g = backendFor("wasm-simd").gemm;
const SIX_LAYER = ["50x100x3072", "1000x100x3072", "100x100x3072", "3072x100x50x1", "50x100x100", "50x100x100x0x1", "100x100x50x1"];
const args = process.argv.slice(2);
const shapes = (args.length > 0 ? args : SIX_LAYER).map((s) => s.split("x").map(Number));
if (shapes.some((s) => s.length < 3 || s.some((x) => !Number.isInteger(x) || x < 0))) {
  throw new Error("expected shapes as MxNxK[xTransA[xTransB]], e.g. 50x50x3072 3072x50x50x1");
}
const rnd = (n: number): Float32Array => Float32Array.from({ length: n }, () => Math.random() - 0.5);
const ops = shapes.map(([M, N, K, tA, tB]) => {
  const [A, B, C] = [rnd(M! * K!), rnd(K! * N!), new Float32Array(M! * N!)];
  const reps = Math.max(3, Math.round(3e7 / (M! * N! * K!)));
  const f = (): void => {
    for (let i = 0; i < reps; i++) g(!!tA, !!tB, M!, N!, K!, A, B, C, false);
  };
  return { name: `${M}x${N}x${K}${tA ? "tA" : ""}${tB ? "tB" : ""}`, f, flop: 2 * M! * N! * K! * reps, best: Infinity };
});
const rounds = Number(process.env["R"] ?? 25);
for (let r = 0; r < rounds; r++) {
  for (const o of ops) {
    const t0 = performance.now();
    o.f();
    const t = performance.now() - t0;
    if (r > 1) o.best = Math.min(o.best, t);
  }
}
console.log(JSON.stringify(Object.fromEntries(ops.map((o) => [o.name, +(o.flop / o.best / 1e6).toFixed(1)]))));
