// Batch normalization's closed-form backward pass in AssemblyScript with 128-bit SIMD.
//
// Computes what batchnormBackwardAlt in src/layers/batchnorm.ts computes on the
// TypeScript path: dbeta and dgamma bit for bit (the column sums accumulate in
// float64 in row order, the products are formed in float64, then rounded to the
// dtype), and
//   dx[i, j] = scale[j] · (N·dout[i, j] − dbeta[j] − xhat[i, j]·dgamma[j]),  scale = gamma·ivar/N
// in float64 for float64 (bit for bit) and, for float32, in float32 arithmetic as
// numpy evaluates the assignment's expression (within a few float32 ulps of the
// TypeScript path, which rounds once from float64).
// Two passes over the (N, D) arrays: the column sums (four columns at a time down the
// rows, accumulators in registers), then dx row by row. Pointers are byte offsets into the shared memory
// (see src/kernels/wasm.ts for the layout); sb and sg are D float64 accumulators.

/** Lanes 2, 3 of a float32 vector moved to lanes 0, 1 (for promote_low). */
@inline function high(v: v128): v128 {
  return i32x4.shuffle(v, v, 2, 3, 0, 1);
}

/** float32: dout, xhat, dx (N·D f32); gamma (D f32); ivar (D f64); dbeta, dgamma (D f32); sb, sg (D f64 scratch). */
export function bn_backward_alt_f32(
  N: i32, D: i32, pDout: usize, pXhat: usize, pGamma: usize, pIvar: usize,
  pDx: usize, pDbeta: usize, pDgamma: usize, pSb: usize, pSg: usize,
): void {
  const d4 = D & ~3;
  const ld = <usize>D * 4;
  // Pass 1, eight (then four) columns at a time down the rows: the float64
  // accumulators stay in registers, independent chains hide the add latency, and
  // every column still sums in row order.
  let j = 0;
  const d8 = D & ~7;
  for (; j < d8; j += 8) {
    let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
    let g0 = f64x2.splat(0), g1 = f64x2.splat(0), g2 = f64x2.splat(0), g3 = f64x2.splat(0);
    let pd = pDout + (<usize>j << 2);
    let px = pXhat + (<usize>j << 2);
    for (let i = 0; i < N; i++) {
      const d = v128.load(pd);
      const e = v128.load(pd, 16);
      const x = v128.load(px);
      const y = v128.load(px, 16);
      const d0 = f64x2.promote_low_f32x4(d);
      const d1 = f64x2.promote_low_f32x4(high(d));
      const d2 = f64x2.promote_low_f32x4(e);
      const d3 = f64x2.promote_low_f32x4(high(e));
      b0 = f64x2.add(b0, d0);
      b1 = f64x2.add(b1, d1);
      b2 = f64x2.add(b2, d2);
      b3 = f64x2.add(b3, d3);
      g0 = f64x2.add(g0, f64x2.mul(d0, f64x2.promote_low_f32x4(x)));
      g1 = f64x2.add(g1, f64x2.mul(d1, f64x2.promote_low_f32x4(high(x))));
      g2 = f64x2.add(g2, f64x2.mul(d2, f64x2.promote_low_f32x4(y)));
      g3 = f64x2.add(g3, f64x2.mul(d3, f64x2.promote_low_f32x4(high(y))));
      pd += ld;
      px += ld;
    }
    const c = <usize>j << 3;
    v128.store(pSb + c, b0);
    v128.store(pSb + c, b1, 16);
    v128.store(pSb + c, b2, 32);
    v128.store(pSb + c, b3, 48);
    v128.store(pSg + c, g0);
    v128.store(pSg + c, g1, 16);
    v128.store(pSg + c, g2, 32);
    v128.store(pSg + c, g3, 48);
  }
  for (; j < d4; j += 4) {
    let b0 = f64x2.splat(0), b1 = f64x2.splat(0), g0 = f64x2.splat(0), g1 = f64x2.splat(0);
    let pd = pDout + (<usize>j << 2);
    let px = pXhat + (<usize>j << 2);
    for (let i = 0; i < N; i++) {
      const d = v128.load(pd);
      const x = v128.load(px);
      const dlo = f64x2.promote_low_f32x4(d);
      const dhi = f64x2.promote_low_f32x4(high(d));
      b0 = f64x2.add(b0, dlo);
      b1 = f64x2.add(b1, dhi);
      g0 = f64x2.add(g0, f64x2.mul(dlo, f64x2.promote_low_f32x4(x)));
      g1 = f64x2.add(g1, f64x2.mul(dhi, f64x2.promote_low_f32x4(high(x))));
      pd += ld;
      px += ld;
    }
    const c = <usize>j << 3;
    v128.store(pSb + c, b0);
    v128.store(pSb + c, b1, 16);
    v128.store(pSg + c, g0);
    v128.store(pSg + c, g1, 16);
  }
  for (; j < D; j++) {
    let sb: f64 = 0;
    let sg: f64 = 0;
    for (let i = 0; i < N; i++) {
      const o = <usize>i * ld + (<usize>j << 2);
      const d = <f64>load<f32>(pDout + o);
      sb += d;
      sg += d * <f64>load<f32>(pXhat + o);
    }
    store<f64>(pSb + (<usize>j << 3), sb);
    store<f64>(pSg + (<usize>j << 3), sg);
  }
  // dbeta, dgamma in the dtype; the scale gamma·ivar/N (rounded once to float32)
  // reuses sb's scratch once dbeta is out.
  const n = <f64>N;
  for (let j = 0; j < D; j++) {
    const o = <usize>j << 2;
    store<f32>(pDbeta + o, <f32>load<f64>(pSb + (<usize>j << 3)));
    store<f32>(pDgamma + o, <f32>load<f64>(pSg + (<usize>j << 3)));
    store<f32>(pSb + o, <f32>((<f64>load<f32>(pGamma + o) * load<f64>(pIvar + (<usize>j << 3))) / n));
  }
  // Pass 2 in float32, as the assignment's numpy evaluates it:
  // dx = scale·((N·dout − dbeta) − xhat·dgamma).
  const nv = f32x4.splat(<f32>N);
  for (let i = 0; i < N; i++) {
    const row = <usize>i * <usize>D * 4;
    let j = 0;
    for (; j < d4; j += 4) {
      const o = row + (<usize>j << 2);
      const c = <usize>j << 2;
      const t = f32x4.sub(
        f32x4.sub(f32x4.mul(nv, v128.load(pDout + o)), v128.load(pDbeta + c)),
        f32x4.mul(v128.load(pXhat + o), v128.load(pDgamma + c)),
      );
      v128.store(pDx + o, f32x4.mul(v128.load(pSb + c), t));
    }
    for (; j < D; j++) {
      const o = row + (<usize>j << 2);
      const c = <usize>j << 2;
      store<f32>(pDx + o, load<f32>(pSb + c) * (<f32>N * load<f32>(pDout + o) - load<f32>(pDbeta + c) - load<f32>(pXhat + o) * load<f32>(pDgamma + c)));
    }
  }
}

