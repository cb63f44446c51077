/**
 * Loads the WebAssembly kernels (asm/*.ts: gemm, batchnorm, optim, relu, finite; embedded as base64 in
 * wasm-bytes.generated.ts) synchronously, with neither fs nor fetch, so the same
 * code runs in Node, browsers and Web Workers. Each build gets its own instance and
 * linear memory; the wrapper copies A, B (and C when accumulating) into that
 * memory, runs the kernel and copies C back out.
 *
 * Resident arrays: where the engine allows a shared WebAssembly memory (Node, Deno,
 * cross-origin isolated pages), the "wasm-simd" path runs the "simd-shared" build on one.
 * Growing a shared memory never detaches its buffer, so arrays can live in it for good:
 * `allocResident` hands out float arrays there (a model's weights, its gradient buffers,
 * the update rules' state), and a kernel given such an array reads or writes it in place
 * instead of copying it. The kernels and their arithmetic are those of "simd": the bits
 * are the same. Resident arrays lie from RESIDENT_BASE up; the per-call scratch below it;
 * a call whose scratch would pass RESIDENT_BASE runs on a plain "simd" instance instead.
 * A resident array's block is reused once the array is garbage (FinalizationRegistry).
 *
 * Memory layout (bytes, from the module's heap base, each region 64-byte aligned):
 *   gemm:       tile (MR·NR scratch) | A | B | C | packed A tiles | packed B panels
 *               (| bias or column sums, for the affine kernels)
 *   batch norm backward: dout | xhat | dx | gamma | ivar | dbeta | dgamma | two float64 scratch rows
 *   batch norm forward:  x | xmu | xhat | out | gamma | beta | mu | var | sqrtvar | ivar
 *   update rules:        w | dw | state 1 | state 2, OPTIM_CHUNK floats each (longer arrays go
 *                        through in chunks, which stay in cache between copy-in, kernel and copy-out)
 *   ReLU:                x | dout | out (or dx)
 *   all finite:          one chunk of OPTIM_CHUNK values at a time
 * The memory only grows; after warm-up a call allocates nothing proportional to
 * its operands (two subarray views are the only objects created).
 */
import { readEnv } from "../core/env.js";
import type { DType, FloatArray } from "../core/tensor.js";
import type {
  AffineKernels, AllFiniteFn, Backend, BatchnormAltFn, BatchnormForwardFn, GemmFn, KernelPath, OptimKernelsF32, PackedAffineKernels, PackedOperand,
  ReluKernels,
} from "./types.js";
import { ResidentHeap, type Block } from "./resident.js";
import { packedAffineKernels } from "./wasm-packed.js";
import {
  KC, MR, NR32, NR64, OPTIM_CHUNK, PAGE, RESIDENT_BASE, SHARED_MAX_PAGES, align64, decodeBase64, put, take, type GemmExports,
} from "./wasm-layout.js";
import { WASM_RELAXED_SIMD, WASM_SIMD, WASM_SIMD_SHARED } from "./wasm-bytes.generated.js";

// The WebAssembly backends' size thresholds (`Backend.minSizes`): below them the
// copies into wasm memory cost more than the arithmetic, and the reference runs
// (docs/performance.md has the measurements).

/** Below this M·N·K gemm and the affine kernels defer to the reference. */
export const WASM_MIN_MNK = 64;

/** Below this N·D batch norm runs the reference. */
export const WASM_MIN_BATCHNORM = 2048;

/** Below this length a float32 update rule runs the reference (the same bits). */
export const WASM_MIN_OPTIM = 256;

/** Below this many elements ReLU runs the reference (the same bits). */
export const WASM_MIN_RELU = 256;

/** Below this many elements the finiteness check runs the reference. */
export const WASM_MIN_FINITE = 4096;

/** The kernels of one build, sharing one instance and its memory. */
export interface WasmKernels {
  /** A zeroed array of n values living in this instance's memory, or null (no shared memory here). */
  allocResident(n: number, dtype: DType): FloatArray | null;
  /** Hands an array from `allocResident` back now (nothing for any other array). */
  releaseResident(a: FloatArray): void;
  gemm: GemmFn;
  affine: AffineKernels;
  packedAffine: PackedAffineKernels;
  batchnormAlt: BatchnormAltFn;
  batchnormForward: BatchnormForwardFn;
  optimF32: OptimKernelsF32;
  relu: ReluKernels;
  allFinite: AllFiniteFn;
}

