// Whether every element of an array is finite, for the fully connected net's
// regularization pass (src/models/fc-net.ts): with reg = 0 it is skipped exactly when
// every weight is finite. x − x is +0 for a finite x and NaN for ±Infinity and NaN, so
// OR-ing the differences' bits leaves zero exactly when all are finite.
// Pointers are byte offsets into this module's memory (see src/kernels/wasm.ts).

/** 1 when the n float32 values at p are all finite, else 0. */
export function all_finite_f32(n: i32, p: usize): i32 {
  let a = i32x4.splat(0);
  let b = i32x4.splat(0);
  const n8 = n & ~7;
  let i = 0;
  for (; i < n8; i += 8) {
    const x = v128.load(p + (<usize>i << 2));
    const y = v128.load(p + (<usize>i << 2), 16);
    a = v128.or(a, f32x4.sub(x, x));
    b = v128.or(b, f32x4.sub(y, y));
  }
  let s: f32 = 0;
  for (; i < n; i++) {
    const x = load<f32>(p + (<usize>i << 2));
    s += x - x;
  }
  return !v128.any_true(v128.or(a, b)) && s == 0 ? 1 : 0;
}

/** 1 when the n float64 values at p are all finite, else 0. */
export function all_finite_f64(n: i32, p: usize): i32 {
  let a = i32x4.splat(0);
  let b = i32x4.splat(0);
  const n4 = n & ~3;
  let i = 0;
  for (; i < n4; i += 4) {
    const x = v128.load(p + (<usize>i << 3));
    const y = v128.load(p + (<usize>i << 3), 16);
    a = v128.or(a, f64x2.sub(x, x));
    b = v128.or(b, f64x2.sub(y, y));
  }
  let s: f64 = 0;
  for (; i < n; i++) {
    const x = load<f64>(p + (<usize>i << 3));
    s += x - x;
  }
  return !v128.any_true(v128.or(a, b)) && s == 0 ? 1 : 0;
}
