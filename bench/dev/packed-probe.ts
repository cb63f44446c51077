/**
 * The first layer's product of one 500-row accuracy-check chunk (500×3072 by 3072×M, float32,
 * bias added), wasm-simd: `affine.forward` (copies and packs x every call) against
 * `packedAffine.forward` on x packed once; 8 interleaved rounds of 10 calls, process CPU time
 * per call (docs/performance.md, "Pinned check rows").
 *
 *   npx tsx bench/packed-probe.ts [M]
 */
import { backendFor } from "../../src/kernels/index.js";
const b = backendFor("wasm-simd");
const N = 500, D = 3072, M = Number(process.argv[2] ?? 50);
const x = Float32Array.from({ length: N * D }, (_, i) => Math.sin(i));
const w = Float32Array.from({ length: D * M }, (_, i) => Math.cos(i));
const bias = new Float32Array(M), out = new Float32Array(N * M);
const p = b.packedAffine!.pack(x, N, D);
const cpu = (f: () => void, n: number): number => { const t = process.cpuUsage(); for (let i = 0; i < n; i++) f(); const d = process.cpuUsage(t); return (d.user + d.system) / 1e3 / n; };
const A: number[] = [], B: number[] = [];
for (let r = 0; r < 8; r++) { A.push(cpu(() => b.affine!.forward(N, M, D, x, w, bias, out), 10)); B.push(cpu(() => b.packedAffine!.forward(p, M, w, bias, out), 10)); }
const med = (a: number[]) => [...a].sort((p, q) => p - q)[a.length >> 1]!;
console.log(JSON.stringify({ M, plainMs: med(A), packedMs: med(B), A, B }));
