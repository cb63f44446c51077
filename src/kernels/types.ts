/**
 * The kernel contracts: what a backend (src/kernels/index.ts) may provide and what
 * each TypeScript reference implements. Every kernel writes into arrays the caller
 * owns; A, B, C and the other FloatArrays of one call share one dtype unless stated.
 */
import type { DType, FloatArray } from "../core/tensor.js";

/** The names of the kernel paths (backends), reference first: the one list every module uses. */
export const KERNEL_PATHS = ["ts", "wasm-simd", "wasm-relaxed"] as const;

/** A kernel path's name. */
export type KernelPath = (typeof KERNEL_PATHS)[number];

/**
 * C (M×N) = op(A)·op(B) (+ C when accumulate), row-major; op(A) is A (M×K) or, with
 * transA, Aᵀ of A stored K×M; op(B) is B (K×N) or, with transB, Bᵀ of B stored N×K.
 * Reference: `gemmReference` (src/kernels/reference.ts).
 */
export type GemmFn = (
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  accumulate: boolean,
) => void;

/**
 * The affine layer's products with their bias passes. Reference: `affineWith(gemm)`
 * (src/layers/affine.ts), the product followed by the bias add and the column sums.
 */
export interface AffineKernels {
  /** out (N×M) = x (N×D)·w (D×M), then out[i, j] += b[j]. */
  forward(N: number, M: number, D: number, x: FloatArray, w: FloatArray, b: FloatArray, out: FloatArray): void;
  /** dw (D×M) = xᵀ·dout with x stored N×D and dout N×M; db (M) = Σ_rows dout (float64 accumulation). */
  paramBackward(N: number, D: number, M: number, x: FloatArray, dout: FloatArray, dw: FloatArray, db: FloatArray): void;
}

/** An input operand packed once by `PackedAffineKernels.pack` (rows × cols, float32). */
export interface PackedOperand {
  readonly rows: number;
  readonly cols: number;
}

/**
 * The affine forward with its input packed beforehand: for an input multiplied by many
 * weights (the accuracy checks' fixed rows), the copy into the kernel's memory and the
 * packing happen once, in `pack`. float32 only. `forward(pack(x, N, D), M, w, b, out)`
 * equals this backend's `affine.forward(N, M, D, x, w, b, out)` bit for bit.
 * Reference: `packedAffineReference(affine)` (src/layers/affine.ts), which keeps a copy.
 */
export interface PackedAffineKernels {
  /** Packs x (N×D, float32; copied, so x may change afterwards without effect). */
  pack(x: Float32Array, N: number, D: number): PackedOperand;
  /** out (rows×M) = packed·w (cols×M), then out[i, j] += b[j]; throws after `release`. */
  forward(p: PackedOperand, M: number, w: Float32Array, b: Float32Array, out: Float32Array): void;
  /** Frees the operand's memory. */
  release(p: PackedOperand): void;
}

/**
 * Batch norm's closed-form backward in train mode: dout, xhat, dx (N·D) and gamma,
 * dbeta, dgamma (D) share one dtype; ivar (D) is float64.
 * Reference: `batchnormAltReference` (src/layers/batchnorm.ts).
 */
export type BatchnormAltFn = (
  N: number,
  D: number,
  dout: FloatArray,
  xhat: FloatArray,
  gamma: FloatArray,
  ivar: Float64Array,
  dx: FloatArray,
  dbeta: FloatArray,
  dgamma: FloatArray,
) => void;

/**
 * Batch norm's forward pass. x, gamma, beta, xmu, xhat, out share one dtype; mu and v
 * (D, float64) are outputs in train mode and inputs in test mode; sqrtvar and ivar
 * (D, float64) are outputs. Reference: `batchnormForwardReference` (src/layers/batchnorm.ts).
 */
export type BatchnormForwardFn = (
  train: boolean,
  N: number,
  D: number,
  eps: number,
  x: FloatArray,
  gamma: FloatArray,
  beta: FloatArray,
  mu: Float64Array,
  v: Float64Array,
  sqrtvar: Float64Array,
  ivar: Float64Array,
  xmu: FloatArray,
  xhat: FloatArray,
  out: FloatArray,
) => void;

