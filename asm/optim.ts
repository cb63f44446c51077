// The update rules of src/optim on float32 weights, in AssemblyScript with 128-bit SIMD.
//
// Each kernel evaluates the assignment's numpy expression exactly as NumPy 2 does on
// float32 arrays: a Python float scalar is first rounded to float32 (NEP 50), and
// every operation rounds to float32, in numpy's order of evaluation. f32x4 and the
// scalar f32 tail do the same correctly rounded IEEE operations (no fused
// multiply-add), so the results equal, bit for bit, the TypeScript reference in
// src/optim/float32.ts, which defines them, and numpy's.
// Scalars arrive already rounded to float32 (the caller passes `Math.fround` values).
// Pointers are byte offsets into this module's memory (see src/kernels/wasm.ts); every
// array holds n float32 values and is updated in place.

/** w = w − lr·dw. */
export function sgd_f32(n: i32, pW: usize, pDw: usize, lr: f32): void {
  const n4 = n & ~3;
  const vlr = f32x4.splat(lr);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(pW + o, f32x4.sub(v128.load(pW + o), f32x4.mul(vlr, v128.load(pDw + o))));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(pW + o, load<f32>(pW + o) - lr * load<f32>(pDw + o));
  }
}

/** v = mu·v − lr·dw; w = w + v. */
export function sgd_momentum_f32(n: i32, pW: usize, pDw: usize, pV: usize, lr: f32, mu: f32): void {
  const n4 = n & ~3;
  const vlr = f32x4.splat(lr);
  const vmu = f32x4.splat(mu);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const v = f32x4.sub(f32x4.mul(vmu, v128.load(pV + o)), f32x4.mul(vlr, v128.load(pDw + o)));
    v128.store(pV + o, v);
    v128.store(pW + o, f32x4.add(v128.load(pW + o), v));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const v = mu * load<f32>(pV + o) - lr * load<f32>(pDw + o);
    store<f32>(pV + o, v);
    store<f32>(pW + o, load<f32>(pW + o) + v);
  }
}

// NOTE: a multiply, division or square root whose operand or result is subnormal took about 35
// times its normal time on the Intel Xeon this was measured on (a microcode assist: 7.5 against
// 0.2 ns per element; additions, comparisons and conversions were not slowed). x86 cores generally
// take such assists, WebAssembly cannot flush subnormals to zero, and numpy pays them too. A deep
// net at a small weight scale has such values in every step (the sweep's runs without batch norm
// at 1.6e-4 … 7e-4 took 2.7 times as long, nearly all of it in Adam). So Adam and RMSprop test each
// vector first: one whose lanes may meet a subnormal in the first operations (g·g or (1 − β)·g²,
// β·v, β1·m, (1 − β1)·g, lr·m̂ or lr·g) computes those chains in float64, each operation rounded to
// float32 after it (`Exact`): the same bits, no assists. A lane can still meet one later (a sum
// that cancels, a step far below the weight); it is only slower.

/** Elements per block of the update rules' compare-only pass (a multiple of 4; 1 KiB of each array). */
const SCAN_BLOCK: i32 = 256;

/** Lanes of x that are nonzero with magnitude below the float32 whose bit pattern is tiny + 1 (tiny = bits − 1, splat). */
@inline function tinyLanes(x: v128, absMask: v128, one: v128, tiny: v128): v128 {
  // 0 < |x| < bits  ⇔  |x| − 1 < bits − 1, unsigned.
  return i32x4.lt_u(i32x4.sub(v128.and(x, absMask), one), tiny);
}

/** The bit pattern of twice the smallest float32 magnitude x with x·s normal (s > 0), at most the largest finite float32's. */
function tinyBits(s: f32): i32 {
  const x = 2.0 * 1.1754943508222875e-38 / <f64>s;
  return x >= 3.4e38 ? 0x7f7fffff : reinterpret<i32>(<f32>x);
}

/**
 * float32 operations on 4 lanes done in float64 and rounded once more to float32: the correctly
 * rounded float32 result (a float64 sum, product, quotient or square root of float32 values,
 * rounded to float32, is the float32 operation's result, since 53 ≥ 2·24 + 2; subnormal results
 * included), as src/optim/float32.ts computes it, without the subnormal assists of float32.
 */
