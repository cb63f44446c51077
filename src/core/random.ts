/**
 * A random generator whose streams are bit-identical to numpy's legacy
 * `np.random.RandomState(seed)`.
 *
 * This is what lets bnlab replay the notebook: the same seed gives the same
 * weights, the same minibatches and the same dropout masks as the assignment.
 *
 * How numpy does it (numpy/random/src/mt19937, legacy/legacy-distributions.c,
 * distributions.c), and what this file reproduces step by step:
 * - MT19937, seeded from an integer by `init_genrand` (numpy's `mt19937_seed`).
 * - A double in [0, 1) from two 32-bit draws: `((a >>> 5) * 2**26 + (b >>> 6)) / 2**53`.
 * - `randn`: the polar Box–Muller method (`legacy_gauss`); each accepted pair
 *   yields two normals, the second is cached for the next call (`has_gauss`).
 * - Bounded integers (`randint`, `choice`): masked rejection on 32-bit draws
 *   (`buffered_bounded_masked_uint32`): draw, AND with the smallest all-ones
 *   mask covering the range, reject values above the range.
 * - `permutation`: Fisher–Yates from the last element down, index j drawn by
 *   `random_interval(i)` (masked rejection again).
 *
 * NOTE on `log`: numpy's `legacy_gauss` calls the C library's `log`. JavaScript's
 * `Math.log` is only faithful (within 1 ulp) and differs from C libraries in a
 * few percent of calls, which would shift normals in their last bit. bnlab uses
 * its own correctly rounded `log` instead (`logCorrectlyRounded` below): it equals
 * every correctly rounded libm (e.g. glibc before 2.28) exactly and is the same
 * in every JavaScript engine. glibc >= 2.28 rounds about 6 in 10,000 of these
 * logs the other way; those normals then differ from numpy's by one or two ulp
 * (test/fixtures/random.json records where, and the tests check exactly that).
 */
import { OptionError } from "./errors.js";
import { Tensor, shapeSize } from "./tensor.js";

const N = 624;
const M = 397;
const MATRIX_A = 0x9908b0df;
const UPPER_MASK = 0x80000000;
const LOWER_MASK = 0x7fffffff;

/** The full generator state, as numpy's `get_state()` returns it (`'MT19937', key, pos, has_gauss, cached_gaussian`). */
export interface RandomStateSnapshot {
  /** The 624 words of the Mersenne Twister state. */
  key: number[];
  /** Index of the next word to temper (624 means "regenerate first"). */
  pos: number;
  /** Whether a second Box–Muller normal is cached. */
  hasGauss: boolean;
  /** The cached normal (0 when none). */
  cachedGaussian: number;
}

function checkSeed(seed: number): void {
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new OptionError("seed", "an integer in [0, 2**32 - 1]", seed);
  }
}

function checkShapeArgs(shape: readonly number[], option: string): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new OptionError(option, "non-negative integer dimensions", [...shape]);
  }
}

/** The smallest 2**k - 1 that is >= v (v < 2**32). */
function maskFor(v: number): number {
  let m = v >>> 0;
  m |= m >>> 1;
  m |= m >>> 2;
  m |= m >>> 4;
  m |= m >>> 8;
  m |= m >>> 16;
  return m >>> 0;
}

/** MT19937's tempering of a state word, as an unsigned number. */
function temper(word: number): number {
  let y = word;
  y ^= y >>> 11;
  y ^= (y << 7) & 0x9d2c5680;
  y ^= (y << 15) & 0xefc60000;
  y ^= y >>> 18;
  return y >>> 0;
}

/** A fresh seed from the platform's cryptographic source (like numpy's unseeded `RandomState()`). */
function entropySeed(): number {
  const buf = new Uint32Array(1);
  globalThis.crypto.getRandomValues(buf);
  return buf[0]!;
}