/** float64: as bn_backward_alt_f32 with every (N·D) and (D) dtype array in f64, dx in f64 arithmetic. */
export function bn_backward_alt_f64(
  N: i32, D: i32, pDout: usize, pXhat: usize, pGamma: usize, pIvar: usize,
  pDx: usize, pDbeta: usize, pDgamma: usize, pSb: usize, pSg: usize,
): void {
  const d4 = D & ~3;
  const ld = <usize>D * 8;
  let j = 0;
  for (; j < d4; j += 4) {
    let b0 = f64x2.splat(0), b1 = f64x2.splat(0), g0 = f64x2.splat(0), g1 = f64x2.splat(0);
    let pd = pDout + (<usize>j << 3);
    let px = pXhat + (<usize>j << 3);
    for (let i = 0; i < N; i++) {
      const d0 = v128.load(pd);
      const d1 = v128.load(pd, 16);
      b0 = f64x2.add(b0, d0);
      b1 = f64x2.add(b1, d1);
      g0 = f64x2.add(g0, f64x2.mul(d0, v128.load(px)));
      g1 = f64x2.add(g1, f64x2.mul(d1, v128.load(px, 16)));
      pd += ld;
      px += ld;
    }
    const c = <usize>j << 3;
    v128.store(pSb + c, b0);
    v128.store(pSb + c, b1, 16);
    v128.store(pSg + c, g0);
    v128.store(pSg + c, g1, 16);
  }
  for (; j < D; j++) {
    let sb: f64 = 0;
    let sg: f64 = 0;
    for (let i = 0; i < N; i++) {
      const o = <usize>i * ld + (<usize>j << 3);
      const d = load<f64>(pDout + o);
      sb += d;
      sg += d * load<f64>(pXhat + o);
    }
    store<f64>(pSb + (<usize>j << 3), sb);
    store<f64>(pSg + (<usize>j << 3), sg);
  }
  const n = <f64>N;
  for (let j = 0; j < D; j++) {
    const c = <usize>j << 3;
    store<f64>(pDbeta + c, load<f64>(pSb + c));
    store<f64>(pDgamma + c, load<f64>(pSg + c));
    store<f64>(pSb + c, (load<f64>(pGamma + c) * load<f64>(pIvar + c)) / n);
  }
  const nv = f64x2.splat(n);
  const d2 = D & ~1;
  for (let i = 0; i < N; i++) {
    const row = <usize>i * <usize>D * 8;
    let j = 0;
    for (; j < d2; j += 2) {
      const o = row + (<usize>j << 3);
      const c = <usize>j << 3;
      const t = f64x2.sub(
        f64x2.sub(f64x2.mul(nv, v128.load(pDout + o)), v128.load(pDbeta + c)),
        f64x2.mul(v128.load(pXhat + o), v128.load(pDgamma + c)),
      );
      v128.store(pDx + o, f64x2.mul(v128.load(pSb + c), t));
    }
    for (; j < D; j++) {
      const o = row + (<usize>j << 3);
      const c = <usize>j << 3;
      store<f64>(pDx + o, load<f64>(pSb + c) * (n * load<f64>(pDout + o) - load<f64>(pDbeta + c) - load<f64>(pXhat + o) * load<f64>(pDgamma + c)));
    }
  }
}