namespace Exact {
  @inline export function lo(x: v128): v128 { return f64x2.promote_low_f32x4(x); }
  @inline export function hi(x: v128): v128 { return f64x2.promote_low_f32x4(i64x2.shuffle(x, x, 1, 1)); }
  /** A float64 pair rounded to float32 and back. */
  @inline export function r(x: v128): v128 { return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(x)); }
  /** β·s + (1 − β)·(g·g) on a float64 pair (omb = 1 − β), rounded as float32 after every operation: Adam's v, RMSprop's cache. */
  @inline export function decayedSquare(b: v128, s: v128, omb: v128, g: v128): v128 {
    return r(f64x2.add(r(f64x2.mul(b, s)), r(f64x2.mul(omb, r(f64x2.mul(g, g))))));
  }
  @inline export function join(l: v128, h: v128): v128 {
    return i64x2.shuffle(f32x4.demote_f64x2_zero(l), f32x4.demote_f64x2_zero(h), 0, 2);
  }
  @inline export function mul(a: v128, b: v128): v128 { return join(f64x2.mul(lo(a), lo(b)), f64x2.mul(hi(a), hi(b))); }
  @inline export function div(a: v128, b: v128): v128 { return join(f64x2.div(lo(a), lo(b)), f64x2.div(hi(a), hi(b))); }
  @inline export function add(a: v128, b: v128): v128 { return join(f64x2.add(lo(a), lo(b)), f64x2.add(hi(a), hi(b))); }
  @inline export function sub(a: v128, b: v128): v128 { return join(f64x2.sub(lo(a), lo(b)), f64x2.sub(hi(a), hi(b))); }
  @inline export function sqrt(a: v128): v128 { return join(f64x2.sqrt(lo(a)), f64x2.sqrt(hi(a))); }
}

/**
 * rmsprop_f32's step on the 4 elements at these addresses, for a vector that passed its coarse
 * compare: the cache's operations (and √cache + eps) as `Exact` when a lane of g or the cache is
 * below its threshold (tinyGc, tinyC), lr·g and the division as `Exact` when one of g is below
 * tinyGl (`tinyLanes`' bits − 1); the rest in float32, as rmsprop_f32 does them.
 */
function rmspropTiny(
  pW: usize, pDw: usize, pCache: usize, lr: f32, rho: f32, omr: f32, eps: f32, tinyGc: i32, tinyC: i32, tinyGl: i32,
): void {
  const g = v128.load(pDw);
  const c0 = v128.load(pCache);
  const absMask = i32x4.splat(0x7fffffff);
  const one = i32x4.splat(1);
  const cTiny = v128.any_true(v128.or(tinyLanes(g, absMask, one, i32x4.splat(tinyGc)), tinyLanes(c0, absMask, one, i32x4.splat(tinyC))));
  const lTiny = v128.any_true(tinyLanes(g, absMask, one, i32x4.splat(tinyGl)));
  const vlr = f32x4.splat(lr), vrho = f32x4.splat(rho), vomr = f32x4.splat(omr), veps = f32x4.splat(eps);
  let c: v128, den: v128;
  if (cTiny) {
    const drho = f64x2.splat(<f64>rho), domr = f64x2.splat(<f64>omr), deps = f64x2.splat(<f64>eps);
    const gl = Exact.lo(g), gh = Exact.hi(g);
    const cl = Exact.decayedSquare(drho, Exact.lo(c0), domr, gl);
    const ch = Exact.decayedSquare(drho, Exact.hi(c0), domr, gh);
    c = Exact.join(cl, ch);
    den = Exact.join(f64x2.add(Exact.r(f64x2.sqrt(cl)), deps), f64x2.add(Exact.r(f64x2.sqrt(ch)), deps));
  } else {
    c = f32x4.add(f32x4.mul(vrho, c0), f32x4.mul(vomr, f32x4.mul(g, g)));
    den = f32x4.add(f32x4.sqrt(c), veps);
  }
  v128.store(pCache, c);
  const step = lTiny ? Exact.div(Exact.mul(vlr, g), den) : f32x4.div(f32x4.mul(vlr, g), den);
  v128.store(pW, f32x4.sub(v128.load(pW), step));
}