/**
 * One build as a backend named `name`, with the WebAssembly thresholds, or null when
 * the engine rejects the build.
 */
export function wasmBackend(name: KernelPath, build: "simd" | "relaxed"): Backend | null {
  const k = wasmKernels(build);
  if (k === null) return null;
  return {
    name,
    gemm: k.gemm,
    affine: k.affine,
    packedAffine: k.packedAffine,
    batchnorm: { alt: k.batchnormAlt, forward: k.batchnormForward },
    relu: k.relu,
    optimF32: k.optimF32,
    allFinite: k.allFinite,
    allocResident: k.allocResident,
    releaseResident: k.releaseResident,
    // NOTE: the micro-kernels multiply every packed a, zeros included (asm/gemm.ts;
    // test/kernels-gemm-bits.test.ts pins their arithmetic).
    computesEveryProduct: true,
    minSizes: {
      gemm: WASM_MIN_MNK,
      affine: WASM_MIN_MNK,
      packedAffine: WASM_MIN_MNK,
      batchnorm: WASM_MIN_BATCHNORM,
      relu: WASM_MIN_RELU,
      optimF32: WASM_MIN_OPTIM,
      allFinite: WASM_MIN_FINITE,
    },
  };
}

/** Decodes one build; null when this engine cannot validate it (e.g. relaxed SIMD on Node 20). */
export function wasmBytes(build: "simd" | "relaxed"): Uint8Array<ArrayBuffer> | null {
  if (typeof WebAssembly === "undefined") return null;
  const bytes = decodeBase64(build === "simd" ? WASM_SIMD : WASM_RELAXED_SIMD);
  return WebAssembly.validate(bytes) ? bytes : null;
}

const instances = new Map<"simd" | "relaxed", WasmKernels | null>();

/**
 * Instantiates one build (once per process) and returns its kernels, or null when
 * the engine rejects it. Compilation is synchronous (the modules are ~5 KB, well
 * within every engine's limit for synchronous compilation on the main thread).
 */
export function wasmKernels(build: "simd" | "relaxed"): WasmKernels | null {
  if (!instances.has(build)) instances.set(build, instantiate(build));
  return instances.get(build)!;
}

function instantiate(build: "simd" | "relaxed"): WasmKernels | null {
  const bytes = wasmBytes(build);
  if (bytes === null) return null;
  return (build === "simd" && residentsWanted() ? sharedKernels(bytes, RESIDENT_BASE) : null) ?? plainKernels(bytes);
}

/** The "simd-shared" build on a new shared memory, resident arrays from `residentBase` up; null where not possible. */
function sharedKernels(bytes: Uint8Array<ArrayBuffer>, residentBase: number): WasmKernels | null {
  const shared = sharedMemory();
  if (shared === null) return null;
  try {
    const module = new WebAssembly.Module(decodeBase64(WASM_SIMD_SHARED));
    const ex = new WebAssembly.Instance(module, { env: { memory: shared } }).exports as unknown as GemmExports;
    let plain: WasmKernels | null = null;
    return kernelsOf({ ...ex, memory: shared }, bytes, () => (plain ??= plainKernels(bytes)!), residentBase);
  } catch {
    // An engine without threads: the plain build.
    return null;
  }
}

/**
 * For tests only (not exported by the entries): a separate "simd-shared" instance whose
 * resident arrays start at `residentBase` (a multiple of 64 KiB), so that a call whose scratch
 * would reach them, and so runs on the plain instance, is small enough to test.
 */
export function sharedKernelsForTests(residentBase: number): WasmKernels | null {
  const bytes = wasmBytes("simd");
  return bytes === null ? null : sharedKernels(bytes, residentBase);
}

/** Whether to use a shared memory for "wasm-simd" (BNLAB_RESIDENT=0 turns it off, for A/B measurements). */
function residentsWanted(): boolean {
  const g = globalThis as { crossOriginIsolated?: boolean };
  if (readEnv("BNLAB_RESIDENT") === "0") return false;
  // NOTE: a page that is not cross-origin isolated cannot share memory; Node and Deno leave this undefined.
  return g.crossOriginIsolated !== false && typeof SharedArrayBuffer !== "undefined";
}

