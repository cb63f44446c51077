// General matrix multiply in AssemblyScript with 128-bit SIMD, for float32 and float64.
//
// Computes exactly what src/kernels/reference.ts defines, row-major:
//   C (M×N) = op(A)·op(B)   (+ C when accumulate != 0)
// op(A) is A (M×K) or, with transA, Aᵀ of A stored K×M; op(B) is B (K×N) or, with
// transB, Bᵀ of B stored N×K. All pointers are byte offsets into this module's
// memory; the TypeScript side (src/kernels/wasm.ts) copies operands in and C out.
//
// Structure (after GotoBLAS / BLIS, reduced to what the assignment's shapes need):
//   for each KC block of k:
//     pack op(A)[:, block] into MR-row tiles and op(B)[block, :] into NR-column panels
//     for each column panel, for each row tile: the micro-kernel, an MR×NR tile of C
//     (a block of A larger than B's: for each pair of row tiles, for each column panel)
// Packing makes both transposes free: the micro-kernel only ever sees tiles laid
// out k-major. A float32 B that is not transposed is not packed but for its edge panel:
// a full panel's k rows are read in place, N·4 bytes apart (`ldb`). It keeps MR·(NR/lanes) = 12 v128 accumulators (V8 has 16 xmm
// registers for wasm code), broadcasts each element of the A tile with
// load32_splat / load64_splat and loads one row of the B panel as two vectors.
// Ragged edges: tiles and panels are zero-padded to MR rows and NR columns (and a
// block to an even number of k), and an edge tile is computed into scratch and
// only its valid part written to C. float32 edges run narrower kernels: panels of
// 3–4 columns (micro32n4), of 1–2 columns (micro32n2x2: vectors down the rows, so
// N = 50 or 10 does not spend a 4-wide vector on 2 columns), tiles of ≤ 4 or ≤ 2 rows.
//
// Built twice by scripts/build-wasm.mjs: `--enable simd` and additionally
// `--enable relaxed-simd`, where ASC_FEATURE_RELAXED_SIMD turns the multiply-add
// into f32x4/f64x2.relaxed_madd (fused where the hardware has FMA).

const MR: i32 = 6;
const KC: i32 = 256;
// Full Aᵀ tiles packed per pass over a k row (packA).
const TA_GROUP: i32 = 16;

// NOTE: `a * b + c`; relaxed_madd may round once (fused) or twice, so results can
// differ in the last bit between the two builds, never between runs of one build.
@inline function madd32(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c);
  return f32x4.add(f32x4.mul(a, b), c);
}

@inline function madd64(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f64x2.relaxed_madd(a, b, c);
  return f64x2.add(f64x2.mul(a, b), c);
}

/**
 * float32 6×8 micro-kernel: a holds 6 values per k (a packed tile), b 8 per k, its k rows ldb
 * bytes apart (32 in a packed panel, N·4 read in place); kc is even (the packers pad an odd
 * block with a zero row). Writes the 6×8 tile at c, rows ldc bytes apart: the scratch tile
 * (ldc = 32) or C itself.
 */
function micro32(kc: i32, a: usize, b: usize, ldb: usize, c: usize, ldc: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0);
  // NOTE: unrolled by two k with constant offsets, so the loop advances just two
  // pointers per 24 multiply-adds; V8 folds the offsets into the loads.
  for (let k = 0; k < kc; k += 2) {
    let b0 = v128.load(b);
    let b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd32(x, b0, c00); c01 = madd32(x, b1, c01);
    x = v128.load32_splat(a, 4);
    c10 = madd32(x, b0, c10); c11 = madd32(x, b1, c11);
    x = v128.load32_splat(a, 8);
    c20 = madd32(x, b0, c20); c21 = madd32(x, b1, c21);
    x = v128.load32_splat(a, 12);
    c30 = madd32(x, b0, c30); c31 = madd32(x, b1, c31);
    x = v128.load32_splat(a, 16);
    c40 = madd32(x, b0, c40); c41 = madd32(x, b1, c41);
    x = v128.load32_splat(a, 20);
    c50 = madd32(x, b0, c50); c51 = madd32(x, b1, c51);
    b0 = v128.load(b + ldb);
    b1 = v128.load(b + ldb, 16);
    x = v128.load32_splat(a, 24);
    c00 = madd32(x, b0, c00); c01 = madd32(x, b1, c01);
    x = v128.load32_splat(a, 28);
    c10 = madd32(x, b0, c10); c11 = madd32(x, b1, c11);
    x = v128.load32_splat(a, 32);
    c20 = madd32(x, b0, c20); c21 = madd32(x, b1, c21);
    x = v128.load32_splat(a, 36);
    c30 = madd32(x, b0, c30); c31 = madd32(x, b1, c31);
    x = v128.load32_splat(a, 40);
    c40 = madd32(x, b0, c40); c41 = madd32(x, b1, c41);
    x = v128.load32_splat(a, 44);
    c50 = madd32(x, b0, c50); c51 = madd32(x, b1, c51);
    a += 48;
    b += 2 * ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  c += ldc;
  v128.store(c, c10); v128.store(c, c11, 16);
  c += ldc;
  v128.store(c, c20); v128.store(c, c21, 16);
  c += ldc;
  v128.store(c, c30); v128.store(c, c31, 16);
  c += ldc;
  v128.store(c, c40); v128.store(c, c41, 16);
  c += ldc;
  v128.store(c, c50); v128.store(c, c51, 16);
}

