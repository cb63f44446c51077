/**
 * What the WebAssembly wrappers (wasm.ts, wasm-packed.ts) share: the exports of asm/*.ts, the
 * micro-kernels' tile sizes, and copying arrays into and out of an instance's memory.
 */
import type { FloatArray } from "../core/tensor.js";

/** The exports of asm/gemm.ts. */
export interface GemmExports {
  memory: WebAssembly.Memory;
  heapBase(): number;
  gemm_f32: RawGemm;
  gemm_f64: RawGemm;
  pack_a_f32(transA: number, M: number, K: number, pA: number, dst: number): void;
  packed_a_bytes_f32(M: number, K: number): number;
  gemm_packed_a_f32(transB: number, M: number, N: number, K: number, pPackedA: number, pB: number, pC: number, accumulate: number, pPackB: number, pTile: number): void;
  add_bias_f32(M: number, N: number, pC: number, pBias: number): void;
  add_bias_f64(M: number, N: number, pC: number, pBias: number): void;
  col_sums_f32(K: number, N: number, pB: number, pOut: number): void;
  col_sums_f64(K: number, N: number, pB: number, pOut: number): void;
  bn_backward_alt_f32: RawBnAlt;
  bn_backward_alt_f64: RawBnAlt;
  bn_forward_f32: RawBnForward;
  bn_forward_f64: RawBnForward;
  sgd_f32(n: number, pW: number, pDw: number, lr: number): void;
  sgd_momentum_f32(n: number, pW: number, pDw: number, pV: number, lr: number, mu: number): void;
  rmsprop_f32(n: number, pW: number, pDw: number, pCache: number, lr: number, rho: number, omr: number, eps: number): void;
  all_finite_f32(n: number, p: number): number;
  all_finite_f64(n: number, p: number): number;
  relu_forward_f32(n: number, pX: number, pOut: number): void;
  relu_forward_f64(n: number, pX: number, pOut: number): void;
  relu_backward_f32(n: number, pX: number, pDout: number, pDx: number): void;
  relu_backward_f64(n: number, pX: number, pDout: number, pDx: number): void;
  adam_f32(
    n: number, pW: number, pDw: number, pM: number, pV: number,
    lr: number, b1: number, omb1: number, c1: number, b2: number, omb2: number, c2: number, eps: number,
  ): void;
}
export type RawBnForward = (
  train: number, N: number, D: number, eps: number, pX: number, pGamma: number, pBeta: number,
  pMu: number, pVar: number, pSqrtvar: number, pIvar: number, pXmu: number, pXhat: number, pOut: number,
) => void;
export type RawBnAlt = (
  N: number, D: number, pDout: number, pXhat: number, pGamma: number, pIvar: number,
  pDx: number, pDbeta: number, pDgamma: number, pSb: number, pSg: number,
) => void;
export type RawGemm = (
  transA: number, transB: number, M: number, N: number, K: number,
  pA: number, pB: number, pC: number, accumulate: number, pPackA: number, pPackB: number, pTile: number,
) => void;

export const PAGE = 65536;
/** Where resident arrays start in a shared memory (1 GiB; the scratch stays below). */
export const RESIDENT_BASE = 1 << 30;
/** The shared memory's maximum, in pages (4 GiB: all of wasm32). */
export const SHARED_MAX_PAGES = 65536;
export const MR = 6;
/** Panel widths of the micro-kernels: 8 float32 or 4 float64 columns. */
export const NR32 = 8;
export const NR64 = 4;
/** The k block of asm/gemm.ts. */
export const KC = 256;
/** Floats per array per chunk of an update rule (4 arrays × 32 KiB: in L2 between the copies and the kernel). */
export const OPTIM_CHUNK = 8192;

export function decodeBase64(b64: string): Uint8Array<ArrayBuffer> {
  const bin = atob(b64);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export const align64 = (n: number): number => (n + 63) & ~63;

/**
 * Copies a[o, o + n) into `view` (the memory's Float32Array or Float64Array, the
 * same element type as a) at byte offset p; the whole of a when n is its length.
 */
export function put(view: FloatArray, p: number, a: FloatArray, n = a.length, o = 0): void {
  view.set(n === a.length ? a : a.subarray(o, o + n), p / view.BYTES_PER_ELEMENT);
}

/** Copies n values of `view` from byte offset p into a[o, o + n). */
export function take(view: FloatArray, p: number, a: FloatArray, n: number, o = 0): void {
  const i = p / view.BYTES_PER_ELEMENT;
  a.set(view.subarray(i, i + n), o);
}