/** rmsprop_f32's float32 loop over the vectors of elements i0..i1 (multiples of 4). */
function rmspropVectors(i0: i32, i1: i32, pW: usize, pDw: usize, pCache: usize, lr: f32, rho: f32, omr: f32, eps: f32): void {
  const vlr = f32x4.splat(lr);
  const vrho = f32x4.splat(rho);
  const vomr = f32x4.splat(omr);
  const veps = f32x4.splat(eps);
  for (let i = i0; i < i1; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(pDw + o);
    const c = f32x4.add(f32x4.mul(vrho, v128.load(pCache + o)), f32x4.mul(vomr, f32x4.mul(g, g)));
    v128.store(pCache + o, c);
    const step = f32x4.div(f32x4.mul(vlr, g), f32x4.add(f32x4.sqrt(c), veps));
    v128.store(pW + o, f32x4.sub(v128.load(pW + o), step));
  }
}

/**
 * cache = rho·cache + (1−rho)·dw²; w = w − (lr·dw)/(√cache + eps). omr = float32(1 − rho).
 * A block of vectors that could meet a subnormal goes vector by vector through rmspropTiny
 * (see the note on subnormals above).
 */
export function rmsprop_f32(n: i32, pW: usize, pDw: usize, pCache: usize, lr: f32, rho: f32, omr: f32, eps: f32): void {
  const n4 = n & ~3;
  // Below these a lane may meet a subnormal: g·g and (1 − rho)·g² normal (|g| ≥ √(tiny/(1 − rho))),
  // rho·cache normal; lr·g normal.
  const tinyGc = max(reinterpret<i32>(<f32>Math.sqrt(<f64>reinterpret<f32>(tinyBits(omr)))), 0x20000000) - 1;
  const tinyC = tinyBits(rho) - 1;
  const tinyGl = tinyBits(lr) - 1;
  const tinyG = i32x4.splat(max(tinyGc, tinyGl));
  const tinyCv = i32x4.splat(tinyC);
  const absMask = i32x4.splat(0x7fffffff);
  const one = i32x4.splat(1);
  for (let b0 = 0; b0 < n4; b0 += SCAN_BLOCK) {
    const b1 = min(n4, b0 + SCAN_BLOCK);
    // NOTE: a compare-only pass over the block first (the least |g| − 1 and cache − 1, unsigned:
    // 0 wraps to the largest; one compare each per block), then the float32 loop as tight as
    // without the test: 0.53 against 0.39 ns per element on ordinary values, where a test in the
    // loop, as Adam has, took 0.72 (bench/dev/optim-subnormal.ts). Adam, whose loop its three divisions
    // bound, is faster with the test in the loop (0.82 against 0.95 with this pass).
    let gMin = i32x4.splat(-1);
    let cMin = i32x4.splat(-1);
    for (let i = b0; i < b1; i += 4) {
      const o = <usize>i << 2;
      gMin = i32x4.min_u(gMin, i32x4.sub(v128.and(v128.load(pDw + o), absMask), one));
      cMin = i32x4.min_u(cMin, i32x4.sub(v128.load(pCache + o), one));
    }
    const flags = v128.or(i32x4.lt_u(gMin, tinyG), i32x4.lt_u(cMin, tinyCv));
    if (!v128.any_true(flags)) {
      rmspropVectors(b0, b1, pW, pDw, pCache, lr, rho, omr, eps);
      continue;
    }
    for (let i = b0; i < b1; i += 4) {
      const o = <usize>i << 2;
      rmspropTiny(pW + o, pDw + o, pCache + o, lr, rho, omr, eps, tinyGc, tinyC, tinyGl);
    }
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(pDw + o);
    const c = rho * load<f32>(pCache + o) + omr * (g * g);
    store<f32>(pCache + o, c);
    store<f32>(pW + o, load<f32>(pW + o) - (lr * g) / (Mathf.sqrt(c) + eps));
  }
}

/**
 * adamVectors' step on the 4 elements at these addresses, for a vector that passed its coarse
 * compare. m's operations (and lr·m̂ / (√v̂ + eps)) are done as `Exact` when a lane of g or m is
 * below its threshold for them (tinyGm, tinyM), v's (and √v̂ + eps) when one of g or v is (tinyGv,
 * tinyV; `tinyLanes`' bits − 1); the rest in float32, as adamVectors does them.
 */