/** The 6×8 float32 kernel for an edge panel of at most 4 columns (packed 4 wide: 16 bytes per k). */
function micro32n4(kc: i32, a: usize, b: usize, c: usize): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
  let c3 = f32x4.splat(0), c4 = f32x4.splat(0), c5 = f32x4.splat(0);
  for (let k = 0; k < kc; k += 2) {
    let b0 = v128.load(b);
    c0 = madd32(v128.load32_splat(a), b0, c0);
    c1 = madd32(v128.load32_splat(a, 4), b0, c1);
    c2 = madd32(v128.load32_splat(a, 8), b0, c2);
    c3 = madd32(v128.load32_splat(a, 12), b0, c3);
    c4 = madd32(v128.load32_splat(a, 16), b0, c4);
    c5 = madd32(v128.load32_splat(a, 20), b0, c5);
    b0 = v128.load(b, 16);
    c0 = madd32(v128.load32_splat(a, 24), b0, c0);
    c1 = madd32(v128.load32_splat(a, 28), b0, c1);
    c2 = madd32(v128.load32_splat(a, 32), b0, c2);
    c3 = madd32(v128.load32_splat(a, 36), b0, c3);
    c4 = madd32(v128.load32_splat(a, 40), b0, c4);
    c5 = madd32(v128.load32_splat(a, 44), b0, c5);
    a += 48;
    b += 32;
  }
  v128.store(c, c0); v128.store(c + 32, c1); v128.store(c + 64, c2);
  v128.store(c + 96, c3); v128.store(c + 128, c4); v128.store(c + 160, c5);
}

/**
 * The float32 kernel for an edge panel of at most 2 columns (packed 2 wide: 8 bytes per k), two
 * 6-row tiles at once (a0, a1): 12 rows × 2 columns, written to the scratch tile as 12 rows of 2
 * values (8 bytes). Vectors run down the rows: the 6 values of a tile at one k are loaded as rows
 * 0–3 and rows 2–5 (overlapping; rows 2–3 of the second vector are not kept), and each column's
 * value is broadcast. Two tiles keep 8 accumulators in flight (one tile's 4 would wait on the
 * add latency). Every element still gets acc + a·b in k order from 0, as in micro32.
 */
function micro32n2x2(kc: i32, a0: usize, a1: usize, b: usize, c: usize): void {
  let p00 = f32x4.splat(0), p01 = f32x4.splat(0), p10 = f32x4.splat(0), p11 = f32x4.splat(0);
  let q00 = f32x4.splat(0), q01 = f32x4.splat(0), q10 = f32x4.splat(0), q11 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const x0 = v128.load32_splat(b);
    const x1 = v128.load32_splat(b, 4);
    const u0 = v128.load(a0), u1 = v128.load(a0, 8);
    const v0 = v128.load(a1), v1 = v128.load(a1, 8);
    p00 = madd32(u0, x0, p00); p01 = madd32(u1, x0, p01);
    q00 = madd32(u0, x1, q00); q01 = madd32(u1, x1, q01);
    p10 = madd32(v0, x0, p10); p11 = madd32(v1, x0, p11);
    q10 = madd32(v0, x1, q10); q11 = madd32(v1, x1, q11);
    a0 += 24;
    a1 += 24;
    b += 8;
  }
  storeColumns2(c, p00, p01, q00, q01);
  storeColumns2(c + 48, p10, p11, q10, q11);
}

/** micro32n2x2 for one 6-row tile (the last of an odd count). */
function micro32n2(kc: i32, a: usize, b: usize, c: usize): void {
  let p0 = f32x4.splat(0), p1 = f32x4.splat(0), q0 = f32x4.splat(0), q1 = f32x4.splat(0);
  for (let k = 0; k < kc; k++) {
    const x0 = v128.load32_splat(b);
    const x1 = v128.load32_splat(b, 4);
    const u0 = v128.load(a), u1 = v128.load(a, 8);
    p0 = madd32(u0, x0, p0); p1 = madd32(u1, x0, p1);
    q0 = madd32(u0, x1, q0); q1 = madd32(u1, x1, q1);
    a += 24;
    b += 8;
  }
  storeColumns2(c, p0, p1, q0, q1);
}

