// ReLU's forward and backward passes in AssemblyScript with 128-bit SIMD, for the
// TypeScript loops of src/layers/relu.ts, bit for bit:
//   out = x > 0 ? x : 0          dx = x > 0 ? dout : 0
// as a bit mask: `gt` is all ones where x > 0 (false for NaN, ±0 and negatives), so
// the result is the value's bits or +0 — no branch, where the TypeScript loop pays
// a mispredicted branch for about every other element of real activations.
// Pointers are byte offsets into this module's memory (see src/kernels/wasm.ts).

/** out = x > 0 ? x : 0 for n float32 values. */
export function relu_forward_f32(n: i32, pX: usize, pOut: usize): void {
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    const x = v128.load(pX + o);
    v128.store(pOut + o, v128.and(x, f32x4.gt(x, zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    const x = load<f32>(pX + o);
    store<f32>(pOut + o, x > 0 ? x : 0);
  }
}

/** dx = x > 0 ? dout : 0 for n float32 values. */
export function relu_backward_f32(n: i32, pX: usize, pDout: usize, pDx: usize): void {
  const zero = f32x4.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(pDx + o, v128.and(v128.load(pDout + o), f32x4.gt(v128.load(pX + o), zero)));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(pDx + o, load<f32>(pX + o) > 0 ? load<f32>(pDout + o) : 0);
  }
}

/** out = x > 0 ? x : 0 for n float64 values. */
export function relu_forward_f64(n: i32, pX: usize, pOut: usize): void {
  const zero = f64x2.splat(0);
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const o = <usize>i << 3;
    const x = v128.load(pX + o);
    v128.store(pOut + o, v128.and(x, f64x2.gt(x, zero)));
  }
  if (i < n) {
    const o = <usize>i << 3;
    const x = load<f64>(pX + o);
    store<f64>(pOut + o, x > 0 ? x : 0);
  }
}

/** dx = x > 0 ? dout : 0 for n float64 values. */
export function relu_backward_f64(n: i32, pX: usize, pDout: usize, pDx: usize): void {
  const zero = f64x2.splat(0);
  const n2 = n & ~1;
  let i = 0;
  for (; i < n2; i += 2) {
    const o = <usize>i << 3;
    v128.store(pDx + o, v128.and(v128.load(pDout + o), f64x2.gt(v128.load(pX + o), zero)));
  }
  if (i < n) {
    const o = <usize>i << 3;
    store<f64>(pDx + o, load<f64>(pX + o) > 0 ? load<f64>(pDout + o) : 0);
  }
}
