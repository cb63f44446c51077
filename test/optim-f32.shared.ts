/**
 * The differential check of float32 update-rule kernels against the reference, shared by
 * test/optim-f32.test.ts and test/optim-relaxed.check.ts (run in a child node).
 */
import type { OptimKernelsF32 } from "../src/kernels/index.js";

/** Index of the first element whose float32 bits differ, or -1. */
export function firstBitDifference(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  const x = new Uint32Array(a.buffer, a.byteOffset, a.length);
  const y = new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return i;
  return -1;
}

/** Lengths: below, at and above a vector, the dispatcher's threshold, one and several chunks. */
const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 31, 255, 256, 257, 1023, 8191, 8192, 8193, 20_001];
const f = Math.fround;
/** Adam's steps t: the first three, then one where the first bias correction rounds to 1 and one where both do. */
export const ADAM_STEPS = [1, 2, 3, 200, 20_000] as const;

export interface DifferentialResult {
  checked: number;
  mismatches: number;
  firstMismatch: { rule: string; n: number; step: number; array: string; index: number } | null;
}

/**
 * Runs every rule of `kernels` and of `reference` from the same random start for 3 steps
 * on each length and compares w and the state bit for bit. Gradients mix ordinary values,
 * exact zeros and values small enough that their squares are subnormal or zero in float32.
 */
export function optimDifferential(kernels: OptimKernelsF32, reference: OptimKernelsF32): DifferentialResult {
  let s = 987654321;
  const rand = (): number => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return s / 4294967296;
  };
  const gradient = (n: number): Float32Array =>
    Float32Array.from({ length: n }, () => {
      const u = rand();
      if (u < 0.05) return 0;
      if (u < 0.15) return (rand() - 0.5) * 1e-21;
      return (rand() - 0.5) * 4;
    });
  const result: DifferentialResult = { checked: 0, mismatches: 0, firstMismatch: null };
  const compare = (rule: string, n: number, step: number, names: string[], got: Float32Array[], want: Float32Array[]): void => {
    for (let k = 0; k < got.length; k++) {
      result.checked++;
      const i = firstBitDifference(got[k]!, want[k]!);
      if (i >= 0) {
        result.mismatches++;
        result.firstMismatch ??= { rule, n, step, array: names[k]!, index: i };
      }
    }
  };
  for (const n of LENGTHS) {
    const w0 = Float32Array.from({ length: n }, () => (rand() - 0.5) * 2);
    const a = { w: w0.slice(), s1: new Float32Array(n), s2: new Float32Array(n) };
    const b = { w: w0.slice(), s1: new Float32Array(n), s2: new Float32Array(n) };
    const reset = (): void => {
      for (const o of [a, b]) {
        o.w.set(w0);
        o.s1.fill(0);
        o.s2.fill(0);
      }
    };
    const steps = 3;
    const lr = f(1e-2);
    reset();
    for (let t = 1; t <= steps; t++) {
      const dw = gradient(n);
      kernels.sgd(a.w, dw, lr);
      reference.sgd(b.w, dw, lr);
      compare("sgd", n, t, ["w"], [a.w], [b.w]);
    }
    reset();
    for (let t = 1; t <= steps; t++) {
      const dw = gradient(n);
      kernels.sgdMomentum(a.w, dw, a.s1, lr, f(0.9));
      reference.sgdMomentum(b.w, dw, b.s1, lr, f(0.9));
      compare("sgdMomentum", n, t, ["w", "velocity"], [a.w, a.s1], [b.w, b.s1]);
    }
    reset();
    for (let t = 1; t <= steps; t++) {
      const dw = gradient(n);
      kernels.rmsprop(a.w, dw, a.s1, lr, f(0.99), f(1 - 0.99), f(1e-8));
      reference.rmsprop(b.w, dw, b.s1, lr, f(0.99), f(1 - 0.99), f(1e-8));
      compare("rmsprop", n, t, ["w", "cache"], [a.w, a.s1], [b.w, b.s1]);
    }
    reset();
    // t = 200: float32(1 − 0.9ᵗ) is exactly 1 (the kernel skips that division); t = 20000: both corrections are.
    for (const t of ADAM_STEPS) {
      const dw = gradient(n);
      const sc = [f(1e-3), f(0.9), f(1 - 0.9), f(1 - 0.9 ** t), f(0.999), f(1 - 0.999), f(1 - 0.999 ** t), f(1e-8)] as const;
      kernels.adam(a.w, dw, a.s1, a.s2, ...sc);
      reference.adam(b.w, dw, b.s1, b.s2, ...sc);
      compare("adam", n, t, ["w", "m", "v"], [a.w, a.s1, a.s2], [b.w, b.s1, b.s2]);
    }
  }
  return result;
}
