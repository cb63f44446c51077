// ReLU's forward and backward passes in AssemblyScript with 128-bit SIMD, for the
// TypeScript loops of src/layers/relu.ts, bit for bit, with numpy's NaN semantics:
//   out = x < 0 ? 0 : x          (np.maximum(0, x): NaN and -0 pass through)
//   dx  = dout * (x > 0 ? 1 : 0) (dout * (x > 0): NaN/Infinity in dout stay NaN, -0 kept)
// `pmax(x, 0)` is exactly `x < 0 ? 0 : x` (wasm's pseudo-maximum, no NaN canonicalisation,
// unlike `max`); the backward mask `gt` (all ones where x > 0, false for NaN) selects 1.0
// or 0.0, which multiplies dout. No branch, where the TypeScript loop pays a mispredicted
// branch for about every other element of real activations.
// Pointers are byte offsets into this module's memory (see src/kernels/wasm.ts).

/** out = x < 0 ? 0 : x for n float32 values. */
export function relu_forward_f32(n: i32, pX: usize, pOut: usize): void {
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(pOut + o, f32x4.pmax(v128.load(pX + o), zero));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(pX + o);
    store<f32>(pOut + o, x < 0 ? 0 : x);
  }
}

/** dx = dout * (x > 0 ? 1 : 0) for n float32 values. */
export function relu_backward_f32(n: i32, pX: usize, pDout: usize, pDx: usize): void {
  const zero = f32x4.splat(0);
  const one = f32x4.splat(1);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const mask = v128.and(f32x4.gt(v128.load(pX + o), zero), one);
    v128.store(pDx + o, f32x4.mul(v128.load(pDout + o), mask));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(pDx + o, load<f32>(pDout + o) * (load<f32>(pX + o) > 0 ? <f32>1 : <f32>0));
  }
}

/** out = x < 0 ? 0 : x for n float64 values. */
export function relu_forward_f64(n: i32, pX: usize, pOut: usize): void {
  const zero = f64x2.splat(0);
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const o = <usize>i << 3;
    v128.store(pOut + o, f64x2.pmax(v128.load(pX + o), zero));
  }
  if (i < n) {
    const o = <usize>i << 3;
    const x = load<f64>(pX + o);
    store<f64>(pOut + o, x < 0 ? 0 : x);
  }
}

/** dx = dout * (x > 0 ? 1 : 0) for n float64 values. */
export function relu_backward_f64(n: i32, pX: usize, pDout: usize, pDx: usize): void {
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const o = <usize>i << 3;
    const mask = v128.and(f64x2.gt(v128.load(pX + o), zero), one);
    v128.store(pDx + o, f64x2.mul(v128.load(pDout + o), mask));
  }
  if (i < n) {
    const o = <usize>i << 3;
    store<f64>(pDx + o, load<f64>(pDout + o) * (load<f64>(pX + o) > 0 ? 1.0 : 0.0));
  }
}