/**
 * numpy's legacy `RandomState`, bit for bit.
 *
 * @example
 * const rng = new RandomState(231);
 * const X = rng.randn(200, 50);   // == np.random.seed(231); np.random.randn(200, 50)
 */
export class RandomState {
  private readonly mt = new Uint32Array(N);
  private pos = N;
  private hasGauss = false;
  private gauss = 0;

  /** `seed` in [0, 2**32); without one, a seed is drawn from the platform's entropy source. */
  constructor(seed?: number) {
    this.seed(seed ?? entropySeed());
  }

  /** Re-seeds in place, exactly as `np.random.seed(seed)` (init_genrand; clears the cached normal). */
  seed(seed: number): void {
    checkSeed(seed);
    const mt = this.mt;
    mt[0] = seed >>> 0;
    for (let i = 1; i < N; i++) {
      const prev = mt[i - 1]!;
      // NOTE: Math.imul keeps the 32-bit wrap-around of the C multiplication.
      mt[i] = (Math.imul(1812433253, (prev ^ (prev >>> 30)) >>> 0) + i) >>> 0;
    }
    this.pos = N;
    this.hasGauss = false;
    this.gauss = 0;
  }

  /** The next raw 32-bit draw (tempered MT19937 output), as an unsigned number. */
  nextUint32(): number {
    if (this.pos >= N) this.generate();
    return temper(this.mt[this.pos++]!);
  }