// ---------------------------------------------------------------- forward
// Batch normalization's forward pass, bit for bit what batchnormForward in
// src/layers/batchnorm.ts computes on the TypeScript path: float64 column sums in
// row order, xmu = x − mean rounded to the dtype, the variance from the rounded xmu,
// sqrtvar = sqrt(var + eps), ivar = 1/sqrtvar in float64, xhat = xmu·ivar and
// out = gamma·xhat + beta each rounded to the dtype once. Generic over the dtype T;
// a group is four elements as two f64x2 halves.

@inline function lo<T>(p: usize): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(v128.load(p));
  return v128.load(p);
}

@inline function hi<T>(p: usize): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(high(v128.load(p)));
  return v128.load(p, 16);
}

@inline function storeGroup<T>(p: usize, a: v128, b: v128): void {
  if (sizeof<T>() == 4) {
    v128.store(p, i32x4.shuffle(f32x4.demote_f64x2_zero(a), f32x4.demote_f64x2_zero(b), 0, 1, 4, 5));
  } else {
    v128.store(p, a);
    v128.store(p, b, 16);
  }
}

/** Rounds float64 lanes to T and back (the value a store and reload would give). */
@inline function round2<T>(a: v128): v128 {
  if (sizeof<T>() == 4) return f64x2.promote_low_f32x4(f32x4.demote_f64x2_zero(a));
  return a;
}

