/**
 * The kernel dispatcher. Layers call `gemm`; which implementation runs depends on
 * the selected path:
 *   "ts"            the reference (reference.ts), the definition of the result
 *   "wasm-simd"     AssemblyScript, 128-bit SIMD (asm/gemm.ts)
 *   "wasm-relaxed"  the same with relaxed-SIMD fused multiply-add, where the engine validates it
 * The WebAssembly builds are instantiated when this module is first imported
 * (synchronously, from bytes embedded in wasm-bytes.generated.ts) and registered
 * when the engine accepts them.
 *
 * Default ("auto"): wasm-simd when available, else wasm-relaxed, else ts. wasm-relaxed
 * is not preferred: measured on this project's machine (AMD EPYC, which issues
 * separate multiplies and adds as fast as fused ones) it was slower on Node 20 with
 * --experimental-wasm-relaxed-simd and no faster in Chromium 156 (docs/performance.md);
 * a calibration at import would time not-yet-optimized code. The environment
 * variable BNLAB_KERNELS=ts|wasm-simd|wasm-relaxed|auto forces a path at import.
 *
 * On the WebAssembly paths, products with M·N·K < WASM_MIN_MNK run on the
 * reference: for those the copies into wasm memory cost more than the arithmetic.
 * The other kernels (the affine layer's fused passes, batch norm, the float32 update rules, ReLU, a finiteness check) are handed out per
 * call with a size threshold, null meaning "run your TypeScript loops".
 */
import { OptionError } from "../core/errors.js";
import type { FloatArray } from "../core/tensor.js";
import { gemmReference } from "./reference.js";
import { wasmKernels } from "./wasm.js";

/** Names of the kernel paths. */
export type KernelPath = "ts" | "wasm-simd" | "wasm-relaxed";

/** A matrix product with `gemm`'s signature (one per kernel path). */
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
 * Batch norm's closed-form backward on the training path (train mode), in place of
 * the TypeScript loops of src/layers/batchnorm.ts and bit-identical to them:
 * dout, xhat, dx (N·D) and gamma, dbeta, dgamma (D) share one dtype; ivar is float64.
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
 * Batch norm's forward pass on the training path, bit-identical to the TypeScript
 * loops of src/layers/batchnorm.ts. x, gamma, beta, xmu, xhat, out share one dtype;
 * mu and v (D, float64) are outputs in train mode and inputs in test mode; sqrtvar
 * and ivar (D, float64) are outputs.
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

/**
 * The update rules of src/optim on float32 arrays (asm/optim.ts), in place, bit-identical
 * to the float32 TypeScript reference of src/optim/float32.ts (numpy's float32
 * arithmetic). Every array has w's length; scalars are float32 values (`Math.fround`),
 * named as in that file: omb1 = fround(1 − beta1), c1 = fround(1 − beta1^t), ….
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
 * ReLU's passes (asm/relu.ts), bit-identical to the loops of src/layers/relu.ts:
 * out = x > 0 ? x : 0 and dx = x > 0 ? dout : 0 over the first `out.length` /
 * `dx.length` elements; all arrays share one dtype.
 */
export interface ReluKernels {
  forward(x: FloatArray, out: FloatArray): void;
  backward(x: FloatArray, dout: FloatArray, dx: FloatArray): void;
}

/**
 * The affine layer's products with their bias passes in the same round trip through
 * WebAssembly memory, bit-identical to the selected path's `gemm` followed by the
 * TypeScript loops of src/layers/affine.ts (bias add) and src/layers/reductions.ts
 * (sumRows, float64 accumulation). All arrays share one dtype.
 */
export interface AffineKernels {
  /** out (N×M) = x (N×D)·w (D×M), then out[i, j] += b[j]. */
  forward(N: number, M: number, D: number, x: FloatArray, w: FloatArray, b: FloatArray, out: FloatArray): void;
  /** dw (D×M) = xᵀ·dout with x stored N×D and dout N×M; db (M) = Σ_rows dout. */
  paramBackward(N: number, D: number, M: number, x: FloatArray, dout: FloatArray, dw: FloatArray, db: FloatArray): void;
}

/** Whether every element of `a` is finite (no ±Infinity, no NaN). */
export type AllFiniteFn = (a: FloatArray) => boolean;

/** Below this N·D batch norm stays in TypeScript on every path (copies would cost more). */
export const WASM_MIN_BATCHNORM = 2048;

/** Below this length a float32 update rule stays in TypeScript on every path (same results). */
export const WASM_MIN_OPTIM = 256;