  /** One double in [0, 1) with 53 random bits (numpy's `random_sample()`). */
  randomSample(): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    return (a * 67108864 + b) / 9007199254740992;
  }

  /** One standard normal (numpy's `legacy_gauss`: polar Box–Muller, second value cached). */
  standardNormal(): number {
    if (this.hasGauss) {
      const g = this.gauss;
      this.hasGauss = false;
      this.gauss = 0;
      return g;
    }
    let x1: number;
    let x2: number;
    let r2: number;
    do {
      x1 = 2 * this.randomSample() - 1;
      x2 = 2 * this.randomSample() - 1;
      r2 = x1 * x1 + x2 * x2;
    } while (r2 >= 1 || r2 === 0);
    const f = Math.sqrt((-2 * logCorrectlyRoundedFast(r2)) / r2);
    this.gauss = f * x1;
    this.hasGauss = true;
    return f * x2;
  }

  /** Standard normals of the given shape, float64 (`randn()` gives shape `[]`), in row-major order. */
  randn(...shape: number[]): Tensor {
    checkShapeArgs(shape, "randn shape");
    const out = new Float64Array(shapeSize(shape));
    this.fillNormals(out);
    return new Tensor(out, shape);
  }

  /** Uniform doubles in [0, 1) of the given shape, float64. */
  rand(...shape: number[]): Tensor {
    checkShapeArgs(shape, "rand shape");
    const out = new Float64Array(shapeSize(shape));
    for (let i = 0; i < out.length; i++) out[i] = this.randomSample();
    return new Tensor(out, shape);
  }

  /**
   * Integers uniform in [low, high) — or [0, low) when `high` is omitted — as
   * numpy's `randint(low, high, size)` with its default int64 dtype draws them.
   * `size` is a count or a shape (row-major); omitted, one value is drawn.
   * Bounds must lie in the int32 range.
   */
  randint(low: number, high?: number, size?: number | number[]): Int32Array {
    let lo = low;
    let hi = high;
    if (hi === undefined) {
      hi = lo;
      lo = 0;
    }
    if (!Number.isInteger(lo) || lo < -0x80000000 || lo > 0x7fffffff) {
      throw new OptionError("randint low", "an integer in the int32 range", lo);
    }
    if (!Number.isInteger(hi) || hi < -0x7fffffff || hi > 0x80000000) {
      throw new OptionError("randint high", "an integer in the int32 range (exclusive bound)", hi);
    }
    if (hi <= lo) throw new OptionError("randint high", `a value greater than low (${lo})`, hi);
    const count = size === undefined ? 1 : typeof size === "number" ? sizeCount(size) : shapeCountOf(size);
    const out = new Int32Array(count);
    const rng = hi - 1 - lo; // inclusive range, < 2**32
    if (rng === 0) {
      // NOTE: numpy draws nothing when the range holds a single value.
      out.fill(lo);
      return out;
    }
    if (rng === 0xffffffff) {
      for (let i = 0; i < count; i++) out[i] = lo + this.nextUint32();
      return out;
    }
    const mask = maskFor(rng);
    for (let i = 0; i < count; i++) {
      let v: number;
      do {
        v = (this.nextUint32() & mask) >>> 0;
      } while (v > rng);
      out[i] = lo + v;
    }
    return out;
  }

  /** `size` indices uniform in [0, n), with replacement (numpy's `choice(n, size)` == `randint(0, n, size)`). */
  choice(n: number, size: number): Int32Array {
    if (!Number.isInteger(n) || n <= 0 || n > 0x7fffffff) throw new OptionError("choice n", "a positive integer", n);
    return this.randint(0, n, size);
  }

  /**
   * A random permutation of 0..n-1 (numpy's `permutation(n)`: shuffle of
   * `arange(n)`, Fisher–Yates from the end, j = random_interval(i)).
   */
  permutation(n: number): Int32Array {
    if (!Number.isInteger(n) || n < 0 || n > 0x7fffffff) throw new OptionError("permutation n", "a non-negative integer", n);
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i >= 1; i--) {
      const j = this.interval(i);
      const t = out[i]!;
      out[i] = out[j]!;
      out[j] = t;
    }
    return out;
  }

  /** A deep copy of the state; `setState` of it replays the same stream. */
  getState(): RandomStateSnapshot {
    return { key: Array.from(this.mt), pos: this.pos, hasGauss: this.hasGauss, cachedGaussian: this.gauss };
  }

  /** Restores a state from `getState` (or from numpy's `get_state()` fields). */
  setState(s: RandomStateSnapshot): void {
    if (!Array.isArray(s.key) || s.key.length !== N || s.key.some((w) => !Number.isInteger(w) || w < 0 || w > 0xffffffff)) {
      throw new OptionError("state.key", `${N} unsigned 32-bit integers`, `an array of length ${Array.isArray(s.key) ? s.key.length : "?"}`);
    }
    if (!Number.isInteger(s.pos) || s.pos < 0 || s.pos > N) throw new OptionError("state.pos", `an integer in [0, ${N}]`, s.pos);
    this.mt.set(s.key);
    this.pos = s.pos;
    this.hasGauss = Boolean(s.hasGauss);
    this.gauss = this.hasGauss ? s.cachedGaussian : 0;
  }

  /** A value uniform in [0, max] by masked rejection (numpy's `random_interval`, max < 2**31 here). */
  private interval(max: number): number {
    if (max === 0) return 0;
    const mask = maskFor(max);
    let v: number;
    do {
      v = (this.nextUint32() & mask) >>> 0;
    } while (v > max);
    return v;
  }

  /**
   * Fills `out` with the next `out.length` standard normals: the same values,
   * draws and cached normal as that many `standardNormal()` calls, with the
   * MT19937 draws and the Box–Muller pair inlined.
   */
  private fillNormals(out: Float64Array): void {
    const n = out.length;
    let i = 0;
    if (n > 0 && this.hasGauss) {
      out[i++] = this.gauss;
      this.hasGauss = false;
      this.gauss = 0;
    }
    const mt = this.mt;
    let pos = this.pos;
    while (i < n) {
      let x1: number;
      let x2: number;
      let r2: number;
      do {
        if (pos >= N) {
          this.generate();
          pos = 0;
        }
        let a = temper(mt[pos++]!) >>> 5;
        if (pos >= N) {
          this.generate();
          pos = 0;
        }
        let b = temper(mt[pos++]!) >>> 6;
        x1 = 2 * ((a * 67108864 + b) / 9007199254740992) - 1;
        if (pos >= N) {
          this.generate();
          pos = 0;
        }
        a = temper(mt[pos++]!) >>> 5;
        if (pos >= N) {
          this.generate();
          pos = 0;
        }
        b = temper(mt[pos++]!) >>> 6;
        x2 = 2 * ((a * 67108864 + b) / 9007199254740992) - 1;
        r2 = x1 * x1 + x2 * x2;
      } while (r2 >= 1 || r2 === 0);
      const f = Math.sqrt((-2 * logCorrectlyRoundedFast(r2)) / r2);
      out[i++] = f * x2;
      if (i < n) {
        out[i++] = f * x1;
      } else {
        this.gauss = f * x1;
        this.hasGauss = true;
      }
    }
    this.pos = pos;
  }

  /** Regenerates the 624 state words (the standard MT19937 twist). */
  private generate(): void {
    const mt = this.mt;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    }
    y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (y & 1 ? MATRIX_A : 0);
    this.pos = 0;
  }
}

