/**
 * Child of test/kernels-resident.test.ts (run with --expose-gc): a resident array that
 * becomes garbage hands its block back, and the next array of that size gets it, zeroed.
 * Prints {"reused", "zero", "distinct"}.
 */
import { backendFor } from "../../src/node.js";

const gc = (globalThis as { gc?: () => void }).gc!;
const simd = backendFor("wasm-simd");
const n = 4096;
let a: Float32Array | null = simd.allocResident!(n, "float32") as Float32Array;
const offset = a.byteOffset;
a.fill(7);
const keep = simd.allocResident!(n, "float32") as Float32Array;
keep.fill(3);
a = null;
let b: Float32Array | null = null;
for (let i = 0; i < 50 && b === null; i++) {
  gc();
  // FinalizationRegistry callbacks run from the event loop, after a collection.
  await new Promise((r) => setTimeout(r, 10));
  const c = simd.allocResident!(n, "float32") as Float32Array;
  if (c.byteOffset === offset) b = c;
}
console.log(JSON.stringify({
  reused: b !== null,
  zero: b !== null && b.every((v) => v === 0),
  distinct: keep.every((v) => v === 3) && b !== null && b.byteOffset !== keep.byteOffset,
}));