function bnForward<T>(
  train: i32, N: i32, D: i32, eps: f64, pX: usize, pGamma: usize, pBeta: usize,
  pMu: usize, pVar: usize, pSqrtvar: usize, pIvar: usize, pXmu: usize, pXhat: usize, pOut: usize,
): void {
  const es = <usize>sizeof<T>();
  const ld = <usize>D * es;
  const d4 = D & ~3;
  const n = <f64>N;
  if (train) {
    // mu: column sums down the rows, four columns (two float64 pairs) at a time.
    let j = 0;
    for (; j < d4; j += 4) {
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
      let p = pX + <usize>j * es;
      for (let i = 0; i < N; i++) {
        s0 = f64x2.add(s0, lo<T>(p));
        s1 = f64x2.add(s1, hi<T>(p));
        p += ld;
      }
      const c = pMu + (<usize>j << 3);
      v128.store(c, f64x2.div(s0, f64x2.splat(n)));
      v128.store(c, f64x2.div(s1, f64x2.splat(n)), 16);
    }
    for (; j < D; j++) {
      let s: f64 = 0;
      for (let i = 0; i < N; i++) s += <f64>load<T>(pX + <usize>i * ld + <usize>j * es);
      store<f64>(pMu + (<usize>j << 3), s / n);
    }
    // xmu = x − mu (rounded), var = mean of xmu² from the rounded values.
    j = 0;
    for (; j < d4; j += 4) {
      const c = <usize>j << 3;
      const m0 = v128.load(pMu + c);
      const m1 = v128.load(pMu + c, 16);
      let s0 = f64x2.splat(0), s1 = f64x2.splat(0);
      let p = <usize>j * es;
      for (let i = 0; i < N; i++) {
        const e0 = round2<T>(f64x2.sub(lo<T>(pX + p), m0));
        const e1 = round2<T>(f64x2.sub(hi<T>(pX + p), m1));
        storeGroup<T>(pXmu + p, e0, e1);
        s0 = f64x2.add(s0, f64x2.mul(e0, e0));
        s1 = f64x2.add(s1, f64x2.mul(e1, e1));
        p += ld;
      }
      v128.store(pVar + c, f64x2.div(s0, f64x2.splat(n)));
      v128.store(pVar + c, f64x2.div(s1, f64x2.splat(n)), 16);
    }
    for (; j < D; j++) {
      const m = load<f64>(pMu + (<usize>j << 3));
      let s: f64 = 0;
      for (let i = 0; i < N; i++) {
        const o = <usize>i * ld + <usize>j * es;
        store<T>(pXmu + o, <T>(<f64>load<T>(pX + o) - m));
        const e = <f64>load<T>(pXmu + o);
        s += e * e;
      }
      store<f64>(pVar + (<usize>j << 3), s / n);
    }
  } else {
    // Test mode: mu and var are the running statistics (given); xmu = x − mu.
    for (let i = 0; i < N; i++) {
      const row = <usize>i * ld;
      let j = 0;
      for (; j < d4; j += 4) {
        const c = <usize>j << 3;
        const p = row + <usize>j * es;
        storeGroup<T>(pXmu + p, f64x2.sub(lo<T>(pX + p), v128.load(pMu + c)), f64x2.sub(hi<T>(pX + p), v128.load(pMu + c, 16)));
      }
      for (; j < D; j++) {
        const o = row + <usize>j * es;
        store<T>(pXmu + o, <T>(<f64>load<T>(pX + o) - load<f64>(pMu + (<usize>j << 3))));
      }
    }
  }
  for (let j = 0; j < D; j++) {
    const c = <usize>j << 3;
    const s = Math.sqrt(load<f64>(pVar + c) + eps);
    store<f64>(pSqrtvar + c, s);
    store<f64>(pIvar + c, 1 / s);
  }
  // xhat = xmu·ivar (rounded), out = gamma·xhat + beta (rounded), row by row.
  for (let i = 0; i < N; i++) {
    const row = <usize>i * ld;
    let j = 0;
    for (; j < d4; j += 4) {
      const c = <usize>j << 3;
      const g = <usize>j * es;
      const p = row + g;
      const h0 = round2<T>(f64x2.mul(lo<T>(pXmu + p), v128.load(pIvar + c)));
      const h1 = round2<T>(f64x2.mul(hi<T>(pXmu + p), v128.load(pIvar + c, 16)));
      storeGroup<T>(pXhat + p, h0, h1);
      const o0 = f64x2.add(f64x2.mul(lo<T>(pGamma + g), h0), lo<T>(pBeta + g));
      const o1 = f64x2.add(f64x2.mul(hi<T>(pGamma + g), h1), hi<T>(pBeta + g));
      storeGroup<T>(pOut + p, o0, o1);
    }
    for (; j < D; j++) {
      const g = <usize>j * es;
      const o = row + g;
      store<T>(pXhat + o, <T>(<f64>load<T>(pXmu + o) * load<f64>(pIvar + (<usize>j << 3))));
      store<T>(pOut + o, <T>(<f64>load<T>(pGamma + g) * <f64>load<T>(pXhat + o) + <f64>load<T>(pBeta + g)));
    }
  }
}

/** float32 forward; mu, var, sqrtvar, ivar are D float64 (mu, var inputs in test mode, outputs in train mode). */
export function bn_forward_f32(
  train: i32, N: i32, D: i32, eps: f64, pX: usize, pGamma: usize, pBeta: usize,
  pMu: usize, pVar: usize, pSqrtvar: usize, pIvar: usize, pXmu: usize, pXhat: usize, pOut: usize,
): void {
  bnForward<f32>(train, N, D, eps, pX, pGamma, pBeta, pMu, pVar, pSqrtvar, pIvar, pXmu, pXhat, pOut);
}

/** float64 forward; as bn_forward_f32. */
export function bn_forward_f64(
  train: i32, N: i32, D: i32, eps: f64, pX: usize, pGamma: usize, pBeta: usize,
  pMu: usize, pVar: usize, pSqrtvar: usize, pIvar: usize, pXmu: usize, pXhat: usize, pOut: usize,
): void {
  bnForward<f64>(train, N, D, eps, pX, pGamma, pBeta, pMu, pVar, pSqrtvar, pIvar, pXmu, pXhat, pOut);
}