/** Below this many elements the finiteness check stays in TypeScript on every path. */
export const WASM_MIN_FINITE = 4096;

/** Below this many elements ReLU stays in TypeScript on every path (same results). */
export const WASM_MIN_RELU = 256;

/** Below this M·N·K the WebAssembly paths defer to the reference (measured crossover ≈ 32–64). */
export const WASM_MIN_MNK = 64;

const KERNEL_PATHS: readonly KernelPath[] = ["ts", "wasm-simd", "wasm-relaxed"];
/** The order "auto" tries. */
const AUTO_ORDER: readonly KernelPath[] = ["wasm-simd", "wasm-relaxed", "ts"];

const paths = new Map<KernelPath, GemmFn>([["ts", gemmReference]]);
let current: KernelPath = "ts";
let currentGemm: GemmFn = gemmReference;
let currentIsWasm = false;
const batchnormKernels = new Map<KernelPath, { alt: BatchnormAltFn; forward: BatchnormForwardFn }>();
let currentBatchnorm: { alt: BatchnormAltFn; forward: BatchnormForwardFn } | null = null;
const optimKernels = new Map<KernelPath, OptimKernelsF32>();
let currentOptim: OptimKernelsF32 | null = null;
const reluKernels = new Map<KernelPath, ReluKernels>();
let currentRelu: ReluKernels | null = null;
const finiteKernels = new Map<KernelPath, AllFiniteFn>();
let currentFinite: AllFiniteFn | null = null;
const affineKernels = new Map<KernelPath, AffineKernels>();
let currentAffine: AffineKernels | null = null;

/** Registers an implementation for a path (used by the WebAssembly loader below). */
export function registerKernelPath(
  path: KernelPath,
  gemm: GemmFn,
  batchnorm?: { alt: BatchnormAltFn; forward: BatchnormForwardFn },
  optimF32?: OptimKernelsF32,
  relu?: ReluKernels,
  allFinite?: AllFiniteFn,
  affine?: AffineKernels,
): void {
  paths.set(path, gemm);
  if (affine) affineKernels.set(path, affine);
  if (batchnorm) batchnormKernels.set(path, batchnorm);
  if (optimF32) optimKernels.set(path, optimF32);
  if (relu) reluKernels.set(path, relu);
  if (allFinite) finiteKernels.set(path, allFinite);
}

/**
 * The selected path's batch-norm backward kernel for an (N, D) input, or null when
 * the layer should run its own TypeScript loops (the "ts" path, or N·D < WASM_MIN_BATCHNORM).
 */
export function batchnormAltKernel(N: number, D: number): BatchnormAltFn | null {
  return N * D >= WASM_MIN_BATCHNORM && currentBatchnorm ? currentBatchnorm.alt : null;
}

/** As `batchnormAltKernel`, for the forward pass. */
export function batchnormForwardKernel(N: number, D: number): BatchnormForwardFn | null {
  return N * D >= WASM_MIN_BATCHNORM && currentBatchnorm ? currentBatchnorm.forward : null;
}

/**
 * The selected path's float32 update-rule kernels for arrays of length n, or null when
 * the rule should run its TypeScript float32 loop (the "ts" path, or n < WASM_MIN_OPTIM).
 */
export function optimKernelF32(n: number): OptimKernelsF32 | null {
  return n >= WASM_MIN_OPTIM ? currentOptim : null;
}

/** A path's float32 update-rule kernels without the length threshold (tests, benchmarks); null for "ts". */
export function optimKernelsFor(path: KernelPath): OptimKernelsF32 | null {
  return optimKernels.get(path) ?? null;
}

/** The selected path's ReLU kernels for n elements, or null (the "ts" path, or n < WASM_MIN_RELU). */
export function reluKernel(n: number): ReluKernels | null {
  return n >= WASM_MIN_RELU ? currentRelu : null;
}

/** A path's ReLU kernels without the size threshold (tests, benchmarks); null for "ts". */
export function reluKernelsFor(path: KernelPath): ReluKernels | null {
  return reluKernels.get(path) ?? null;
}

/** The selected path's finiteness check for n elements, or null (the "ts" path, or n < WASM_MIN_FINITE). */
export function allFiniteKernel(n: number): AllFiniteFn | null {
  return n >= WASM_MIN_FINITE ? currentFinite : null;
}

/** A path's finiteness check without the size threshold (tests); null for "ts". */
export function allFiniteKernelFor(path: KernelPath): AllFiniteFn | null {
  return finiteKernels.get(path) ?? null;
}