/** 6 rows × 2 columns from the down-the-rows vectors (rows 0–3 and 2–5 of each column) as 6 rows of 8 bytes. */
@inline function storeColumns2(c: usize, p0: v128, p1: v128, q0: v128, q1: v128): void {
  // Rows 0–1 and 2–3: lanes 0–1 / 2–3 of p0 and q0 interleaved; rows 4–5: lanes 2–3 of p1 and q1.
  v128.store(c, i32x4.shuffle(p0, q0, 0, 4, 1, 5));
  v128.store(c, i32x4.shuffle(p0, q0, 2, 6, 3, 7), 16);
  v128.store(c, i32x4.shuffle(p1, q1, 2, 6, 3, 7), 32);
}

/** The float32 kernel for an edge tile of at most 4 rows (of the 6-row packed tile; B as in micro32): rows 0–3 of the scratch tile. */
function micro32m4(kc: i32, a: usize, b: usize, ldb: usize, c: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let k = 0; k < kc; k += 2) {
    let b0 = v128.load(b);
    let b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd32(x, b0, c00); c01 = madd32(x, b1, c01);
    x = v128.load32_splat(a, 4);
    c10 = madd32(x, b0, c10); c11 = madd32(x, b1, c11);
    x = v128.load32_splat(a, 8);
    c20 = madd32(x, b0, c20); c21 = madd32(x, b1, c21);
    x = v128.load32_splat(a, 12);
    c30 = madd32(x, b0, c30); c31 = madd32(x, b1, c31);
    b0 = v128.load(b + ldb);
    b1 = v128.load(b + ldb, 16);
    x = v128.load32_splat(a, 24);
    c00 = madd32(x, b0, c00); c01 = madd32(x, b1, c01);
    x = v128.load32_splat(a, 28);
    c10 = madd32(x, b0, c10); c11 = madd32(x, b1, c11);
    x = v128.load32_splat(a, 32);
    c20 = madd32(x, b0, c20); c21 = madd32(x, b1, c21);
    x = v128.load32_splat(a, 36);
    c30 = madd32(x, b0, c30); c31 = madd32(x, b1, c31);
    a += 48;
    b += 2 * ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + 32, c10); v128.store(c + 32, c11, 16);
  v128.store(c + 64, c20); v128.store(c + 64, c21, 16);
  v128.store(c + 96, c30); v128.store(c + 96, c31, 16);
}

/** The float32 kernel for an edge tile of at most 2 rows (B as in micro32): rows 0–1 of the scratch tile. */
function micro32m2(kc: i32, a: usize, b: usize, ldb: usize, c: usize): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  for (let k = 0; k < kc; k += 2) {
    let b0 = v128.load(b);
    let b1 = v128.load(b, 16);
    let x = v128.load32_splat(a);
    c00 = madd32(x, b0, c00); c01 = madd32(x, b1, c01);
    x = v128.load32_splat(a, 4);
    c10 = madd32(x, b0, c10); c11 = madd32(x, b1, c11);
    b0 = v128.load(b + ldb);
    b1 = v128.load(b + ldb, 16);
    x = v128.load32_splat(a, 24);
    c00 = madd32(x, b0, c00); c01 = madd32(x, b1, c01);
    x = v128.load32_splat(a, 28);
    c10 = madd32(x, b0, c10); c11 = madd32(x, b1, c11);
    a += 48;
    b += 2 * ldb;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + 32, c10); v128.store(c + 32, c11, 16);
}

/** float64 6×4 micro-kernel over packed panels (6 values of A and 4 of B per k) into a scratch tile of 32-byte rows; as micro32. */
function micro64(kc: i32, a: usize, b: usize, c: usize): void {
  let c00 = f64x2.splat(0), c01 = f64x2.splat(0), c10 = f64x2.splat(0), c11 = f64x2.splat(0);
  let c20 = f64x2.splat(0), c21 = f64x2.splat(0), c30 = f64x2.splat(0), c31 = f64x2.splat(0);
  let c40 = f64x2.splat(0), c41 = f64x2.splat(0), c50 = f64x2.splat(0), c51 = f64x2.splat(0);
  for (let k = 0; k < kc; k += 2) {
    let b0 = v128.load(b);
    let b1 = v128.load(b, 16);
    let x = v128.load64_splat(a);
    c00 = madd64(x, b0, c00); c01 = madd64(x, b1, c01);
    x = v128.load64_splat(a, 8);
    c10 = madd64(x, b0, c10); c11 = madd64(x, b1, c11);
    x = v128.load64_splat(a, 16);
    c20 = madd64(x, b0, c20); c21 = madd64(x, b1, c21);
    x = v128.load64_splat(a, 24);
    c30 = madd64(x, b0, c30); c31 = madd64(x, b1, c31);
    x = v128.load64_splat(a, 32);
    c40 = madd64(x, b0, c40); c41 = madd64(x, b1, c41);
    x = v128.load64_splat(a, 40);
    c50 = madd64(x, b0, c50); c51 = madd64(x, b1, c51);
    b0 = v128.load(b, 32);
    b1 = v128.load(b, 48);
    x = v128.load64_splat(a, 48);
    c00 = madd64(x, b0, c00); c01 = madd64(x, b1, c01);
    x = v128.load64_splat(a, 56);
    c10 = madd64(x, b0, c10); c11 = madd64(x, b1, c11);
    x = v128.load64_splat(a, 64);
    c20 = madd64(x, b0, c20); c21 = madd64(x, b1, c21);
    x = v128.load64_splat(a, 72);
    c30 = madd64(x, b0, c30); c31 = madd64(x, b1, c31);
    x = v128.load64_splat(a, 80);
    c40 = madd64(x, b0, c40); c41 = madd64(x, b1, c41);
    x = v128.load64_splat(a, 88);
    c50 = madd64(x, b0, c50); c51 = madd64(x, b1, c51);
    a += 96;
    b += 64;
  }
  v128.store(c, c00); v128.store(c, c01, 16);
  v128.store(c + 32, c10); v128.store(c + 32, c11, 16);
  v128.store(c + 64, c20); v128.store(c + 64, c21, 16);
  v128.store(c + 96, c30); v128.store(c + 96, c31, 16);
  v128.store(c + 128, c40); v128.store(c + 128, c41, 16);
  v128.store(c + 160, c50); v128.store(c + 160, c51, 16);
}

