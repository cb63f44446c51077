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
 */
import { OptionError } from "../core/errors.js";
import type { FloatArray } from "../core/tensor.js";
import { gemmReference } from "./reference.js";
import { wasmKernels } from "./wasm.js";

/** Names of the kernel paths. */
export type KernelPath = "ts" | "wasm-simd" | "wasm-relaxed";

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

/** Below this N·D batch norm stays in TypeScript on every path (copies would cost more). */
export const WASM_MIN_BATCHNORM = 2048;

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

/** Registers an implementation for a path (used by the WebAssembly loader below). */
export function registerKernelPath(
  path: KernelPath,
  gemm: GemmFn,
  batchnorm?: { alt: BatchnormAltFn; forward: BatchnormForwardFn },
): void {
  paths.set(path, gemm);
  if (batchnorm) batchnormKernels.set(path, batchnorm);
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

const simd = wasmKernels("simd");
if (simd) registerKernelPath("wasm-simd", simd.gemm, { alt: simd.batchnormAlt, forward: simd.batchnormForward });
const relaxed = wasmKernels("relaxed");
if (relaxed) registerKernelPath("wasm-relaxed", relaxed.gemm, { alt: relaxed.batchnormAlt, forward: relaxed.batchnormForward });

function requestedPath(): string | undefined {
  const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process;
  const v = proc?.env?.["BNLAB_KERNELS"];
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