/**
 * The selected path's affine kernels for a product of M·N·K multiply-adds, or null when
 * the layer should call `gemm` and run its own loops (the "ts" path, or below WASM_MIN_MNK,
 * where `gemm` itself defers to the reference).
 */
export function affineKernel(mnk: number): AffineKernels | null {
  return mnk >= WASM_MIN_MNK ? currentAffine : null;
}

/** A path's affine kernels without the size threshold (tests, benchmarks); null for "ts". */
export function affineKernelsFor(path: KernelPath): AffineKernels | null {
  return affineKernels.get(path) ?? null;
}

/**
 * Whether `gemm` of this size (M·N·K) on the selected path computes every product
 * a·b, so that a NaN or ±Infinity in B reaches every element of C in its column
 * (x·Inf and 0·Inf are non-finite, and a non-finite term keeps a sum non-finite).
 * True on the WebAssembly paths from WASM_MIN_MNK on (test/kernels-gemm-bits.test.ts
 * pins their arithmetic); false on the reference, which skips a = 0.
 */
export function gemmComputesEveryProduct(mnk: number): boolean {
  return currentIsWasm && mnk >= WASM_MIN_MNK;
}

/** The paths usable in this process, reference first. */
export function availableKernelPaths(): KernelPath[] {
  return KERNEL_PATHS.filter((p) => paths.has(p));
}

/** The path "auto" resolves to here: the fastest available. */
export function autoKernelPath(): KernelPath {
  return AUTO_ORDER.find((p) => paths.has(p)) ?? "ts";
}

/** Selects the path every later `gemm` call uses; "auto" picks `autoKernelPath()`. */
export function setKernelPath(path: KernelPath | "auto"): void {
  const resolved = path === "auto" ? autoKernelPath() : path;
  const g = paths.get(resolved);
  if (!g) {
    throw new OptionError("kernel path", `one of ${availableKernelPaths().join(", ")} or auto (available here)`, path);
  }
  current = resolved;
  currentGemm = g;
  currentIsWasm = resolved !== "ts";
  currentBatchnorm = batchnormKernels.get(resolved) ?? null;
  currentOptim = optimKernels.get(resolved) ?? null;
  currentRelu = reluKernels.get(resolved) ?? null;
  currentFinite = finiteKernels.get(resolved) ?? null;
  currentAffine = affineKernels.get(resolved) ?? null;
}

/** The selected path. */
export function getKernelPath(): KernelPath {
  return current;
}

/**
 * The implementation registered for a path, without the small-shape fallback
 * (for the differential tests and the benchmarks). Throws when it is not available.
 */
export function kernelFor(path: KernelPath): GemmFn {
  const g = paths.get(path);
  if (!g) throw new OptionError("kernel path", `one of ${availableKernelPaths().join(", ")}`, path);
  return g;
}

/**
 * C (M×N) = op(A)·op(B) (+ C when accumulate). Row-major; see `gemmReference`
 * for the exact layout of transposed operands. A, B and C share one dtype.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: FloatArray,
  B: FloatArray,
  C: FloatArray,
  accumulate = false,
): void {
  if (currentIsWasm && M * N * K < WASM_MIN_MNK) gemmReference(transA, transB, M, N, K, A, B, C, accumulate);
  else currentGemm(transA, transB, M, N, K, A, B, C, accumulate);
}

for (const [path, build] of [["wasm-simd", "simd"], ["wasm-relaxed", "relaxed"]] as const) {
  const k = wasmKernels(build);
  if (k) registerKernelPath(path, k.gemm, { alt: k.batchnormAlt, forward: k.batchnormForward }, k.optimF32, k.relu, k.allFinite, k.affine);
}

function requestedPath(): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  let v: string | undefined;
  try {
    v = proc?.env?.["BNLAB_KERNELS"];
  } catch {
    // NOTE: Deno without --allow-env throws on reading the environment: treat it as unset.
    v = undefined;
  }
  return v === undefined || v === "" ? undefined : v;
}

const requested = requestedPath();
if (requested === undefined) {
  setKernelPath("auto");
} else if (requested === "auto" || (KERNEL_PATHS as readonly string[]).includes(requested)) {
  if (requested !== "auto" && !paths.has(requested as KernelPath)) {
    throw new OptionError("BNLAB_KERNELS", `one of ${availableKernelPaths().join(", ")} or auto (available here)`, requested);
  }
  setKernelPath(requested as KernelPath | "auto");
} else {
  throw new OptionError("BNLAB_KERNELS", "ts, wasm-simd, wasm-relaxed or auto", requested);
}

export { gemmReference };