// ---- correctly rounded natural logarithm (double-double arithmetic) ----

const F64 = new Float64Array(1);
const U32 = new Uint32Array(F64.buffer);
/** Index of the high 32-bit word of a double in U32 (platform endianness). */
const HI = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 1 : 0;
const SPLITTER = 134217729; // 2**27 + 1, Dekker's splitting constant
const LN2_HI = 0.6931471805599453; // ln 2 as a double-double
const LN2_LO = 2.3190468138462996e-17;
/** Terms of P(z) = sum_k z^k / (2k+1) kept in double-double; the rest are plain doubles. */
const DD_TERMS = 10;
const ALL_TERMS = 21;
const COEF_HI = new Float64Array(ALL_TERMS);
const COEF_LO = new Float64Array(ALL_TERMS);

// Scratch results of the double-double helpers (no allocation in the hot path).
let rHi = 0;
let rLo = 0;

/** rHi + rLo = a + b exactly (Knuth's TwoSum). */
function twoSum(a: number, b: number): void {
  const s = a + b;
  const bb = s - a;
  rLo = a - (s - bb) + (b - bb);
  rHi = s;
}

/** rHi + rLo = a * b exactly (Dekker's product; |a|, |b| far from overflow). */
function twoProd(a: number, b: number): void {
  const p = a * b;
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  rLo = ah * bh - p + ah * bl + al * bh + al * bl;
  rHi = p;
}

/** (rHi, rLo) = (aHi + aLo) * (bHi + bLo), relative error about 2**-104. */
function ddMul(aHi: number, aLo: number, bHi: number, bLo: number): void {
  twoProd(aHi, bHi);
  const p = rHi;
  const e = rLo + (aHi * bLo + aLo * bHi);
  const s = p + e;
  rLo = e - (s - p);
  rHi = s;
}

/** (rHi, rLo) = (aHi + aLo) + (bHi + bLo). */
function ddAdd(aHi: number, aLo: number, bHi: number, bLo: number): void {
  twoSum(aHi, bHi);
  const s = rHi;
  const e = rLo + aLo + bLo;
  const t = s + e;
  rLo = e - (t - s);
  rHi = t;
}

/** (rHi, rLo) = (aHi + aLo) / (bHi + bLo), three correction steps (relative error about 2**-104). */
function ddDiv(aHi: number, aLo: number, bHi: number, bLo: number): void {
  const q1 = aHi / bHi;
  ddMul(q1, 0, bHi, bLo);
  ddAdd(aHi, aLo, -rHi, -rLo);
  const q2 = rHi / bHi;
  const remHi = rHi;
  const remLo = rLo;
  ddMul(q2, 0, bHi, bLo);
  ddAdd(remHi, remLo, -rHi, -rLo);
  const q3 = rHi / bHi;
  twoSum(q1, q2);
  ddAdd(rHi, rLo, q3, 0);
}