/**
 * Packs rows k0..k0+kc of op(A) into MR-row tiles: tile t holds, for each k, the MR
 * values op(A)[t·MR + r][k0 + k] (zero past row M), at dst + t·kcp·MR elements.
 * kcp = kc rounded up to even; the extra k row (if any) is zero.
 */
function packA<T>(transA: i32, M: i32, K: i32, pA: usize, k0: i32, kc: i32, kcp: i32, dst: usize): void {
  const es = <usize>sizeof<T>();
  if (transA) {
    // op(A)[i][k] = A[k·M + i]: each k row of a tile is MR contiguous values of A's row k.
    // NOTE: full tiles go a group of TA_GROUP tiles at a time, k outer: reading a k row
    // across the group, not one tile's MR values down all kc rows. Those rows are M·es bytes
    // apart (12 KiB for M = 3072, a multiple of 4 KiB), so the column walk mapped every row
    // to one L1 set and missed on nearly every load (docs/performance.md, "packing Aᵀ").
    const full = M - M % MR;
    const rowStep = <usize>M * es;
    const tileBytes = <usize>kcp * <usize>MR * es;
    for (let g0 = 0; g0 < full; g0 += TA_GROUP * MR) {
      const g1 = min(full, g0 + TA_GROUP * MR);
      let s = pA + (<usize>k0 * <usize>M + <usize>g0) * es;
      let d = dst + <usize>g0 * <usize>kcp * es;
      for (let k = 0; k < kc; k++) {
        let sk = s;
        let dk = d;
        for (let i0 = g0; i0 < g1; i0 += MR) {
          if (sizeof<T>() == 4) {
            v128.store(dk, v128.load(sk));
            store<u64>(dk, load<u64>(sk, 16), 16);
          } else {
            v128.store(dk, v128.load(sk));
            v128.store(dk, v128.load(sk, 16), 16);
            v128.store(dk, v128.load(sk, 32), 32);
          }
          sk += <usize>MR * es;
          dk += tileBytes;
        }
        s += rowStep;
        d += <usize>MR * es;
      }
    }
    if (full < M) {
      const mr = M - full;
      let s = pA + (<usize>k0 * <usize>M + <usize>full) * es;
      let d = dst + <usize>full * <usize>kcp * es;
      for (let k = 0; k < kc; k++) {
        for (let r = 0; r < MR; r++) store<T>(d + <usize>r * es, r < mr ? load<T>(s + <usize>r * es) : <T>0);
        s += rowStep;
        d += <usize>MR * es;
      }
    }
    if (kcp > kc) {
      for (let i0 = 0; i0 < M; i0 += MR) memory.fill(dst + <usize>i0 * <usize>kcp * es + <usize>kc * <usize>MR * es, 0, <usize>MR * es);
    }
    return;
  }
  for (let i0 = 0; i0 < M; i0 += MR) {
    const tile = dst + <usize>i0 * <usize>kcp * es;
    const mr = min(MR, M - i0);
    if (mr == MR) {
      // op(A)[i][k] = A[i·K + k]: a 6-row tile is the transpose of six row segments,
      // done a vector of each row at a time (4 k for float32, 2 for float64), then the
      // scalar loop for the k left over.
      const s0 = pA + (<usize>i0 * <usize>K + <usize>k0) * es;
      const ld = <usize>K * es;
      let d = tile;
      let k = 0;
      if (sizeof<T>() == 4) {
        for (; k + 4 <= kc; k += 4) {
          const s = s0 + <usize>k * 4;
          const v0 = v128.load(s), v1 = v128.load(s + ld), v2 = v128.load(s + 2 * ld);
          const v3 = v128.load(s + 3 * ld), v4 = v128.load(s + 4 * ld), v5 = v128.load(s + 5 * ld);
          // tXY: rows X and Y interleaved, k 0–1 (lo) or k 2–3 (hi).
          const t01l = i32x4.shuffle(v0, v1, 0, 4, 1, 5), t01h = i32x4.shuffle(v0, v1, 2, 6, 3, 7);
          const t23l = i32x4.shuffle(v2, v3, 0, 4, 1, 5), t23h = i32x4.shuffle(v2, v3, 2, 6, 3, 7);
          const t45l = i32x4.shuffle(v4, v5, 0, 4, 1, 5), t45h = i32x4.shuffle(v4, v5, 2, 6, 3, 7);
          v128.store(d, i64x2.shuffle(t01l, t23l, 0, 2));
          v128.store64_lane(d, t45l, 0, 16);
          v128.store(d, i64x2.shuffle(t01l, t23l, 1, 3), 24);
          v128.store64_lane(d, t45l, 1, 40);
          v128.store(d, i64x2.shuffle(t01h, t23h, 0, 2), 48);
          v128.store64_lane(d, t45h, 0, 64);
          v128.store(d, i64x2.shuffle(t01h, t23h, 1, 3), 72);
          v128.store64_lane(d, t45h, 1, 88);
          d += 96;
        }
      } else {
        for (; k + 2 <= kc; k += 2) {
          const s = s0 + <usize>k * 8;
          const v0 = v128.load(s), v1 = v128.load(s + ld), v2 = v128.load(s + 2 * ld);
          const v3 = v128.load(s + 3 * ld), v4 = v128.load(s + 4 * ld), v5 = v128.load(s + 5 * ld);
          v128.store(d, i64x2.shuffle(v0, v1, 0, 2));
          v128.store(d, i64x2.shuffle(v2, v3, 0, 2), 16);
          v128.store(d, i64x2.shuffle(v4, v5, 0, 2), 32);
          v128.store(d, i64x2.shuffle(v0, v1, 1, 3), 48);
          v128.store(d, i64x2.shuffle(v2, v3, 1, 3), 64);
          v128.store(d, i64x2.shuffle(v4, v5, 1, 3), 80);
          d += 96;
        }
      }
      for (; k < kc; k++) {
        const s = s0 + <usize>k * es;
        for (let r = 0; r < MR; r++) store<T>(d + <usize>r * es, load<T>(s + <usize>r * ld));
        d += <usize>MR * es;
      }
    } else {
      // op(A)[i][k] = A[i·K + k]: gather the rows of an edge tile.
      for (let r = 0; r < MR; r++) {
        let d = tile + <usize>r * es;
        if (r < mr) {
          let s = pA + (<usize>(i0 + r) * <usize>K + <usize>k0) * es;
          for (let k = 0; k < kc; k++) {
            store<T>(d, load<T>(s));
            s += es;
            d += <usize>MR * es;
          }
        } else {
          for (let k = 0; k < kc; k++) {
            store<T>(d, <T>0);
            d += <usize>MR * es;
          }
        }
      }
    }
    if (kcp > kc) memory.fill(tile + <usize>kc * <usize>MR * es, 0, <usize>MR * es);
  }
}