function sharedMemory(): WebAssembly.Memory | null {
  try {
    return new WebAssembly.Memory({ initial: 16, maximum: SHARED_MAX_PAGES, shared: true });
  } catch {
    return null;
  }
}

function plainKernels(bytes: Uint8Array<ArrayBuffer>): WasmKernels | null {
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    return kernelsOf(instance.exports as unknown as GemmExports, bytes, null);
  } catch {
    return null;
  }
}

/**
 * The kernels of one instance. `oversize` (shared memories only) gives the plain instance
 * that runs a call whose scratch would reach the resident arrays.
 */
function kernelsOf(ex: GemmExports, bytes: Uint8Array<ArrayBuffer>, oversize: (() => WasmKernels) | null, residentBase = RESIDENT_BASE): WasmKernels {
  const memory = ex.memory;
  const base = align64(ex.heapBase());
  let buffer = memory.buffer;
  let f32 = new Float32Array(buffer);
  let f64 = new Float64Array(buffer);
  // The buffers (one per size the shared memory has had) whose views are resident arrays.
  const residentBuffers = new Set<ArrayBufferLike>();
  const scratchLimit = oversize === null ? Infinity : residentBase;

  function ensure(bytesNeeded: number): void {
    if (bytesNeeded > memory.buffer.byteLength) {
      memory.grow(Math.ceil((bytesNeeded - memory.buffer.byteLength) / PAGE));
    }
    if (memory.buffer !== buffer) {
      buffer = memory.buffer;
      f32 = new Float32Array(buffer);
      f64 = new Float64Array(buffer);
    }
  }
  /** Whether a call's scratch ending at byte `end` fits below the resident arrays. */
  const fits = (end: number): boolean => end <= scratchLimit;
  /** a's byte offset in this memory when it is a resident array, else -1. */
  const at = (a: FloatArray): number => (residentBuffers.has(a.buffer) ? a.byteOffset : -1);
  /** Where a kernel reads a: in place when resident, else copied to p first. */
  function input(view: FloatArray, p: number, a: FloatArray, n = a.length, o = 0): number {
    const r = at(a);
    if (r >= 0) return r + o * a.BYTES_PER_ELEMENT;
    put(view, p, a, n, o);
    return p;
  }
  /** Copies a kernel's output at q back into a[o, o + n), unless q is that very place (resident). */
  function output(view: FloatArray, q: number, a: FloatArray, n: number, o = 0): void {
    if (q !== at(a) + o * a.BYTES_PER_ELEMENT) take(view, q, a, n, o);
  }
  /**
   * Where a kernel writes a: in place when resident and sharing no memory with the call's
   * inputs x, y, z (a kernel may read an input after writing part of its output), else p (then `output`).
   */
  function target(p: number, a: FloatArray, x?: FloatArray, y?: FloatArray, z?: FloatArray): number {
    const r = at(a);
    return r < 0 || overlaps(a, x) || overlaps(a, y) || overlaps(a, z) ? p : r;
  }
  const overlaps = (a: FloatArray, x: FloatArray | undefined): boolean =>
    x !== undefined && x.buffer === a.buffer && x.byteOffset < a.byteOffset + a.byteLength && a.byteOffset < x.byteOffset + x.byteLength;

  // Resident blocks: from RESIDENT_BASE up; a block comes back when its array is garbage.
  const heap = new ResidentHeap(residentBase, SHARED_MAX_PAGES * PAGE);
  const released = new FinalizationRegistry<Block>((b) => heap.release(b));
  // The block of each live resident array, for `releaseResident` (and the array is its unregister token).
  const blocks = new WeakMap<FloatArray, Block>();
  function allocResident(n: number, dtype: DType): FloatArray | null {
    if (oversize === null || !Number.isInteger(n) || n < 0) return null;
    const block = heap.alloc(n * (dtype === "float64" ? 8 : 4));
    if (block === null) return null;
    ensure(block.offset + block.size);
    residentBuffers.add(buffer);
    const a = dtype === "float64" ? new Float64Array(buffer, block.offset, n) : new Float32Array(buffer, block.offset, n);
    // NOTE: written even when its pages are fresh (zero): a fresh page that is read first maps the
    // shared zero page, and the first write then copies it and flushes that address on every core
    // running this process, an interrupt to each (13,000 in a 2-worker sweep; docs/performance.md).
    // Written first, a page is only a plain fault. A reused block holds a dead array's values anyway.
    a.fill(0);
    blocks.set(a, block);
    released.register(a, block, a);
    return a;
  }
  // NOTE: a run's weights, gradients and update-rule state live as long as the run, long enough
  // to be old-generation garbage, which V8 collects rarely: without this a sweep worker took fresh
  // pages for every run (≈ 10 MB, 3,000 page faults), docs/performance.md.
  function releaseResident(a: FloatArray): void {
    const b = blocks.get(a);
    if (b === undefined) return;
    blocks.delete(a);
    released.unregister(a);
    heap.release(b);
  }

  // NOTE: the gemm wrapper and the two affine kernels each lay out, put, call and take
  // for themselves rather than through one shared helper: every shared helper tried
  // made the training step slower on Node 20 (docs/performance.md, "Measurement notes
  // moved from the code").
  const gemm: GemmFn = function gemmWasm(transA, transB, M, N, K, A, B, C, accumulate): void {
    if (M === 0 || N === 0) return;
    if (K === 0) {
      if (!accumulate) C.fill(0, 0, M * N);
      return;
    }
    const is64 = C instanceof Float64Array;
    const es = is64 ? 8 : 4;
    const nr = is64 ? NR64 : NR32;
    const pTile = base;
    const pA = align64(pTile + MR * nr * es);
    const pB = align64(pA + M * K * es);
    const pC = align64(pB + K * N * es);
    const kcp = (Math.min(K, KC) + 1) & ~1;
    const pPackA = align64(pC + M * N * es);
    const pPackB = align64(pPackA + Math.ceil(M / MR) * MR * kcp * es);
    const end = pPackB + Math.ceil(N / nr) * nr * kcp * es;
    if (!fits(end)) return oversize!().gemm(transA, transB, M, N, K, A, B, C, accumulate);
    ensure(end);
    const view: FloatArray = is64 ? f64 : f32;
    const lenA = M * K;
    const lenB = K * N;
    const lenC = M * N;
    const qA = input(view, pA, A, lenA);
    const qB = input(view, pB, B, lenB);
    // NOTE: accumulating reads C, so it goes in place only when it shares nothing with A or B.
    const qC = target(pC, C, A, B);
    if (accumulate && qC === pC) put(view, pC, C, lenC);
    (is64 ? ex.gemm_f64 : ex.gemm_f32)(transA ? 1 : 0, transB ? 1 : 0, M, N, K, qA, qB, qC, accumulate ? 1 : 0, pPackA, pPackB, pTile);
    output(view, qC, C, lenC);
  };

  // The affine kernels: the gemm layout, then the bias (forward) or the column sums of
  // dout (parameter backward) after the packed B panels. N, M, D >= 1.
  const affine: AffineKernels = {
    forward(N, M, D, x, w, b, out) {
      const is64 = out instanceof Float64Array;
      const es = is64 ? 8 : 4;
      const nr = is64 ? NR64 : NR32;
      const pTile = base;
      const pA = align64(pTile + MR * nr * es);
      const pB = align64(pA + N * D * es);
      const pC = align64(pB + D * M * es);
      const kcp = (Math.min(D, KC) + 1) & ~1;
      const pPackA = align64(pC + N * M * es);
      const pPackB = align64(pPackA + Math.ceil(N / MR) * MR * kcp * es);
      const pBias = align64(pPackB + Math.ceil(M / nr) * nr * kcp * es);
      if (!fits(pBias + M * es)) return oversize!().affine.forward(N, M, D, x, w, b, out);
      ensure(pBias + M * es);
      const view: FloatArray = is64 ? f64 : f32;
      const qA = input(view, pA, x, N * D);
      const qB = input(view, pB, w, D * M);
      const qBias = input(view, pBias, b, M);
      const qC = target(pC, out, x, w, b);
      (is64 ? ex.gemm_f64 : ex.gemm_f32)(0, 0, N, M, D, qA, qB, qC, 0, pPackA, pPackB, pTile);
      (is64 ? ex.add_bias_f64 : ex.add_bias_f32)(N, M, qC, qBias);
      output(view, qC, out, N * M);
    },
    paramBackward(N, D, M, x, dout, dw, db) {
      // dw (D×M) = xᵀ·dout: gemm with transA, M_gemm = D, N_gemm = M, K_gemm = N.
      const is64 = dw instanceof Float64Array;
      const es = is64 ? 8 : 4;
      const nr = is64 ? NR64 : NR32;
      const pTile = base;
      const pA = align64(pTile + MR * nr * es);
      const pB = align64(pA + D * N * es);
      const pC = align64(pB + N * M * es);
      const kcp = (Math.min(N, KC) + 1) & ~1;
      const pPackA = align64(pC + D * M * es);
      const pPackB = align64(pPackA + Math.ceil(D / MR) * MR * kcp * es);
      const pDb = align64(pPackB + Math.ceil(M / nr) * nr * kcp * es);
      if (!fits(pDb + M * es)) return oversize!().affine.paramBackward(N, D, M, x, dout, dw, db);
      ensure(pDb + M * es);
      const view: FloatArray = is64 ? f64 : f32;
      const qA = input(view, pA, x, N * D);
      const qB = input(view, pB, dout, N * M);
      const qC = target(pC, dw, x, dout);
      const qDb = target(pDb, db, x, dout);
      (is64 ? ex.gemm_f64 : ex.gemm_f32)(1, 0, D, M, N, qA, qB, qC, 0, pPackA, pPackB, pTile);
      (is64 ? ex.col_sums_f64 : ex.col_sums_f32)(N, M, qB, qDb);
      output(view, qC, dw, D * M);
      output(view, qDb, db, M);
    },
  };

  const batchnormAlt: BatchnormAltFn = function batchnormAltWasm(N, D, dout, xhat, gamma, ivar, dx, dbeta, dgamma): void {
    const is64 = dx instanceof Float64Array;
    const es = is64 ? 8 : 4;
    const ND = N * D;
    const pDout = base;
    const pXhat = align64(pDout + ND * es);
    const pDx = align64(pXhat + ND * es);
    const pGamma = align64(pDx + ND * es);
    const pIvar = align64(pGamma + D * es);
    const pDbeta = align64(pIvar + D * 8);
    const pDgamma = align64(pDbeta + D * es);
    const pSb = align64(pDgamma + D * es);
    const pSg = align64(pSb + D * 8);
    if (!fits(pSg + D * 8)) return oversize!().batchnormAlt(N, D, dout, xhat, gamma, ivar, dx, dbeta, dgamma);
    ensure(pSg + D * 8);
    const view: FloatArray = is64 ? f64 : f32;
    const qDout = input(view, pDout, dout, ND);
    const qXhat = input(view, pXhat, xhat, ND);
    const qGamma = input(view, pGamma, gamma);
    put(f64, pIvar, ivar);
    const qDx = target(pDx, dx, dout, xhat, gamma);
    (is64 ? ex.bn_backward_alt_f64 : ex.bn_backward_alt_f32)(N, D, qDout, qXhat, qGamma, pIvar, qDx, pDbeta, pDgamma, pSb, pSg);
    output(view, qDx, dx, ND);
    take(view, pDbeta, dbeta, D);
    take(view, pDgamma, dgamma, D);
  };

  const batchnormForward: BatchnormForwardFn = function batchnormForwardWasm(
    train, N, D, eps, x, gamma, beta, mu, v, sqrtvar, ivar, xmu, xhat, out,
  ): void {
    const is64 = out instanceof Float64Array;
    const es = is64 ? 8 : 4;
    const ND = N * D;
    const pX = base;
    const pXmu = align64(pX + ND * es);
    const pXhat = align64(pXmu + ND * es);
    const pOut = align64(pXhat + ND * es);
    const pGamma = align64(pOut + ND * es);
    const pBeta = align64(pGamma + D * es);
    const pMu = align64(pBeta + D * es);
    const pVar = align64(pMu + D * 8);
    const pSqrtvar = align64(pVar + D * 8);
    const pIvar = align64(pSqrtvar + D * 8);
    if (!fits(pIvar + D * 8)) return oversize!().batchnormForward(train, N, D, eps, x, gamma, beta, mu, v, sqrtvar, ivar, xmu, xhat, out);
    ensure(pIvar + D * 8);
    const view: FloatArray = is64 ? f64 : f32;
    const qX = input(view, pX, x, ND);
    put(view, pGamma, gamma);
    put(view, pBeta, beta);
    if (!train) {
      put(f64, pMu, mu);
      put(f64, pVar, v);
    }
    const qXmu = target(pXmu, xmu, x);
    const qXhat = target(pXhat, xhat, x);
    const qOut = target(pOut, out, x);
    (is64 ? ex.bn_forward_f64 : ex.bn_forward_f32)(train ? 1 : 0, N, D, eps, qX, pGamma, pBeta, pMu, pVar, pSqrtvar, pIvar, qXmu, qXhat, qOut);
    output(view, qXmu, xmu, ND);
    output(view, qXhat, xhat, ND);
    output(view, qOut, out, ND);
    if (train) {
      take(f64, pMu, mu, D);
      take(f64, pVar, v, D);
    }
    take(f64, pSqrtvar, sqrtvar, D);
    take(f64, pIvar, ivar, D);
  };

  // The update rules: chunks of w, dw and the state are copied in, updated, copied back
  // (resident arrays are updated in place).
  const pOptW = base;
  const pOptDw = pOptW + OPTIM_CHUNK * 4;
  const pOptS1 = pOptDw + OPTIM_CHUNK * 4;
  const pOptS2 = pOptS1 + OPTIM_CHUNK * 4;
  const optimEnd = pOptS2 + OPTIM_CHUNK * 4;
  const optimF32: OptimKernelsF32 = {
    sgd(w, dw, lr) {
      ensure(optimEnd);
      for (let o = 0; o < w.length; o += OPTIM_CHUNK) {
        const len = Math.min(OPTIM_CHUNK, w.length - o);
        const qW = input(f32, pOptW, w, len, o);
        ex.sgd_f32(len, qW, input(f32, pOptDw, dw, len, o), lr);
        output(f32, qW, w, len, o);
      }
    },
    sgdMomentum(w, dw, v, lr, mu) {
      ensure(optimEnd);
      for (let o = 0; o < w.length; o += OPTIM_CHUNK) {
        const len = Math.min(OPTIM_CHUNK, w.length - o);
        const qW = input(f32, pOptW, w, len, o);
        const qV = input(f32, pOptS1, v, len, o);
        ex.sgd_momentum_f32(len, qW, input(f32, pOptDw, dw, len, o), qV, lr, mu);
        output(f32, qW, w, len, o);
        output(f32, qV, v, len, o);
      }
    },
    rmsprop(w, dw, cache, lr, rho, omr, eps) {
      ensure(optimEnd);
      for (let o = 0; o < w.length; o += OPTIM_CHUNK) {
        const len = Math.min(OPTIM_CHUNK, w.length - o);
        const qW = input(f32, pOptW, w, len, o);
        const qC = input(f32, pOptS1, cache, len, o);
        ex.rmsprop_f32(len, qW, input(f32, pOptDw, dw, len, o), qC, lr, rho, omr, eps);
        output(f32, qW, w, len, o);
        output(f32, qC, cache, len, o);
      }
    },
    adam(w, dw, m, v, lr, b1, omb1, c1, b2, omb2, c2, eps) {
      ensure(optimEnd);
      for (let o = 0; o < w.length; o += OPTIM_CHUNK) {
        const len = Math.min(OPTIM_CHUNK, w.length - o);
        const qW = input(f32, pOptW, w, len, o);
        const qM = input(f32, pOptS1, m, len, o);
        const qV = input(f32, pOptS2, v, len, o);
        ex.adam_f32(len, qW, input(f32, pOptDw, dw, len, o), qM, qV, lr, b1, omb1, c1, b2, omb2, c2, eps);
        output(f32, qW, w, len, o);
        output(f32, qM, m, len, o);
        output(f32, qV, v, len, o);
      }
    },
  };

  const relu: ReluKernels = {
    forward(x, out) {
      const n = out.length;
      const is64 = out instanceof Float64Array;
      const es = is64 ? 8 : 4;
      const pX = base;
      const pOut = align64(pX + n * es);
      if (!fits(pOut + n * es)) return oversize!().relu.forward(x, out);
      ensure(pOut + n * es);
      const view: FloatArray = is64 ? f64 : f32;
      const qX = input(view, pX, x, n);
      const qOut = target(pOut, out, x);
      (is64 ? ex.relu_forward_f64 : ex.relu_forward_f32)(n, qX, qOut);
      output(view, qOut, out, n);
    },
    backward(x, dout, dx) {
      const n = dx.length;
      const is64 = dx instanceof Float64Array;
      const es = is64 ? 8 : 4;
      const pX = base;
      const pDout = align64(pX + n * es);
      const pDx = align64(pDout + n * es);
      if (!fits(pDx + n * es)) return oversize!().relu.backward(x, dout, dx);
      ensure(pDx + n * es);
      const view: FloatArray = is64 ? f64 : f32;
      const qX = input(view, pX, x, n);
      const qDout = input(view, pDout, dout, n);
      const qDx = target(pDx, dx, x, dout);
      (is64 ? ex.relu_backward_f64 : ex.relu_backward_f32)(n, qX, qDout, qDx);
      output(view, qDx, dx, n);
    },
  };

  const allFinite: AllFiniteFn = function allFiniteWasm(a): boolean {
    ensure(base + OPTIM_CHUNK * 8);
    const is64 = a instanceof Float64Array;
    const view: FloatArray = is64 ? f64 : f32;
    for (let o = 0; o < a.length; o += OPTIM_CHUNK) {
      const len = Math.min(OPTIM_CHUNK, a.length - o);
      if ((is64 ? ex.all_finite_f64 : ex.all_finite_f32)(len, input(view, base, a, len, o)) === 0) return false;
    }
    return true;
  };

  const packedAffine = oversize === null ? packedAffineKernels(bytes) : residentPacked(packedAffineKernels(bytes));

  /**
   * On a shared memory: packed operands as resident blocks of this instance, so that `forward`
   * reads the weights where they lie (a model's W is resident) instead of copying them into a
   * second instance at every call (600 KB for each of the checks' first-layer products in the
   * sweep). The same gemm_packed_a_f32 on the same tiles: the same bits. An operand whose packing
   * would not fit (the heap full, or its scratch past the resident arrays) goes to `plain`, the
   * separate instance, as before; each operand remembers which made it.
   */
  function residentPacked(plain: PackedAffineKernels): PackedAffineKernels {
    interface Resident extends PackedOperand {
      readonly block: Block;
      released: boolean;
    }
    const mine = new WeakSet<PackedOperand>();
    return {
      pack(x, N, D) {
        const size = ex.packed_a_bytes_f32(N, D);
        const pX = base;
        const block = fits(pX + N * D * 4) ? heap.alloc(size) : null;
        if (block === null) return plain.pack(x, N, D);
        ensure(Math.max(block.offset + block.size, pX + N * D * 4));
        const qX = input(f32, pX, x, N * D);
        ex.pack_a_f32(0, N, D, qX, block.offset);
        const p: Resident = { rows: N, cols: D, block, released: false };
        mine.add(p);
        return p;
      },
      forward(operand, M, w, b, out) {
        if (!mine.has(operand)) return plain.forward(operand, M, w, b, out);
        const p = operand as Resident;
        if (p.released) throw new Error("packedAffine.forward: the operand was released");
        const N = p.rows;
        const D = p.cols;
        const pTile = base;
        const pB = align64(pTile + MR * NR32 * 4);
        const pC = align64(pB + D * M * 4);
        const kcp = (Math.min(D, KC) + 1) & ~1;
        const pPackB = align64(pC + N * M * 4);
        const pBias = align64(pPackB + Math.ceil(M / NR32) * NR32 * kcp * 4);
        if (!fits(pBias + M * 4)) throw new Error(`packedAffine.forward: ${D} × ${M} weights do not fit below the resident arrays`);
        ensure(pBias + M * 4);
        const qB = input(f32, pB, w, D * M);
        const qBias = input(f32, pBias, b, M);
        const qC = target(pC, out, w, b);
        ex.gemm_packed_a_f32(0, N, M, D, p.block.offset, qB, qC, 0, pPackB, pTile);
        ex.add_bias_f32(N, M, qC, qBias);
        output(f32, qC, out, N * M);
      },
      release(operand) {
        if (!mine.has(operand)) return plain.release(operand);
        const p = operand as Resident;
        if (p.released) return;
        p.released = true;
        heap.release(p.block);
      },
    };
  }

  return { allocResident, releaseResident, gemm, affine, packedAffine, batchnormAlt, batchnormForward, optimF32, relu, allFinite };
}
