/**
 * The wasm-simd Adam and RMSprop kernels (asm/optim.ts `adam_f32`, `rmsprop_f32`) on 153,600 float32
 * weights (the sweep's first layer), ns per element, best of 30 calls: on ordinary values, on
 * gradients whose squares are subnormal (the float64 path), and on small values that pass only the
 * kernels' coarse compare.
 * With a .wasm file (e.g. an older build from `npx asc asm/optim.ts -O3 --runtime stub --noAssert
 * --enable simd -o old.wasm`), it times that build alongside, alternating, and says whether the two
 * leave the same bits: the probe behind the subnormal note in asm/optim.ts.
 *
 *   npx tsx bench/dev/optim-subnormal.ts [other.wasm]
 */
import { readFileSync } from "node:fs";
import { WASM_SIMD } from "../../src/kernels/wasm-bytes.generated.js";

interface AdamExports {
  memory: WebAssembly.Memory;
  adam_f32(n: number, pW: number, pDw: number, pM: number, pV: number, ...scalars: number[]): void;
  rmsprop_f32(n: number, pW: number, pDw: number, pCache: number, ...scalars: number[]): void;
}
const instance = (bytes: Uint8Array<ArrayBuffer>): AdamExports =>
  new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { abort: () => undefined } }).exports as unknown as AdamExports;
const builds: [string, AdamExports][] = [["current", instance(new Uint8Array(Buffer.from(WASM_SIMD, "base64")))]];
if (process.argv[2] !== undefined) builds.push([process.argv[2], instance(new Uint8Array(readFileSync(process.argv[2])))]);

const n = 153_600;
const f = Math.fround;
const t = 50;
const adamScalars = [f(1e-3), f(0.9), f(0.1), f(1 - 0.9 ** t), f(0.999), f(f(1 - 0.999)), f(1 - 0.999 ** t), f(1e-8)];
const rmspropScalars = [f(1e-2), f(0.99), f(1 - 0.99), f(1e-8)];
const regimes: [string, number, number, number][] = [
  ["ordinary (g 1e-3, m 1e-3, v 1e-6)", 1e-3, 1e-3, 1e-6],
  ["subnormal g², v (g 1e-20, v 1e-40)", 1e-20, 1e-20, 1e-40],
  ["small, coarse compare only (g 1e-15, v 1e-31)", 1e-15, 1e-15, 1e-31],
];
for (const rule of ["adam", "rmsprop"] as const)
for (const [label, gs, ms, vs] of regimes) {
  const out = builds.map(() => ({ best: Infinity, bits: new Uint32Array(0) }));
  for (let r = 0; r < 30; r++) {
    builds.forEach(([, ex], k) => {
      const base = 1024;
      const need = base + 4 * n * 4;
      if (ex.memory.buffer.byteLength < need) ex.memory.grow(Math.ceil((need - ex.memory.buffer.byteLength) / 65536));
      const F = new Float32Array(ex.memory.buffer);
      const [pW, pD, pM, pV] = [0, 1, 2, 3].map((a) => base + a * n * 4) as [number, number, number, number];
      for (let i = 0; i < n; i++) {
        F[pW / 4 + i] = (i % 7) * 0.01;
        F[pD / 4 + i] = gs * ((i % 13) - 6);
        F[pM / 4 + i] = ms * ((i % 5) - 2);
        F[pV / 4 + i] = vs * (i % 3);
      }
      const t0 = performance.now();
      if (rule === "adam") ex.adam_f32(n, pW, pD, pM, pV, ...adamScalars);
      else ex.rmsprop_f32(n, pW, pD, pV, ...rmspropScalars);
      out[k]!.best = Math.min(out[k]!.best, performance.now() - t0);
      if (r === 0) out[k]!.bits = new Uint32Array(ex.memory.buffer, base, 4 * n).slice();
    });
  }
  const line: Record<string, unknown> = { rule, regime: label };
  builds.forEach(([name], k) => (line[`${name} ns/elem`] = +((out[k]!.best * 1e6) / n).toFixed(2)));
  if (builds.length > 1) line["same bits"] = out[0]!.bits.every((v, i) => v === out[1]!.bits[i]);
  console.log(JSON.stringify(line));
}