/**
 * Packs rows k0..k0+kc of op(B) into NR-column panels: panel p holds, for each k,
 * the NR values op(B)[k0 + k][p·NR + q] (zero past column N), at dst + p·kcp·NR elements.
 * edgeOnly: only the last, partial panel (the full ones are read in place).
 */
function packB<T>(transB: i32, N: i32, K: i32, pB: usize, k0: i32, kc: i32, kcp: i32, dst: usize, NR: i32, edgeOnly: bool): void {
  const es = <usize>sizeof<T>();
  for (let j0 = edgeOnly ? N - N % NR : 0; j0 < N; j0 += NR) {
    const panel = dst + <usize>j0 * <usize>kcp * es;
    const nr = min(NR, N - j0);
    // NOTE: a float32 edge panel of at most 2 columns is packed 2 wide, for micro32n2x2; one of
    // 3–4 columns 4 wide, for micro32n4.
    const rowBytes = <usize>(sizeof<T>() == 4 && nr <= 4 ? (nr <= 2 ? 2 : 4) : NR) * es;
    if (!transB && nr == NR) {
      // op(B)[k][j] = B[k·N + j]: each k row of the panel is 32 contiguous bytes of B.
      let s = pB + (<usize>k0 * <usize>N + <usize>j0) * es;
      let d = panel;
      const step = <usize>N * es;
      for (let k = 0; k < kc; k++) {
        v128.store(d, v128.load(s));
        v128.store(d, v128.load(s, 16), 16);
        s += step;
        d += rowBytes;
      }
    } else {
      const w = <i32>(rowBytes / es);
      for (let q = 0; q < w; q++) {
        let d = panel + <usize>q * es;
        if (q < nr) {
          const j = <usize>(j0 + q);
          // transB: op(B)[k][j] = B[j·K + k]; otherwise B[k·N + j].
          let s = transB ? pB + (j * <usize>K + <usize>k0) * es : pB + (<usize>k0 * <usize>N + j) * es;
          const step = transB ? es : <usize>N * es;
          for (let k = 0; k < kc; k++) {
            store<T>(d, load<T>(s));
            s += step;
            d += rowBytes;
          }
        } else {
          for (let k = 0; k < kc; k++) {
            store<T>(d, <T>0);
            d += rowBytes;
          }
        }
      }
    }
    if (kcp > kc) memory.fill(panel + <usize>kc * rowBytes, 0, rowBytes);
  }
}