for (let k = 0; k < ALL_TERMS; k++) {
  const d = 2 * k + 1;
  const hi = 1 / d;
  twoProd(hi, d); // hi*d = rHi + rLo exactly; 1 - rHi is exact (Sterbenz)
  COEF_HI[k] = hi;
  COEF_LO[k] = (1 - rHi - rLo) / d;
}

/** The unrounded result of `lnDoubleDouble`: ln(x) ~= lnHi + lnLo. */
let lnHi = 0;
let lnLo = 0;

/**
 * ln(x) rounded to the nearest double, for positive finite x.
 *
 * x = 2^e * m with m in [sqrt(1/2), sqrt(2)]; ln x = e*ln2 + 2*atanh(s) with
 * s = (m-1)/(m+1), |s| <= 0.172, and 2*atanh(s) = 2s * sum_k s^(2k)/(2k+1).
 * Everything that matters is carried in double-double (about 104 bits), so the
 * final rounding is correct except within ~2**-100 of a rounding midpoint.
 * This is the reference definition; `logCorrectlyRoundedFast` returns the same
 * values faster.
 */
export function logCorrectlyRounded(x: number): number {
  if (!(x > 0) || x === Infinity) return Math.log(x); // NaN, 0, negatives, Infinity: as Math.log
  if (x === 1) return 0;
  lnDoubleDouble(x);
  return lnHi + lnLo;
}

/** Sets (lnHi, lnLo) to ln(x) in double-double (relative error about 2**-100), for positive finite x != 1. */
function lnDoubleDouble(x: number): void {
  let e = 0;
  let v = x;
  if (v < 2.2250738585072014e-308) {
    v *= 18014398509481984; // 2**54: subnormal -> normal
    e = -54;
  }
  F64[0] = v;
  const hiWord = U32[HI]!;
  e += (hiWord >>> 20) - 1023;
  U32[HI] = (hiWord & 0x000fffff) | 0x3ff00000;
  let m = F64[0]!; // in [1, 2)
  if (m > Math.SQRT2) {
    m *= 0.5;
    e += 1;
  }
  // s = (m - 1) / (m + 1); m - 1 is exact for m in [1/2, 2].
  twoSum(m, 1);
  ddDiv(m - 1, 0, rHi, rLo);
  const sHi = rHi;
  const sLo = rLo;
  ddMul(sHi, sLo, sHi, sLo);
  const zHi = rHi;
  const zLo = rLo;
  // High-order terms in plain double: z^DD_TERMS is below 2**-50 relative to P.
  let q = COEF_HI[ALL_TERMS - 1]!;
  for (let k = ALL_TERMS - 2; k >= DD_TERMS; k--) q = COEF_HI[k]! + zHi * q;
  let pHi = q;
  let pLo = 0;
  for (let k = DD_TERMS - 1; k >= 0; k--) {
    ddMul(zHi, zLo, pHi, pLo);
    ddAdd(COEF_HI[k]!, COEF_LO[k]!, rHi, rLo);
    pHi = rHi;
    pLo = rLo;
  }
  ddMul(sHi, sLo, pHi, pLo);
  const lmHi = 2 * rHi; // ln m = 2 s P(s^2)
  const lmLo = 2 * rLo;
  if (e === 0) {
    lnHi = lmHi;
    lnLo = lmLo;
    return;
  }
  twoProd(e, LN2_HI);
  const eHi = rHi;
  const eLo = rLo + e * LN2_LO;
  ddAdd(eHi, eLo, lmHi, lmLo);
  lnHi = rHi;
  lnLo = rLo;
}

// ---- fast path: table-driven log with a rounding test (Ziv), same values as above ----

