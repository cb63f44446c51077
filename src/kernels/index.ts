/**
 * The kernel registry. Each kernel path is one `Backend` object (src/kernels/types.ts):
 *   "ts"            the TypeScript references, the definition of every result
 *   "wasm-simd"     AssemblyScript, 128-bit SIMD (asm/*.ts)
 *   "wasm-relaxed"  the same with relaxed-SIMD fused multiply-add, where the engine validates it
 * One backend is active. Layers call `gemm`, and for their other kernels
 * `activeKernel(name, size) ?? reference`: the active backend's kernel for a call of
 * that size, or null (the backend lacks it, or the call is below its `minSizes`), and
 * then the layer's own TypeScript reference, which implements the same type.
 *
 * The WebAssembly builds are instantiated when this module is first imported
 * (synchronously, from bytes embedded in wasm-bytes.generated.ts) and registered
 * when the engine accepts them. Nothing is chosen at import: the environment variable
 * BNLAB_KERNELS=ts|wasm-simd|wasm-relaxed|auto is read the first time a kernel is
 * needed (or at `setKernelPath("auto")`), so a bad value is reported there, never
 * by the import. Default ("auto"): wasm-simd when available, else wasm-relaxed, else
 * ts (why wasm-relaxed comes second: docs/performance.md).
 */
import { readEnv } from "../core/env.js";
import { OptionError } from "../core/errors.js";
import { allocFloat, type DType, type FloatArray } from "../core/tensor.js";
import { affineReference } from "../layers/affine.js";
import { batchnormReference } from "../layers/batchnorm.js";
import { reluReference } from "../layers/relu.js";
import { optimF32Reference } from "../optim/float32.js";
import { allFiniteReference, gemmReference } from "./reference.js";
import { KERNEL_PATHS } from "./types.js";
import type { Backend, KernelName, KernelPath, OptionalKernelName } from "./types.js";
import { wasmBackend } from "./wasm.js";

/** The order "auto" tries. */
const AUTO_ORDER: readonly KernelPath[] = ["wasm-simd", "wasm-relaxed", "ts"];

/** A registered backend with every threshold stated (absent ones 0). */
interface Registered extends Backend {
  readonly minSizes: Readonly<Record<KernelName, number>>;
}

function withThresholds(b: Backend): Registered {
  const m = b.minSizes ?? {};
  const minSizes = {
    gemm: m.gemm ?? 0, affine: m.affine ?? 0, packedAffine: m.packedAffine ?? 0, batchnorm: m.batchnorm ?? 0,
    relu: m.relu ?? 0, optimF32: m.optimF32 ?? 0, allFinite: m.allFinite ?? 0,
  };
  return { ...b, minSizes };
}

/** The backends other than "ts", by name. */
const backends = new Map<KernelPath, Registered>();
/** The active backend; null until the first kernel is needed or a path is set. */
let active: Registered | null = null;
let tsBackendMemo: Registered | null = null;

/**
 * The reference backend: every kernel the TypeScript reference of its type.
 * NOTE: built on first use, not at import: the layers whose references it holds
 * import this module themselves, so at this module's evaluation they may not be
 * evaluated yet.
 */
function tsBackend(): Registered {
  tsBackendMemo ??= withThresholds({
    name: "ts",
    gemm: gemmReference,
    affine: affineReference,
    batchnorm: batchnormReference,
    relu: reluReference,
    optimF32: optimF32Reference,
    allFinite: allFiniteReference,
    computesEveryProduct: false,
  });
  return tsBackendMemo;
}

function registered(path: KernelPath): Registered | undefined {
  return path === "ts" ? tsBackend() : backends.get(path);
}

/**
 * Adds (or replaces) a backend: the hook for another implementation (e.g. WebGPU;
 * its name must be in KERNEL_PATHS). The "ts" backend is the definition and cannot
 * be replaced. Takes effect for the active path at the next `setKernelPath`.
 */
export function registerBackend(backend: Backend): void {
  if (!(KERNEL_PATHS as readonly string[]).includes(backend.name) || backend.name === "ts") {
    throw new OptionError("backend.name", `one of ${KERNEL_PATHS.filter((p) => p !== "ts").join(", ")}`, backend.name);
  }
  backends.set(backend.name, withThresholds(backend));
}

/** The paths usable in this process, reference first. */
export function availableKernelPaths(): KernelPath[] {
  return KERNEL_PATHS.filter((p) => registered(p) !== undefined);
}

/** The fastest available path: what "auto" picks when BNLAB_KERNELS is not set. */
export function autoKernelPath(): KernelPath {
  return AUTO_ORDER.find((p) => registered(p) !== undefined) ?? "ts";
}

/** BNLAB_KERNELS, when set and not empty (pages, and Deno without --allow-env: undefined). */
function requestedPath(): string | undefined {
  return readEnv("BNLAB_KERNELS");
}

