/** TS reference vs wasm-simd (with copies) for one Adam update of W1 (3072×100 float32). */
import { optimF32Reference } from "../../src/optim/float32.js";
import { backendFor } from "../../src/node.js";
const n = 3072 * 100;
const mk = () => Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 1e-2);
const w = mk(), dw = mk(), m = new Float32Array(n), v = new Float32Array(n);
const k = backendFor("wasm-simd")!.optimF32!;
const f = Math.fround;
const run = (impl: typeof optimF32Reference) => impl.adam(w, dw, m, v, f(1e-3), f(0.9), f(0.1), f(0.5), f(0.999), f(0.001), f(0.01), f(1e-8));
for (const [name, impl] of [["ts", optimF32Reference], ["wasm", k], ["ts", optimF32Reference], ["wasm", k]] as const) {
  for (let i = 0; i < 20; i++) run(impl);
  const t0 = performance.now();
  for (let i = 0; i < 200; i++) run(impl);
  console.log(name, ((performance.now() - t0) / 200).toFixed(3), "ms");
}
