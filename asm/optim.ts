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

/** cache = rho·cache + (1−rho)·dw²; w = w − (lr·dw)/(√cache + eps). omr = float32(1 − rho). */
export function rmsprop_f32(n: i32, pW: usize, pDw: usize, pCache: usize, lr: f32, rho: f32, omr: f32, eps: f32): void {
  const n4 = n & ~3;
  const vlr = f32x4.splat(lr);
  const vrho = f32x4.splat(rho);
  const vomr = f32x4.splat(omr);
  const veps = f32x4.splat(eps);
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(pDw + o);
    const c = f32x4.add(f32x4.mul(vrho, v128.load(pCache + o)), f32x4.mul(vomr, f32x4.mul(g, g)));
    v128.store(pCache + o, c);
    const step = f32x4.div(f32x4.mul(vlr, g), f32x4.add(f32x4.sqrt(c), veps));
    v128.store(pW + o, f32x4.sub(v128.load(pW + o), step));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const g = load<f32>(pDw + o);
    const c = rho * load<f32>(pCache + o) + omr * (g * g);
    store<f32>(pCache + o, c);
    store<f32>(pW + o, load<f32>(pW + o) - (lr * g) / (Mathf.sqrt(c) + eps));
  }
}

/**
 * m = b1·m + (1−b1)·dw; mt = m/c1; v = b2·v + (1−b2)·dw²; vt = v/c2;
 * w = w − (lr·mt)/(√vt + eps). omb1, omb2 = float32(1 − b1), float32(1 − b2);
 * c1, c2 = float32(1 − b1^t), float32(1 − b2^t).
 */
// NOTE: a bias correction c = float32(1 − βᵗ) is exactly 1 once βᵗ < 2⁻²⁵ (β1 = 0.9: t ≥ 165);
// m / 1 is m, so that division is skipped then (one of the three divisions that bound
// this loop), with the same bits. The branches are resolved once per call.
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
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    const g = v128.load(pDw + o);
    const m = f32x4.add(f32x4.mul(vb1, v128.load(pM + o)), f32x4.mul(vomb1, g));
    v128.store(pM + o, m);
    const v = f32x4.add(f32x4.mul(vb2, v128.load(pV + o)), f32x4.mul(vomb2, f32x4.mul(g, g)));
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