/**
 * The bytes op(A) (M×K) takes packed for every k block at once (`pack_a_f32`): per block,
 * ceil(M/MR)·MR rows of kcp values, the blocks one after the other.
 */
function packedABytes<T>(M: i32, K: i32): usize {
  let bytes: usize = 0;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kcp = (min(KC, K - k0) + 1) & ~1;
    bytes += <usize>((M + MR - 1) / MR) * <usize>MR * <usize>kcp * <usize>sizeof<T>();
  }
  return bytes;
}

/**
 * gemmImpl's float32 edge panel of nr ≤ 2 columns (C's columns at c), rows i1..i2: tiles two at
 * a time through micro32n2x2 into the scratch tile (12 rows of 2 values), then their valid rows into C.
 */
function edgeColumns2(M: i32, N: i32, kcp: i32, nr: i32, pPackA: usize, b: usize, c: usize, add: bool, pTile: usize, i1: i32, i2: i32): void {
  const ldc = <usize>N * 4;
  const tileBytes = <usize>kcp * <usize>MR * 4;
  for (let i0 = i1; i0 < i2; i0 += 2 * MR) {
    const a = pPackA + <usize>i0 * <usize>kcp * 4;
    if (i0 + MR < M) micro32n2x2(kcp, a, a + tileBytes, b, pTile);
    else micro32n2(kcp, a, b, pTile);
    tileInto<f32>(pTile, 8, c + <usize>i0 * ldc, ldc, min(2 * MR, M - i0), nr, add);
  }
}

/** The valid rows × cols of a scratch tile (rows tileLd bytes apart) stored into C, or added to it. */
@inline function tileInto<T>(tile: usize, tileLd: usize, c: usize, ldc: usize, rows: i32, cols: i32, add: bool): void {
  const es = <usize>sizeof<T>();
  for (let r = 0; r < rows; r++) {
    const cRow = c + <usize>r * ldc;
    const tRow = tile + <usize>r * tileLd;
    for (let q = 0; q < cols; q++) {
      const off = <usize>q * es;
      const v = load<T>(tRow + off);
      store<T>(cRow + off, add ? load<T>(cRow + off) + v : v);
    }
  }
}

/**
 * gemm's driver. With prepacked != 0, pPackA holds op(A) already packed for every k
 * block (`pack_a_f32`), pA and transA are unused, and block k0 reads its tiles at the
 * running offset: the micro-kernels see exactly the values packA would have written.
 */
