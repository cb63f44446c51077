/**
 * The affine (fully connected) layer: out = x·w + b, with x flattened to (N, D).
 * Both products go through `gemm`, so the kernel path decides how fast they run.
 */
import { Tensor, shapeSize } from "../core/tensor.js";
import type { FloatArray } from "../core/tensor.js";
import { activeKernel, gemm } from "../kernels/index.js";
import { gemmReference } from "../kernels/reference.js";
import type { AffineKernels, GemmFn, PackedAffineKernels, PackedOperand } from "../kernels/types.js";
import { expectDtype, expectShape, outputBuffer } from "./checks.js";
import { sumRows } from "./reductions.js";

/**
 * The affine kernels as a product by `gemmFn` followed by the TypeScript bias passes:
 * the bias added with one rounding per element, the bias gradient as `sumRows`
 * (float64 accumulation). With `gemmReference` this is the reference
 * (`affineReference`); with the dispatcher's `gemm`, what the layer runs when the
 * active backend has no affine kernel for the size.
 */
export function affineWith(gemmFn: GemmFn): AffineKernels {
  return {
    forward(N, M, D, x, w, b, out) {
      gemmFn(false, false, N, M, D, x, w, out, false);
      for (let i = 0; i < N; i++) {
        const r = i * M;
        for (let j = 0; j < M; j++) out[r + j] = out[r + j]! + b[j]!;
      }
    },
    paramBackward(N, D, M, x, dout, dw, db) {
      gemmFn(true, false, D, M, N, x, dout, dw, false);
      sumRows(dout, N, M, db);
    },
  };
}

/** The reference affine kernels (the "ts" backend's). */
export const affineReference: AffineKernels = affineWith(gemmReference);

/**
 * The reference of `PackedAffineKernels` over some affine kernels: `pack` keeps a copy of
 * x and `forward` runs `affine.forward` on it, which is what a packed kernel must equal.
 */
export function packedAffineReference(affine: AffineKernels): PackedAffineKernels {
  const copies = new WeakMap<PackedOperand, Float32Array>();
  return {
    pack(x, N, D) {
      const p: PackedOperand = { rows: N, cols: D };
      copies.set(p, x.slice(0, N * D));
      return p;
    },
    forward(p, M, w, b, out) {
      const x = copies.get(p);
      if (x === undefined) throw new Error("packedAffine.forward: the operand was released");
      affine.forward(p.rows, M, p.cols, x, w, b, out);
    },
    release(p) {
      copies.delete(p);
    },
  };
}

/** One pinned input: a range of some buffer, packed by one backend's kernels. */
interface Pin {
  readonly byteOffset: number;
  readonly length: number;
  readonly kernels: PackedAffineKernels;
  readonly operand: PackedOperand;
}

/** Pinned inputs by the buffer their data lies in. */
const pins = new Map<ArrayBufferLike, Pin[]>();

/** A pinned affine input; `release()` unpins it (idempotent). */
export interface PinnedInput {
  release(): void;
}

/**
 * Pins a float32 input x (N, d1, …) that will be multiplied by many weights while it stays
 * unchanged (the accuracy checks' fixed rows during a training): the active backend packs it
 * once, and every `affineForward` whose input is exactly this data (the same buffer, offset
 * and length) uses the packed operand, with the same bits as without it.
 * The caller promises that x's data does not change until `release()`. Returns null when
 * the active backend has no packed kernel for this size, or x is not float32.
 */
export function pinAffineInput(x: Tensor): PinnedInput | null {
  if (!(x.data instanceof Float32Array) || x.shape.length < 1) return null;
  const N = x.shape[0]!;
  const D = shapeSize(x.shape.slice(1));
  // NOTE: N·D is the product's size for one output column, the least it can be; each
  // affineForward checks the threshold again with its own M (pinnedFor).
  const kernels = activeKernel("packedAffine", N * D);
  if (kernels === null || N === 0 || D === 0) return null;
  const data = x.data;
  const pin: Pin = { byteOffset: data.byteOffset, length: N * D, kernels, operand: kernels.pack(data, N, D) };
  const list = pins.get(data.buffer) ?? [];
  list.push(pin);
  pins.set(data.buffer, list);
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      kernels.release(pin.operand);
      const l = pins.get(data.buffer)!;
      l.splice(l.indexOf(pin), 1);
      if (l.length === 0) pins.delete(data.buffer);
    },
  };
}

/** The pin of exactly this data (N×D), when one exists and the active backend made it. */
function pinnedFor(data: FloatArray, N: number, D: number, M: number): Pin | null {
  const list = pins.get(data.buffer);
  if (list === undefined) return null;
  for (const p of list) {
    if (p.byteOffset === data.byteOffset && p.length === N * D && data.length === N * D && p.operand.cols === D) {
      return activeKernel("packedAffine", N * M * D) === p.kernels ? p : null;
    }
  }
  return null;
}

