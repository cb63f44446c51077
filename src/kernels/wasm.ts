/**
 * Loads the WebAssembly gemm kernels (asm/gemm.ts, embedded as base64 in
 * wasm-bytes.generated.ts) synchronously, with neither fs nor fetch, so the same
 * code runs in Node, browsers and Web Workers. Each build gets its own instance and
 * linear memory; the wrapper copies A, B (and C when accumulating) into that
 * memory, runs the kernel and copies C back out.
 *
 * Memory layout (bytes, from the module's heap base, each region 64-byte aligned):
 *   tile (MR·NR scratch) | A | B | C | packed A tiles | packed B panels
 * The memory only grows; after warm-up a call allocates nothing proportional to
 * its operands (two subarray views are the only objects created).
 */
import type { FloatArray } from "../core/tensor.js";
import type { GemmFn } from "./index.js";
import { WASM_RELAXED_SIMD, WASM_SIMD } from "./wasm-bytes.generated.js";

/** The exports of asm/gemm.ts. */
interface GemmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemm_f32: RawGemm;
  gemm_f64: RawGemm;
}
type RawGemm = (
  transA: number, transB: number, M: number, N: number, K: number,
  pA: number, pB: number, pC: number, accumulate: number, pPackA: number, pPackB: number, pTile: number,
) => void;

const PAGE = 65536;
const MR = 6;
/** Panel widths of the micro-kernels: 8 float32 or 4 float64 columns. */
const NR32 = 8;
const NR64 = 4;
/** The k block of asm/gemm.ts. */
const KC = 256;

function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const align64 = (n: number): number => (n + 63) & ~63;

/** Decodes one build; null when this engine cannot validate it (e.g. relaxed SIMD on Node 20). */
export function wasmBytes(build: "simd" | "relaxed"): Uint8Array<ArrayBuffer> | null {
  if (typeof WebAssembly === "undefined") return null;
  const bytes = decodeBase64(build === "simd" ? WASM_SIMD : WASM_RELAXED_SIMD);
  return WebAssembly.validate(bytes) ? bytes : null;
}

/**
 * Instantiates one build and returns its gemm, or null when the engine rejects it.
 * Compilation is synchronous (the modules are ~3 KB, well within every engine's
 * limit for synchronous compilation on the main thread).
 */
export function createWasmGemm(build: "simd" | "relaxed"): GemmFn | null {
  const bytes = wasmBytes(build);
  if (bytes === null) return null;
  let ex: GemmExports;
  try {
    const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
    ex = instance.exports as unknown as GemmExports;
  } catch {
    return null;
  }
  const memory = ex.memory;
  const base = align64(ex.heapBase());
  let buffer = memory.buffer;
  let f32 = new Float32Array(buffer);
  let f64 = new Float64Array(buffer);

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

  return function gemmWasm(transA, transB, M, N, K, A, B, C, accumulate): void {
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
    ensure(pPackB + Math.ceil(N / nr) * nr * kcp * es);
    const view: FloatArray = is64 ? f64 : f32;
    const shift = is64 ? 3 : 2;
    const lenA = M * K;
    const lenB = K * N;
    const lenC = M * N;
    view.set(A.length === lenA ? A : A.subarray(0, lenA), pA >> shift);
    view.set(B.length === lenB ? B : B.subarray(0, lenB), pB >> shift);
    if (accumulate) view.set(C.length === lenC ? C : C.subarray(0, lenC), pC >> shift);
    (is64 ? ex.gemm_f64 : ex.gemm_f32)(transA ? 1 : 0, transB ? 1 : 0, M, N, K, pA, pB, pC, accumulate ? 1 : 0, pPackA, pPackB, pTile);
    C.set(view.subarray(pC >> shift, (pC >> shift) + lenC));
  };
}
