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
 * its own correctly rounded `log` instead (`logCorrectlyRounded` in crmath.ts): it equals
 * every correctly rounded libm (e.g. glibc before 2.28) exactly and is the same
 * in every JavaScript engine. glibc >= 2.28 rounds about 6 in 10,000 of these
 * logs the other way; those normals then differ from numpy's by one or two ulp
 * (test/fixtures/random.json records where, and the tests check exactly that).
 */
import { OptionError } from "./errors.js";
import { Tensor, shapeSize } from "./tensor.js";
import { logCorrectlyRoundedFast } from "./crmath.js";

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
  /** The same words as int32 (for the twist). */
  private readonly mt32 = new Int32Array(this.mt.buffer);
  private pos = N;
  private hasGauss = false;
  private gauss = 0;
  /** Bumped whenever `mt` changes (twist, seed, setState). */
  private generation = 0;
  /** `skipNormals`' tempered copy of `mt`, valid while `temperedFor` equals `generation`. */
  private tempered: Int32Array | null = null;
  private temperedFor = -1;

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
    this.generation++;
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
    this.generation++;
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
    this.normals(out, out.length);
  }

  /**
   * Advances the stream past the next n standard normals exactly as `randn` of n values does
   * (the same draws, and the same cached normal after them), without computing them: only the
   * polar method's acceptance test runs for each pair, and the square root and the logarithm
   * only for a last pair whose second value stays cached. For replaying a stream's position
   * (e.g. past a net's weight draws) at a fraction of the cost.
   */
  skipNormals(n: number): void {
    if (!Number.isInteger(n) || n < 0) throw new OptionError("skipNormals count", "an integer >= 0", n);
    let left = n;
    if (left > 0 && this.hasGauss) {
      this.normals(null, 1);
      left--;
    }
    // NOTE: whole pairs are skipped four tempered words at a time, from a block tempered at once;
    // with the faster twist, 0.10 against 0.17 s for a sweep's 40 nets. A last odd normal keeps its
    // pair's second value cached, as `normals` does.
    this.skipPairs(Math.floor(left / 2));
    if (left % 2 === 1) this.normals(null, 1);
  }

  /** Skips `pairs` accepted pairs of the polar method (2·pairs normals, nothing cached). */
  private skipPairs(pairs: number): void {
    let left = pairs;
    while (left > 0) {
      if (this.pos >= N) this.generate();
      if (this.pos + 4 > N) {
        // The next try crosses the block's end: one pair the plain way.
        this.normals(null, 2);
        left--;
        continue;
      }
      if (this.temperedFor !== this.generation) this.temperBlock();
      const t = this.tempered!;
      let pos = this.pos;
      // Whole tries inside this block.
      while (left > 0 && pos + 4 <= N) {
        // NOTE: (a·2^26 + b)·2^-53 is the same double as (a·2^26 + b) / 2^53 (exact either way).
        const x1 = 2 * (((t[pos]! >>> 5) * 67108864 + (t[pos + 1]! >>> 6)) * 1.1102230246251565e-16) - 1;
        const x2 = 2 * (((t[pos + 2]! >>> 5) * 67108864 + (t[pos + 3]! >>> 6)) * 1.1102230246251565e-16) - 1;
        pos += 4;
        const r2 = x1 * x1 + x2 * x2;
        if (r2 < 1 && r2 !== 0) left--;
      }
      this.pos = pos;
    }
  }

  private temperBlock(): void {
    const mt = this.mt32;
    const t = (this.tempered ??= new Int32Array(N));
    for (let k = 0; k < N; k++) t[k] = temper(mt[k]!);
    this.temperedFor = this.generation;
  }

  /** fillNormals' loop: the next n normals into out, or (out null) only their draws and cached normal. */
  private normals(out: Float64Array | null, n: number): void {
    let i = 0;
    if (n > 0 && this.hasGauss) {
      if (out !== null) out[i] = this.gauss;
      i++;
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
      if (out === null && i + 2 <= n) {
        // Both values of the pair are skipped: nothing of them is kept.
        i += 2;
        continue;
      }
      const f = Math.sqrt((-2 * logCorrectlyRoundedFast(r2)) / r2);
      if (out !== null) out[i] = f * x2;
      i++;
      if (i < n) {
        if (out !== null) out[i] = f * x1;
        i++;
      } else {
        this.gauss = f * x1;
        this.hasGauss = true;
      }
    }
    this.pos = pos;
  }

  /** Regenerates the 624 state words (the standard MT19937 twist). */
  private generate(): void {
    this.generation++;
    // NOTE: on the words as int32 (the same bits), branch-free: three times the speed of the same
    // loop on the Uint32Array, whose words above 2^31 are not small integers to the engine.
    const mt = this.mt32;
    let kk = 0;
    let y: number;
    for (; kk < N - M; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + M]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    for (; kk < N - 1; kk++) {
      y = (mt[kk]! & UPPER_MASK) | (mt[kk + 1]! & LOWER_MASK);
      mt[kk] = mt[kk + (M - N)]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    }
    y = (mt[N - 1]! & UPPER_MASK) | (mt[0]! & LOWER_MASK);
    mt[N - 1] = mt[M - 1]! ^ (y >>> 1) ^ (-(y & 1) & MATRIX_A);
    this.pos = 0;
  }
}

function sizeCount(size: number): number {
  if (!Number.isInteger(size) || size < 0) throw new OptionError("size", "a non-negative integer", size);
  return size;
}

function shapeCountOf(shape: number[]): number {
  checkShapeArgs(shape, "size");
  return shapeSize(shape);
}