function adamTiny(
  pW: usize, pDw: usize, pM: usize, pV: usize,
  lr: f32, b1: f32, omb1: f32, c1: f32, b2: f32, omb2: f32, c2: f32, eps: f32,
  tinyGm: i32, tinyM: i32, tinyGv: i32, tinyV: i32,
): void {
  const g = v128.load(pDw);
  const m0 = v128.load(pM);
  const v0 = v128.load(pV);
  const absMask = i32x4.splat(0x7fffffff);
  const one = i32x4.splat(1);
  const mTiny = v128.any_true(v128.or(tinyLanes(g, absMask, one, i32x4.splat(tinyGm)), tinyLanes(m0, absMask, one, i32x4.splat(tinyM))));
  const vTiny = v128.any_true(v128.or(tinyLanes(g, absMask, one, i32x4.splat(tinyGv)), tinyLanes(v0, absMask, one, i32x4.splat(tinyV))));
  const vb1 = f32x4.splat(b1), vomb1 = f32x4.splat(omb1), vc1 = f32x4.splat(c1), vlr = f32x4.splat(lr);
  const vb2 = f32x4.splat(b2), vomb2 = f32x4.splat(omb2), vc2 = f32x4.splat(c2), veps = f32x4.splat(eps);
  // m / 1 and v / 1 are m and v: dividing by a correction of 1 gives the bits of skipping it.
  let m: v128, mt: v128, v: v128, den: v128, step: v128;
  if (mTiny) {
    m = Exact.add(Exact.mul(vb1, m0), Exact.mul(vomb1, g));
    mt = Exact.div(m, vc1);
  } else {
    m = f32x4.add(f32x4.mul(vb1, m0), f32x4.mul(vomb1, g));
    mt = f32x4.div(m, vc1);
  }
  if (vTiny) {
    // Each half in float64 throughout, rounded to float32 after every operation (Exact.r).
    const db2 = f64x2.splat(<f64>b2), domb2 = f64x2.splat(<f64>omb2), dc2 = f64x2.splat(<f64>c2), deps = f64x2.splat(<f64>eps);
    const gl = Exact.lo(g), gh = Exact.hi(g);
    const vl = Exact.decayedSquare(db2, Exact.lo(v0), domb2, gl);
    const vh = Exact.decayedSquare(db2, Exact.hi(v0), domb2, gh);
    v = Exact.join(vl, vh);
    const dl = f64x2.add(Exact.r(f64x2.sqrt(Exact.r(f64x2.div(vl, dc2)))), deps);
    const dh = f64x2.add(Exact.r(f64x2.sqrt(Exact.r(f64x2.div(vh, dc2)))), deps);
    den = Exact.join(dl, dh);
  } else {
    v = f32x4.add(f32x4.mul(vb2, v0), f32x4.mul(vomb2, f32x4.mul(g, g)));
    den = f32x4.add(f32x4.sqrt(f32x4.div(v, vc2)), veps);
  }
  if (mTiny) step = Exact.div(Exact.mul(vlr, mt), den);
  else step = f32x4.div(f32x4.mul(vlr, mt), den);
  v128.store(pM, m);
  v128.store(pV, v);
  v128.store(pW, f32x4.sub(v128.load(pW), step));
}

