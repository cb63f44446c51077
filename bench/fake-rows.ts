/**
 * CIFAR-shaped fake rows for the probe scripts (bench/step-profile.ts, pin-ab.ts, cpu-ratio.ts):
 * xorshift32 values of roughly unit variance and labels (i·7 + seed) mod 10; timings do not
 * depend on the values.
 */
import { Tensor } from "../src/index.js";
import type { Dataset } from "../src/index.js";

/** n rows of 3072 float32 values and their labels. */
export function fakeRows(n: number, seed: number): { x: Float32Array; y: Int32Array } {
  let s = seed;
  const x = new Float32Array(n * 3072);
  for (let i = 0; i < x.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = ((s >>> 0) / 4294967296 - 0.5) * 3.46;
  }
  return { x, y: Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % 10) };
}

/** 1000 training rows (seed 3) and 1000 validation rows (seed 5), shaped (N, 3, 32, 32). */
export function fakeDataset(): Dataset {
  const tr = fakeRows(1000, 3);
  const va = fakeRows(1000, 5);
  return { xTrain: new Tensor(tr.x, [1000, 3, 32, 32]), yTrain: tr.y, xVal: new Tensor(va.x, [1000, 3, 32, 32]), yVal: va.y };
}