/** Batch norm's two kernels. Reference: `batchnormReference` (src/layers/batchnorm.ts). */
export interface BatchnormKernels {
  readonly alt: BatchnormAltFn;
  readonly forward: BatchnormForwardFn;
}

/**
 * The update rules of src/optim on float32 arrays, in place. Every array has w's
 * length; scalars are float32 values (`Math.fround`), named as in the reference:
 * omb1 = fround(1 − beta1), c1 = fround(1 − beta1^t), ….
 * Reference: `optimF32Reference` (src/optim/float32.ts), numpy's float32 arithmetic.
 */
export interface OptimKernelsF32 {
  sgd(w: Float32Array, dw: Float32Array, lr: number): void;
  sgdMomentum(w: Float32Array, dw: Float32Array, v: Float32Array, lr: number, mu: number): void;
  rmsprop(w: Float32Array, dw: Float32Array, cache: Float32Array, lr: number, rho: number, omr: number, eps: number): void;
  adam(
    w: Float32Array, dw: Float32Array, m: Float32Array, v: Float32Array,
    lr: number, b1: number, omb1: number, c1: number, b2: number, omb2: number, c2: number, eps: number,
  ): void;
}

/**
 * ReLU's passes: out = x > 0 ? x : 0 and dx = x > 0 ? dout : 0 over the first
 * `out.length` / `dx.length` elements. Reference: `reluReference` (src/layers/relu.ts).
 */
export interface ReluKernels {
  forward(x: FloatArray, out: FloatArray): void;
  backward(x: FloatArray, dout: FloatArray, dx: FloatArray): void;
}

/** Whether every element of `a` is finite (no ±Infinity, no NaN). Reference: `allFiniteReference`. */
export type AllFiniteFn = (a: FloatArray) => boolean;

/** The kernels a backend may provide besides `gemm`. */
export type OptionalKernelName = "affine" | "packedAffine" | "batchnorm" | "relu" | "optimF32" | "allFinite";

/** Every kernel of a backend: the keys of `Backend.minSizes`. */
export type KernelName = "gemm" | OptionalKernelName;

/**
 * One kernel path: `gemm` and any of the other kernels. A kernel the backend lacks,
 * or a call below its `minSizes` entry, runs the TypeScript reference instead.
 * Register one with `registerBackend` (src/kernels/index.ts).
 */
export interface Backend {
  readonly name: KernelPath;
  readonly gemm: GemmFn;
  readonly affine?: AffineKernels;
  readonly packedAffine?: PackedAffineKernels;
  readonly batchnorm?: BatchnormKernels;
  readonly relu?: ReluKernels;
  readonly optimF32?: OptimKernelsF32;
  readonly allFinite?: AllFiniteFn;
  /**
   * Whether `gemm` (from `minSizes.gemm` on) forms every product a·b, so that a NaN or
   * ±Infinity in B reaches every element of C in its column (x·Inf and 0·Inf are not
   * finite, and a non-finite term keeps a sum non-finite). The reference skips a = 0: false.
   */
  readonly computesEveryProduct: boolean;
  /**
   * Per kernel, the smallest call it is used for; smaller calls run the reference
   * (where copying the operands costs more than the arithmetic). Sizes: gemm, affine and packedAffine
   * M·N·K, batchnorm N·D, relu, optimF32 and allFinite the element count. Absent: 0.
   */
  readonly minSizes?: Readonly<Partial<Record<KernelName, number>>>;
  /**
   * A zeroed array of n values that the backend's kernels read and write in place (no
   * copies), or null when it has none to give: "wasm-simd" on a shared memory
   * (src/kernels/wasm.ts, "resident arrays"). Models allocate their weights, gradient
   * buffers and update-rule state through `allocResident`. Such an array is an ordinary
   * Float32Array/Float64Array to everyone else; the same bits either way.
   */
  readonly allocResident?: (n: number, dtype: DType) => FloatArray | null;
  /**
   * Hands the memory of an array from this backend's `allocResident` back now, instead of when
   * the array is garbage; nothing for any other array, or one already handed back. Whoever calls
   * it promises that the array is not used again.
   */
  readonly releaseResident?: (a: FloatArray) => void;
}
