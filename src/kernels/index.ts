/**
 * The kernel dispatcher. Layers call `gemm`; which implementation runs depends on
 * the selected path ("ts" is the reference; WebAssembly paths are added by the
 * kernels module when available).
 */
import type { FloatArray } from "../core/tensor.js";
import { gemmReference } from "./reference.js";

/** Names of the kernel paths. "auto" picks the fastest one available. */
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

const paths = new Map<KernelPath, GemmFn>([["ts", gemmReference]]);
let current: KernelPath = "ts";
let currentGemm: GemmFn = gemmReference;

/** Registers an implementation for a path (used by the WebAssembly loader). */
export function registerKernelPath(path: KernelPath, gemm: GemmFn): void {
  paths.set(path, gemm);
}

/** The paths usable in this process. */
export function availableKernelPaths(): KernelPath[] {
  return [...paths.keys()];
}

/** Selects the path every later `gemm` call uses. */
export function setKernelPath(path: KernelPath): void {
  const g = paths.get(path);
  if (!g) throw new Error(`kernel path "${path}" is not available here (available: ${availableKernelPaths().join(", ")})`);
  current = path;
  currentGemm = g;
}

/** The selected path. */
export function getKernelPath(): KernelPath {
  return current;
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
  currentGemm(transA, transB, M, N, K, A, B, C, accumulate);
}

export { gemmReference };