@inline function adamVectors(
  n4: i32, pW: usize, pDw: usize, pM: usize, pV: usize,
  lr: f32, b1: f32, omb1: f32, c1: f32, b2: f32, omb2: f32, c2: f32, eps: f32,
  div1: bool, div2: bool,
): void {
  const vlr = f32x4.splat(lr);
  const vb1 = f32x4.splat(b1);
  const vomb1 = f32x4.splat(omb1);
  const vc1 = f32x4.splat(c1);
  const vb2 = f32x4.splat(b2);
  const vomb2 = f32x4.splat(omb2);
  const vc2 = f32x4.splat(c2);
  const veps = f32x4.splat(eps);
  // Below these a lane may meet a subnormal: (1 − b1)·g, b1·m and lr·m̂ normal (|m̂| ≥ |b1·m| for a
  // sum that does not cancel); g·g and (1 − b2)·g² normal (|g| ≥ √(tiny/(1 − b2))), b2·v normal.
  const tinyGm = tinyBits(omb1) - 1;
  const tinyM = max(tinyBits(b1), tinyBits(lr * b1)) - 1;
  const tinyGv = max(reinterpret<i32>(<f32>Math.sqrt(<f64>reinterpret<f32>(tinyBits(omb2)))), 0x20000000) - 1;
  const tinyV = tinyBits(b2) - 1;
  // NOTE: one compare against the largest threshold in the loop, the exact ones (adamTiny) only for
  // a vector that passes it: the loop then takes 0.82 against 0.73 ns per element on ordinary
  // values, where the exact compares in the loop took 0.97, and a compare-only pass over each
  // block first (as rmsprop_f32 does) 0.95 (bench/dev/optim-subnormal.ts).
  const tinyAny = i32x4.splat(max(tinyGm, tinyGv));
  const sqrtBias = i32x4.splat(0x1fc00000);
  const absMask = i32x4.splat(0x7fffffff);
  const one = i32x4.splat(1);
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(pDw + o);
    const m0 = v128.load(pM + o);
    const v0 = v128.load(pV + o);
    // v is never negative: its bits need no mask. m's and v's bits − 1 are halved and moved up by
    // 63 exponents (about √x; 0 stays above every threshold), so that the one compare with g's
    // threshold (≈ 2⁻⁵⁸) catches m and v below about 2⁻¹¹⁶ rather than 2⁻⁵⁸.
    const mKey = i32x4.add(i32x4.shr_u(i32x4.sub(v128.and(m0, absMask), one), 1), sqrtBias);
    const vKey = i32x4.add(i32x4.shr_u(i32x4.sub(v0, one), 1), sqrtBias);
    const coarse = i32x4.lt_u(i32x4.min_u(i32x4.min_u(i32x4.sub(v128.and(g, absMask), one), mKey), vKey), tinyAny);
    if (v128.any_true(coarse)) {
      adamTiny(pW + o, pDw + o, pM + o, pV + o, lr, b1, omb1, c1, b2, omb2, c2, eps, tinyGm, tinyM, tinyGv, tinyV);
      continue;
    }
    const m = f32x4.add(f32x4.mul(vb1, m0), f32x4.mul(vomb1, g));
    v128.store(pM + o, m);
    const v = f32x4.add(f32x4.mul(vb2, v0), f32x4.mul(vomb2, f32x4.mul(g, g)));
    v128.store(pV + o, v);
    const mt = div1 ? f32x4.div(m, vc1) : m;
    const vt = div2 ? f32x4.div(v, vc2) : v;
    const step = f32x4.div(f32x4.mul(vlr, mt), f32x4.add(f32x4.sqrt(vt), veps));
    v128.store(pW + o, f32x4.sub(v128.load(pW + o), step));
  }
}

export function adam_f32(
  n: i32, pW: usize, pDw: usize, pM: usize, pV: usize,
  lr: f32, b1: f32, omb1: f32, c1: f32, b2: f32, omb2: f32, c2: f32, eps: f32,
): void {
  const n4 = n & ~3;
  if (c1 != 1) {
    if (c2 != 1) adamVectors(n4, pW, pDw, pM, pV, lr, b1, omb1, c1, b2, omb2, c2, eps, true, true);
    else adamVectors(n4, pW, pDw, pM, pV, lr, b1, omb1, c1, b2, omb2, c2, eps, true, false);
  } else if (c2 != 1) adamVectors(n4, pW, pDw, pM, pV, lr, b1, omb1, c1, b2, omb2, c2, eps, false, true);
  else adamVectors(n4, pW, pDw, pM, pV, lr, b1, omb1, c1, b2, omb2, c2, eps, false, false);
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(pDw + o);
    const m = b1 * load<f32>(pM + o) + omb1 * g;
    store<f32>(pM + o, m);
    const v = b2 * load<f32>(pV + o) + omb2 * (g * g);
    store<f32>(pV + o, v);
    const mt = m / c1;
    const vt = v / c2;
    store<f32>(pW + o, load<f32>(pW + o) - (lr * mt) / (Mathf.sqrt(vt) + eps));
  }
}