/** The path "auto" means here: BNLAB_KERNELS when it names one, else `autoKernelPath()`. */
function defaultPath(): KernelPath {
  const requested = requestedPath();
  if (requested === undefined || requested === "auto") return autoKernelPath();
  if (!(KERNEL_PATHS as readonly string[]).includes(requested)) {
    throw new OptionError("BNLAB_KERNELS", `${KERNEL_PATHS.join(", ")} or auto`, requested);
  }
  if (registered(requested as KernelPath) === undefined) {
    throw new OptionError("BNLAB_KERNELS", `one of ${availableKernelPaths().join(", ")} or auto (available here)`, requested);
  }
  return requested as KernelPath;
}

/**
 * Selects the backend every later kernel call uses. "auto": the path BNLAB_KERNELS
 * names when it is set, else the fastest available (`autoKernelPath()`).
 */
export function setKernelPath(path: KernelPath | "auto"): void {
  const resolved = path === "auto" ? defaultPath() : path;
  const b = (KERNEL_PATHS as readonly string[]).includes(resolved) ? registered(resolved) : undefined;
  if (b === undefined) {
    throw new OptionError("kernel path", `one of ${availableKernelPaths().join(", ")} or auto (available here)`, path);
  }
  active = b;
}

/** The active backend, choosing the default ("auto") the first time. */
function activeBackend(): Registered {
  if (active === null) setKernelPath("auto");
  return active!;
}

/** The selected path. */
export function getKernelPath(): KernelPath {
  return activeBackend().name;
}

/**
 * A path's backend as registered, without the size thresholds applied (the
 * differential tests and the benchmarks call its kernels directly). For "ts" every
 * kernel is the reference. Throws when the path is not available here.
 */
export function backendFor(path: KernelPath): Backend {
  const b = (KERNEL_PATHS as readonly string[]).includes(path) ? registered(path) : undefined;
  if (b === undefined) throw new OptionError("kernel path", `one of ${availableKernelPaths().join(", ")}`, path);
  return b;
}

/**
 * The active backend's kernel `name` for a call of `size` (see `Backend.minSizes`),
 * or null when the caller should run its reference: the backend lacks the kernel or
 * the call is below its threshold. Layers write `(activeKernel(name, size) ?? reference)`.
 */
export function activeKernel<K extends OptionalKernelName>(name: K, size: number): NonNullable<Backend[K]> | null {
  const b = activeBackend();
  const k = b[name];
  return k !== undefined && size >= b.minSizes[name] ? (k as NonNullable<Backend[K]>) : null;
}

/**
 * A zeroed float array of n values (dtype) for data that lives as long as a model: its
 * weights, gradient buffers and update-rule state. On a backend with resident arrays
 * (`Backend.allocResident`) the kernels use it in place, without copies; elsewhere it is
 * a plain new array. Either way an ordinary Float32Array/Float64Array, with the same bits.
 * NOTE: a resident array's memory is reused once the array itself is garbage, so keep
 * the array (not only a `subarray` of it) while you use its values.
 */
export function allocResident(n: number, dtype: DType): FloatArray {
  return activeBackend().allocResident?.(n, dtype) ?? allocFloat(n, dtype);
}

/**
 * Hands the memory of arrays from `allocResident` back to the active backend now, rather than
 * when they are garbage (a block reused at once, instead of fresh pages for the next model).
 * Arrays that are not resident, or not the active backend's, are left alone. The caller promises
 * that none of them is used again: their memory becomes the next resident array's.
 */
export function releaseResident(arrays: Iterable<FloatArray>): void {
  const release = activeBackend().releaseResident;
  if (release === undefined) return;
  for (const a of arrays) release(a);
}

/**
 * Whether `gemm` of this size (M·N·K) on the active backend computes every product
 * a·b (`Backend.computesEveryProduct`), so that a NaN or ±Infinity in B reaches
 * every element of C in its column. False below the backend's gemm threshold, where
 * the reference runs.
 */
export function gemmComputesEveryProduct(mnk: number): boolean {
  const b = activeBackend();
  return b.computesEveryProduct && mnk >= b.minSizes.gemm;
}

/**
 * C (M×N) = op(A)·op(B) (+ C when accumulate). Row-major; see `gemmReference`
 * for the exact layout of transposed operands. A, B and C share one dtype.
 * Products below the active backend's `minSizes.gemm` run on the reference.
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
  const b = active ?? activeBackend();
  if (M * N * K < b.minSizes.gemm) gemmReference(transA, transB, M, N, K, A, B, C, accumulate);
  else b.gemm(transA, transB, M, N, K, A, B, C, accumulate);
}

for (const [name, build] of [["wasm-simd", "simd"], ["wasm-relaxed", "relaxed"]] as const) {
  const b = wasmBackend(name, build);
  if (b !== null) registerBackend(b);
}

export { gemmReference, allFiniteReference };
export { KERNEL_PATHS };
export type * from "./types.js";
export { WASM_MIN_BATCHNORM, WASM_MIN_FINITE, WASM_MIN_MNK, WASM_MIN_OPTIM, WASM_MIN_RELU } from "./wasm.js";