/** 2**FAST_BITS table entries cover m in [1, 2), entry i holding m in [1 + i/256, 1 + (i+1)/256). */
const FAST_BITS = 8;
const FAST_SIZE = 1 << FAST_BITS;
/** Entries from here on (m >= 1.4140625) use m/2 and e+1, so that x just below 1 meets ln = log1p(r) alone. */
const FAST_FOLD = 106;
/** inv_i = k/256 ~ 1/m over entry i, with |m * inv_i - 1| < 2**-7 (so r = m * inv_i - 1 is a double, exactly). */
const FAST_INV = new Float64Array(FAST_SIZE);
/** -ln(inv_i) (or -ln(2 inv_i) for folded entries) in double-double; 0 for the entries holding 1 and 2. */
const FAST_L_HI = new Float64Array(FAST_SIZE);
const FAST_L_LO = new Float64Array(FAST_SIZE);
/** ln2 = LN2_A + LN2_B + LN2_LO, LN2_A with 41 significant bits and LN2_B with 11, so e * LN2_A, e * LN2_B are exact (|e| <= 1024). */
const LN2_A = Math.floor(LN2_HI * 4398046511104) / 4398046511104; // 2**42
const LN2_B = LN2_HI - LN2_A;
/**
 * Bound on |error| of the fast result relative to its size. The errors (see
 * `logCorrectlyRoundedFast`) stay below 2**-64 of the result; 2**-62 leaves room
 * for the rounding of the test itself and for the reference's 2**-100.
 */
const FAST_REL_BOUND = 2 ** -62;

for (let i = 0; i < FAST_SIZE; i++) {
  let k: number;
  if (i === 0) k = 256; // inv = 1: x in [1, 1 + 2**-8) gets ln x = log1p(x - 1)
  else if (i === FAST_SIZE - 1) k = 128; // inv = 1/2, folded: x in [1 - 2**-9, 1) gets ln x = log1p(x - 1)
  else {
    // The k minimising max |m k/256 - 1| over the entry; in units of 2**-16 the ends give
    // lo*k - 65536 and hi*k - 65536 with lo = 256 + i, hi = 257 + i.
    k = 0;
    let best = Infinity;
    for (let c = 128; c <= 256; c++) {
      const worst = Math.max(Math.abs((256 + i) * c - 65536), Math.abs((257 + i) * c - 65536));
      if (worst < best) {
        best = worst;
        k = c;
      }
    }
  }
  // m in [lo, hi): |m*inv - 1| < 2**-7 <=> |(m*256) k - 65536| < 512; checked exactly at both ends.
  if (Math.abs((256 + i) * k - 65536) >= 512 || Math.abs((257 + i) * k - 65536) > 512) {
    throw new Error(`internal: log table entry ${i} has |r| >= 2**-7`);
  }
  const inv = k / 256;
  FAST_INV[i] = inv;
  const c = i >= FAST_FOLD ? 2 * inv : inv; // L = -ln(c), c in (1/2, 1]
  if (c !== 1) {
    lnDoubleDouble(c);
    twoSum(-lnHi, -lnLo); // normalised
    FAST_L_HI[i] = rHi;
    FAST_L_LO[i] = rLo;
  }
}

/** FAST_POW2_NEG[b] = 2**(1023 - b): scales a normal double with biased exponent b into [1, 2). */
const FAST_POW2_NEG = new Float64Array(2047);
for (let b = 1; b < 2047; b++) FAST_POW2_NEG[b] = 2 ** (1023 - b);

/** log1p(r) = r - r^2/2 + r^3 Q(r); Q's coefficients (-1)^j / (j + 3), j = 0..8 (|r| < 2**-7: truncation < 2**-87). */
const Q0 = 1 / 3;
const Q1 = -1 / 4;
const Q2 = 1 / 5;
const Q3 = -1 / 6;
const Q4 = 1 / 7;
const Q5 = -1 / 8;
const Q6 = 1 / 9;
const Q7 = -1 / 10;
const Q8 = 1 / 11;