function gemmImpl<T>(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  pA: usize, pB: usize, pC: usize, accumulate: i32, pPackA: usize, pPackB: usize, pTile: usize, prepacked: i32,
): void {
  const es = <usize>sizeof<T>();
  const NR: i32 = sizeof<T>() == 4 ? 8 : 4;
  const ldc = <usize>N * es;
  const packBase = pPackA;
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    const kcp = (kc + 1) & ~1;
    const add = accumulate != 0 || k0 > 0;
    if (prepacked != 0) pPackA = packBase + packedABytes<T>(M, k0);
    else packA<T>(transA, M, K, pA, k0, kc, kcp, pPackA);
    // NOTE: a float32 B that is not transposed is read in place by the full panels (each k row
    // of a panel is 32 contiguous bytes of B, N·4 bytes apart): only its edge panel is packed.
    const inPlace = sizeof<T>() == 4 && !transB && kc == kcp;
    packB<T>(transB, N, K, pB, k0, kc, kcp, pPackB, NR, inPlace);
    // NOTE: a block of A larger than B's goes a pair of row tiles at a time, every column panel
    // for each pair (the pair stays in L1 while B's block stays in L2); otherwise a column panel
    // at a time, every row tile for each. The same products and additions either way.
    const rowsOuter = M > N * 2;
    const iStep = rowsOuter ? 2 * MR : M;
    let sink: i32 = 0;
    for (let i1 = 0; i1 < M; i1 += iStep) {
      const i2 = min(M, i1 + iStep);
      if (rowsOuter && prepacked != 0 && i2 < M) {
        // NOTE: an operand packed beforehand (the checks' pinned rows, 12 MB a set) comes from far
        // memory; a load per cache line of the next pair of tiles, before this pair's products,
        // lets those misses overlap them (the checks' 500 × 50 × 3072 product inside a sweep run:
        // 33.6–36.4 → 36.7–38.5 GFLOP/s; with 100 columns no change). The loads' sum goes to the
        // scratch tile, so that they are kept.
        const t0 = pPackA + <usize>i2 * <usize>kcp * es;
        const t1 = pPackA + <usize>min(M, i2 + iStep) * <usize>kcp * es;
        for (let q = t0; q < t1; q += 64) sink += load<i32>(q);
      }
      for (let j0 = 0; j0 < N; j0 += NR) {
        const nr = min(NR, N - j0);
        const direct = inPlace && nr == NR;
        const b = direct ? pB + (<usize>k0 * <usize>N + <usize>j0) * es : pPackB + <usize>j0 * <usize>kcp * es;
        const ldb: usize = direct ? ldc : 32;
        if (sizeof<T>() == 4 && nr <= 2) {
          edgeColumns2(M, N, kcp, nr, pPackA, b, pC + <usize>j0 * es, add, pTile, i1, i2);
          continue;
        }
        for (let i0 = i1; i0 < i2; i0 += MR) {
          const mr = min(MR, M - i0);
          const a = pPackA + <usize>i0 * <usize>kcp * es;
          const c = pC + (<usize>i0 * <usize>N + <usize>j0) * es;
          // Edge tiles of float32 products run narrower kernels (no work on padding);
          // every C element still gets the same additions in the same order.
          if (sizeof<T>() == 4) {
            if (nr <= 4) micro32n4(kcp, a, b, pTile);
            else if (mr <= 2) micro32m2(kcp, a, b, ldb, pTile);
            else if (mr <= 4) micro32m4(kcp, a, b, ldb, pTile);
            else if (!add && mr == MR && nr == NR) {
              // NOTE: a full tile whose C is not added to goes straight into C, skipping the
              // scratch round trip; one that is added to still goes through the scratch tile
              // (docs/performance.md, "Measurement notes moved from the code").
              micro32(kcp, a, b, ldb, c, ldc);
              continue;
            } else micro32(kcp, a, b, ldb, pTile, 32);
          } else micro64(kcp, a, b, pTile);
          if (mr == MR && nr == NR) {
            // Each tile row is 32 bytes: two vectors.
            for (let r = 0; r < MR; r++) {
              const cRow = c + <usize>r * ldc;
              const tRow = pTile + <usize>r * 32;
              let v0 = v128.load(tRow);
              let v1 = v128.load(tRow, 16);
              if (add) {
                if (sizeof<T>() == 4) {
                  v0 = f32x4.add(v0, v128.load(cRow));
                  v1 = f32x4.add(v1, v128.load(cRow, 16));
                } else {
                  v0 = f64x2.add(v0, v128.load(cRow));
                  v1 = f64x2.add(v1, v128.load(cRow, 16));
                }
              }
              v128.store(cRow, v0);
              v128.store(cRow, v1, 16);
            }
          } else {
            // Ragged edge: keep the valid part of the tile.
            tileInto<T>(pTile, 32, c, ldc, mr, nr, add);
          }
        }
      }
    }
    store<i32>(pTile, sink);
  }
}

/**
 * float32 gemm; see the file comment. Scratch: pPackA needs ceil(M/6)·6·KCP floats,
 * pPackB ceil(N/8)·8·KCP floats (KCP = min(K, 256) rounded up to even), pTile 48 floats.
 */
export function gemm_f32(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  pA: usize, pB: usize, pC: usize, accumulate: i32, pPackA: usize, pPackB: usize, pTile: usize,
): void {
  gemmImpl<f32>(transA, transB, M, N, K, pA, pB, pC, accumulate, pPackA, pPackB, pTile, 0);
}

/**
 * Packs op(A) (M×K, float32) at pA for every k block into dst (`packed_a_bytes_f32(M, K)`
 * bytes), the layout `gemm_packed_a_f32` reads: an operand used in many products is
 * packed once.
 */
export function pack_a_f32(transA: i32, M: i32, K: i32, pA: usize, dst: usize): void {
  for (let k0 = 0; k0 < K; k0 += KC) {
    const kc = min(KC, K - k0);
    packA<f32>(transA, M, K, pA, k0, kc, (kc + 1) & ~1, dst + packedABytes<f32>(M, k0));
  }
}

/** The bytes `pack_a_f32` writes for an M×K operand. */
export function packed_a_bytes_f32(M: i32, K: i32): usize {
  return packedABytes<f32>(M, K);
}

/**
 * float32 gemm with op(A) packed beforehand by `pack_a_f32` at pPackedA; the same
 * arithmetic in the same order as gemm_f32, so the same bits.
 */
