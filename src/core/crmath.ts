/**
 * Correctly rounded elementary functions in double-double arithmetic.
 *
 * numpy calls the C library's `log` and `pow`, which round correctly on nearly
 * every input; V8's `Math.log` and `**` do not (about 5% of Box–Muller logs
 * differ in the last bit). To replay numpy's streams bit for bit, bnlab uses
 * these instead where a value feeds a reproducible result: the normal
 * generator (`RandomState.randn`) and `logspace` (the weight scales of cell 7).
 */

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


// ---- 10**y and numpy's logspace ----

const LN10_HI = 2.302585092994046; // ln 10 as a double-double
const LN10_LO = -2.1707562233822494e-16;
const BITS = new BigInt64Array(F64.buffer);

/** The neighbouring double of a positive finite x, one ulp up (+1) or down (-1). */
function nextPositive(x: number, dir: 1 | -1): number {
  F64[0] = x;
  BITS[0] = BITS[0]! + BigInt(dir);
  return F64[0]!;
}

/**
 * 10**y rounded to the nearest double (as glibc's `pow(10, y)`, which numpy's
 * `logspace` calls), for y with a normal, finite result.
 *
 * `10 ** y` in V8 can be one ulp off; of it and its two neighbours this picks
 * the one whose logarithm (in double-double) is nearest y·ln10 (in double-double).
 */
export function pow10CorrectlyRounded(y: number): number {
  const v = 10 ** y;
  if (!(v >= 2.2250738585072014e-308) || v === Infinity) return v;
  if (Number.isInteger(y)) return Number(`1e${y}`); // exact decimal parse
  twoProd(y, LN10_HI);
  const tHi = rHi;
  const tLo = rLo + y * LN10_LO;
  let best = v;
  let bestErr = Infinity;
  for (const c of [nextPositive(v, -1), v, nextPositive(v, 1)]) {
    if (c === 1) {
      lnHi = 0;
      lnLo = 0;
    } else lnDoubleDouble(c);
    const err = Math.abs(lnHi - tHi + (lnLo - tLo));
    if (err < bestErr) {
      bestErr = err;
      best = c;
    }
  }
  return best;
}

/**
 * numpy's `logspace(start, stop, num)`, value for value: the exponents as
 * `linspace` computes them (i·step + start, the last one exactly `stop`), then
 * a correctly rounded 10**y.
 */
export function logspace(start: number, stop: number, num: number): number[] {
  if (!Number.isInteger(num) || num < 0) throw new RangeError(`logspace num must be a non-negative integer, got ${num}`);
  if (num === 1) return [pow10CorrectlyRounded(start)];
  const step = (stop - start) / (num - 1);
  return Array.from({ length: num }, (_, i) => pow10CorrectlyRounded(i === num - 1 ? stop : i * step + start));
}
