/**
 * Run by test/kernels.test.ts in a child `node --experimental-wasm-relaxed-simd`:
 * the relaxed-SIMD build against the float64 reference on random ragged shapes.
 * Prints one JSON line { paths, cases, worst32, worst64 }.
 */
import { availableKernelPaths, gemmReference, kernelFor } from "../src/index.js";

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
  const g = kernelFor("wasm-relaxed");
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
      let e = 0;
      let m = 0;
      for (let i = 0; i < M * N; i++) {
        e = Math.max(e, Math.abs(C[i]! - ref[i]!));
        m = Math.max(m, Math.abs(ref[i]!));
      }
      worst[dtype] = Math.max(worst[dtype], m === 0 ? e : e / m);
    }
    cases++;
  }
}
process.stdout.write(`${JSON.stringify({ paths, cases, worst32: worst.float32, worst64: worst.float64 })}\n`);