export function gemm_packed_a_f32(
  transB: i32, M: i32, N: i32, K: i32,
  pPackedA: usize, pB: usize, pC: usize, accumulate: i32, pPackB: usize, pTile: usize,
): void {
  gemmImpl<f32>(0, transB, M, N, K, 0, pB, pC, accumulate, pPackedA, pPackB, pTile, 1);
}

/** float64 gemm; as gemm_f32 with panels of 4 columns (pPackB ceil(N/4)·4·KCP doubles, pTile 24). */
export function gemm_f64(
  transA: i32, transB: i32, M: i32, N: i32, K: i32,
  pA: usize, pB: usize, pC: usize, accumulate: i32, pPackA: usize, pPackB: usize, pTile: usize,
): void {
  gemmImpl<f64>(transA, transB, M, N, K, pA, pB, pC, accumulate, pPackA, pPackB, pTile, 0);
}

/** First free byte after the module's static data; the caller lays out its buffers from here. */
export function heapBase(): usize {
  return __heap_base;
}

// The affine layer's two passes around gemm, while the operands are in this module's
// memory (src/kernels/wasm.ts), bit for bit the TypeScript loops of src/layers/affine.ts
// and src/layers/reductions.ts:
//   add_bias:  C[i, j] = C[i, j] + b[j]                      (one rounding, as the loop's)
//   col_sums:  out[j] = Σ_i B[i, j], summed in float64 from i = 0 up, then rounded once
//              to the dtype of out (sumRows: a Float64Array accumulator copied out)

/** C (M×N float32) += b (N) row by row. */
export function add_bias_f32(M: i32, N: i32, pC: usize, pBias: usize): void {
  const n4 = N & ~3;
  for (let i = 0; i < M; i++) {
    const row = pC + <usize>i * <usize>N * 4;
    let j = 0;
    for (; j < n4; j += 4) {
      const o = <usize>j << 2;
      v128.store(row + o, f32x4.add(v128.load(row + o), v128.load(pBias + o)));
    }
    for (; j < N; j++) {
      const o = <usize>j << 2;
      store<f32>(row + o, load<f32>(row + o) + load<f32>(pBias + o));
    }
  }
}

/** C (M×N float64) += b (N) row by row. */
export function add_bias_f64(M: i32, N: i32, pC: usize, pBias: usize): void {
  const n2 = N & ~1;
  for (let i = 0; i < M; i++) {
    const row = pC + <usize>i * <usize>N * 8;
    let j = 0;
    for (; j < n2; j += 2) {
      const o = <usize>j << 3;
      v128.store(row + o, f64x2.add(v128.load(row + o), v128.load(pBias + o)));
    }
    if (j < N) {
      const o = <usize>j << 3;
      store<f64>(row + o, load<f64>(row + o) + load<f64>(pBias + o));
    }
  }
}

/** out (N float32) = column sums of B (K×N float32), accumulated in float64. */
export function col_sums_f32(K: i32, N: i32, pB: usize, pOut: usize): void {
  const ld = <usize>N * 4;
  const n4 = N & ~3;
  let j = 0;
  for (; j < n4; j += 4) {
    let s = pB + (<usize>j << 2);
    let a0 = f64x2.splat(0);
    let a1 = f64x2.splat(0);
    for (let i = 0; i < K; i++) {
      const v = v128.load(s);
      a0 = f64x2.add(a0, f64x2.promote_low_f32x4(v));
      a1 = f64x2.add(a1, f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 0, 1)));
      s += ld;
    }
    const o = pOut + (<usize>j << 2);
    store<f32>(o, <f32>f64x2.extract_lane(a0, 0));
    store<f32>(o, <f32>f64x2.extract_lane(a0, 1), 4);
    store<f32>(o, <f32>f64x2.extract_lane(a1, 0), 8);
    store<f32>(o, <f32>f64x2.extract_lane(a1, 1), 12);
  }
  for (; j < N; j++) {
    let s = pB + (<usize>j << 2);
    let a: f64 = 0;
    for (let i = 0; i < K; i++) {
      a += <f64>load<f32>(s);
      s += ld;
    }
    store<f32>(pOut + (<usize>j << 2), <f32>a);
  }
}

/** out (N float64) = column sums of B (K×N float64). */
export function col_sums_f64(K: i32, N: i32, pB: usize, pOut: usize): void {
  const ld = <usize>N * 8;
  const n2 = N & ~1;
  let j = 0;
  for (; j < n2; j += 2) {
    let s = pB + (<usize>j << 3);
    let a = f64x2.splat(0);
    for (let i = 0; i < K; i++) {
      a = f64x2.add(a, v128.load(s));
      s += ld;
    }
    v128.store(pOut + (<usize>j << 3), a);
  }
  if (j < N) {
    let s = pB + (<usize>j << 3);
    let a: f64 = 0;
    for (let i = 0; i < K; i++) {
      a += load<f64>(s);
      s += ld;
    }
    store<f64>(pOut + (<usize>j << 3), a);
  }
}
