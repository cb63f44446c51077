/**
 * Seeded mutations for scripts/fuzz.ts: byte-level (flips, interesting values,
 * inserted, deleted, duplicated and spliced ranges, truncation) and text-level
 * (the same on characters, plus tokens that parsers trip on). Everything is drawn
 * from the `Rng` given, so an input is a function of (seed, target, index).
 */
import { mulberry32 } from "../test/helpers/seeded.js";

export type Rng = () => number;

/** mulberry32 (test/helpers/seeded.ts): uniform in [0, 1). */
export const rngFor: (seed: number) => Rng = mulberry32;

/** A 32-bit mix of several integers (the seed of one input). */
export function mix(...xs: number[]): number {
  let h = 0x811c9dc5;
  for (const x of xs) {
    h = Math.imul(h ^ (x >>> 0), 0x01000193) >>> 0;
    h = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d) >>> 0;
  }
  return h;
}

export function pick<T>(rng: Rng, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

const int = (rng: Rng, n: number): number => Math.floor(rng() * n);
const INTERESTING_BYTES = [0, 1, 0x7f, 0x80, 0xff, 0x2e, 0x28, 0x71, 0x4a, 0x54, 10, 0x30];
const INTERESTING_U32 = [0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 3072, 3073, 10000, 0x10000, 256];
/** At most this many bytes: mutations may grow an input, never without bound. */
const MAX_BYTES = 1 << 20;

/** One to four (now and then up to sixteen) mutations of `seed`; `others` feed splices. */
export function mutateBytes(rng: Rng, seed: Uint8Array, others: readonly Uint8Array[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(seed);
  const n = rng() < 0.1 ? 1 + int(rng, 16) : 1 + int(rng, 4);
  for (let k = 0; k < n; k++) {
    const at = int(rng, b.length + 1);
    switch (int(rng, 9)) {
      case 0:
        if (b.length > 0) b[Math.min(at, b.length - 1)]! ^= 1 << int(rng, 8);
        break;
      case 1:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = pick(rng, INTERESTING_BYTES);
        break;
      case 2:
        if (b.length > 0) b[Math.min(at, b.length - 1)] = int(rng, 256);
        break;
      case 3: {
        const ins = Uint8Array.from({ length: 1 + int(rng, 16) }, () => (rng() < 0.5 ? pick(rng, INTERESTING_BYTES) : int(rng, 256)));
        b = concat(b.subarray(0, at), ins, b.subarray(at));
        break;
      }
      case 4: {
        const len = 1 + int(rng, Math.max(1, b.length >> 3));
        b = concat(b.subarray(0, at), b.subarray(Math.min(b.length, at + len)));
        break;
      }
      case 5: {
        const len = 1 + int(rng, 64);
        b = concat(b.subarray(0, at), b.subarray(at, at + len), b.subarray(at));
        break;
      }
      case 6:
        b = b.subarray(0, int(rng, b.length + 1)).slice();
        break;
      case 7:
        if (b.length >= 4) {
          const v = pick(rng, INTERESTING_U32);
          const p = Math.min(at, b.length - 4);
          new DataView(b.buffer, b.byteOffset, b.byteLength).setUint32(p, v, rng() < 0.5);
        }
        break;
      default: {
        const other = others.length > 0 ? pick(rng, others) : seed;
        b = concat(b.subarray(0, at), other.subarray(int(rng, other.length + 1)));
        break;
      }
    }
    if (b.length > MAX_BYTES) b = b.subarray(0, MAX_BYTES).slice();
  }
  return b;
}

const TOKENS = ["", "\"", "\\", "{", "}", "[", "]", ",", ":", "null", "NaN", "-0", "1e999", "\u0000", "\uffff", "\ud800", "%", "&", "=", "#", "?", "/", "..", " ", "\n"];

/** Character-level mutations of `s`. */
export function mutateText(rng: Rng, s: string): string {
  let t = s;
  const n = 1 + int(rng, 4);
  for (let k = 0; k < n; k++) {
    const at = int(rng, t.length + 1);
    const r = rng();
    if (r < 0.3) t = t.slice(0, at) + pick(rng, TOKENS) + t.slice(at);
    else if (r < 0.5) t = t.slice(0, at) + t.slice(at + 1 + int(rng, 8));
    else if (r < 0.65) t = t.slice(0, at) + String.fromCharCode(int(rng, 0x3000)) + t.slice(at + 1);
    else if (r < 0.75) t = t.slice(0, at);
    else if (r < 0.9) t = t.slice(0, at) + t.slice(at, at + 1 + int(rng, 16)).repeat(2) + t.slice(at);
    else t = t.slice(0, at) + String(pick(rng, [0, -1, 1e308, 2 ** 53, 0.1])) + t.slice(at);
  }
  return t;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