/** The fallback: the active backend's gemm (or the reference below its threshold) and the bias loops. */
const affineViaGemm: AffineKernels = affineWith(gemm);

/** What `affineBackward` needs from the forward pass. */
export interface AffineCache {
  /** The input flattened to (N, D) (a view of the caller's data). */
  readonly x: Tensor;
  /** The input's original shape (N, d1, …, dk). */
  readonly xShape: readonly number[];
  /** Weights (D, M). */
  readonly w: Tensor;
}

/**
 * Forward pass of an affine layer.
 *
 * @param x input (N, d1, …, dk); each sample is flattened to D = d1·…·dk
 * @param w weights (D, M), dtype of x
 * @param b biases (M), dtype of x
 * @param outBuffer optional preallocated out (N·M, dtype of x), e.g. a model's workspace
 * @returns out (N, M) and the cache
 */
export function affineForward(x: Tensor, w: Tensor, b: Tensor, outBuffer?: FloatArray): { out: Tensor; cache: AffineCache } {
  const fn = "affineForward";
  if (x.shape.length < 1) throw new RangeError(`${fn}: x must have shape (N, d1, ..., dk), found ()`);
  const N = x.shape[0]!;
  const D = shapeSize(x.shape.slice(1));
  if (w.shape.length !== 2 || w.shape[0] !== D) {
    throw new RangeError(`${fn}: w must have shape (${D}, M) for x of shape (${x.shape.join(", ")}), found (${w.shape.join(", ")})`);
  }
  const M = w.shape[1]!;
  expectShape(fn, "b", b, [M]);
  expectDtype(fn, "w", w, x.dtype);
  expectDtype(fn, "b", b, x.dtype);
  const x2 = x.reshape([N, D]);
  const out = outputBuffer(fn, "out", outBuffer, N * M, x.data);
  // NOTE: on the WebAssembly paths the bias is added before the product leaves wasm
  // memory (the same single rounding per element as the reference's loop).
  const pin = pins.size === 0 ? null : pinnedFor(x2.data, N, D, M);
  if (pin !== null) pin.kernels.forward(pin.operand, M, w.data as Float32Array, b.data as Float32Array, out as Float32Array);
  else (activeKernel("affine", N * M * D) ?? affineViaGemm).forward(N, M, D, x2.data, w.data, b.data, out);
  return { out: new Tensor(out, [N, M]), cache: { x: x2, xShape: x.shape, w } };
}

/** Preallocated parameter gradients (e.g. a model's own gradient buffers), overwritten. */
export interface AffineParamBuffers {
  /** dw (D·M, dtype of dout). */
  readonly dw: FloatArray;
  /** db (M, dtype of dout). */
  readonly db: FloatArray;
}

/**
 * The parameter gradients of an affine layer only: dw = xᵀ·dout (D, M) and
 * db = Σ_rows dout (M). Use it for a first layer, whose input gradient nobody needs.
 * @param paramBuffers optional preallocated dw and db; new arrays otherwise
 */
export function affineParamBackward(dout: Tensor, cache: AffineCache, paramBuffers?: AffineParamBuffers): { dw: Tensor; db: Tensor } {
  const fn = "affineBackward";
  const [N, D] = cache.x.shape as [number, number];
  const M = cache.w.shape[1]!;
  expectShape(fn, "dout", dout, [N, M]);
  expectDtype(fn, "dout", dout, cache.x.dtype);
  const dw = outputBuffer(fn, "dw", paramBuffers?.dw, D * M, dout.data);
  const db = outputBuffer(fn, "db", paramBuffers?.db, M, dout.data);
  (activeKernel("affine", D * M * N) ?? affineViaGemm).paramBackward(N, D, M, cache.x.data, dout.data, dw, db);
  return { dw: new Tensor(dw, [D, M]), db: new Tensor(db, [M]) };
}

/**
 * Backward pass of an affine layer.
 *
 * @param dout upstream gradient (N, M)
 * @param dxBuffer optional preallocated dx (N·D, dtype of dout)
 * @param paramBuffers optional preallocated dw and db; new arrays otherwise
 * @returns dx (shape of x), dw (D, M), db (M)
 */
export function affineBackward(
  dout: Tensor,
  cache: AffineCache,
  dxBuffer?: FloatArray,
  paramBuffers?: AffineParamBuffers,
): { dx: Tensor; dw: Tensor; db: Tensor } {
  const { dw, db } = affineParamBackward(dout, cache, paramBuffers);
  const [N, D] = cache.x.shape as [number, number];
  const M = cache.w.shape[1]!;
  const dx = outputBuffer("affineBackward", "dx", dxBuffer, N * D, dout.data);
  gemm(false, true, N, D, M, dout.data, cache.w.data, dx);
  return { dx: new Tensor(dx, cache.xShape), dw, db };
}