/**
 * ln(x) with exactly the values of `logCorrectlyRounded`, about 10x faster.
 *
 * Ziv's strategy: x = 2^e * m, m in [1, 2); with inv_i ~ 1/m from a 256-entry
 * table, r = m * inv_i - 1 is computed exactly (|r| < 2**-7) and
 * ln x = e ln2 + L_i + log1p(r), L_i = -ln(inv_i) in double-double (built at load
 * from the reference). e ln2 + L_i + r - r^2/2 is summed exactly (error-free
 * transforms); only r^3 Q(r) (|.| < 2**-22, relative error < 2**-50) and the
 * double-double tails are inexact, and the result is either 0 + log1p(r) with
 * |r| < 2**-7 or at least 2**-9 in size, so the total error stays below 2**-64
 * of the result. If the result plus or minus that bound rounds to the same
 * double, that double is the correctly rounded log, which is also what the
 * reference returns (it is correctly rounded except within 2**-100 of a
 * midpoint); otherwise (about 0.3% of inputs) the reference is called.
 */
export function logCorrectlyRoundedFast(x: number): number {
  if (!(x >= 2.2250738585072014e-308) || x === Infinity) return logCorrectlyRounded(x); // subnormals, 0, <0, NaN, Inf
  F64[0] = x;
  const hiWord = U32[HI]!;
  const i = (hiWord >>> (20 - FAST_BITS)) & (FAST_SIZE - 1);
  const biased = hiWord >>> 20; // 1..2046: x is normal and positive
  const m = x * FAST_POW2_NEG[biased]!; // in [1, 2), exact
  let e = biased - 1023;
  if (i >= FAST_FOLD) e += 1;
  const inv = FAST_INV[i]!;
  // r = m * inv - 1 exactly: mh has 45 bits and inv 8, so mh * inv is exact, and so is
  // mh * inv - 1 (Sterbenz); (m - mh) * inv is exact; their sum r is a double.
  const mh = m + 256 - 256;
  const r = mh * inv - 1 + (m - mh) * inv;
  // r^2 = p + pl exactly (Dekker).
  const p = r * r;
  const t = SPLITTER * r;
  const rh = t - (t - r);
  const rl = r - rh;
  const pl = rh * rh - p + 2 * rh * rl + rl * rl;
  // Q(r) by Estrin's scheme (short dependency chains; same accuracy as Horner here).
  const p2 = p * p;
  const q = Q0 + r * Q1 + p * (Q2 + r * Q3) + p2 * (Q4 + r * Q5 + p * (Q6 + r * Q7) + p2 * Q8);
  const tail = p * r * q;
  // s0 + t0 = e*LN2_A + L_hi; s1 + t1 = s0 + r; s2 + t2 = s1 - p/2 (TwoSum, exact).
  const a = e * LN2_A;
  const lh = FAST_L_HI[i]!;
  const s0 = a + lh;
  let bb = s0 - a;
  const t0 = a - (s0 - bb) + (lh - bb);
  const s1 = s0 + r;
  bb = s1 - s0;
  const t1 = s0 - (s1 - bb) + (r - bb);
  const hp = -0.5 * p;
  const s2 = s1 + hp;
  bb = s2 - s1;
  const t2 = s1 - (s2 - bb) + (hp - bb);
  const low = t0 + t1 + t2 + (e * LN2_B + e * LN2_LO + FAST_L_LO[i]!) + (tail - 0.5 * pl);
  const h = s2 + low;
  const l = low - (h - s2); // h + l = s2 + low exactly (|low| << |s2|)
  const bound = FAST_REL_BOUND * Math.abs(h);
  if (h + (l + bound) === h + (l - bound)) return h;
  return logCorrectlyRounded(x);
}

function sizeCount(size: number): number {
  if (!Number.isInteger(size) || size < 0) throw new OptionError("size", "a non-negative integer", size);
  return size;
}

function shapeCountOf(shape: number[]): number {
  checkShapeArgs(shape, "size");
  return shapeSize(shape);
}
