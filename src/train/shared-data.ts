/**
 * A Dataset copied into SharedArrayBuffers, so worker threads can view it without copies.
 * No Node APIs (SharedArrayBuffer is a language feature), but pages need cross-origin isolation for it.
 */
import { Tensor, type DType } from "../core/tensor.js";
import type { Dataset } from "./solver.js";

/** A tensor whose data lives in shared memory. */
export interface SharedTensor {
  buffer: SharedArrayBuffer;
  shape: number[];
  dtype: DType;
}

/** A Dataset in shared memory, sendable to workers. */
export interface SharedDataset {
  xTrain: SharedTensor;
  yTrain: SharedArrayBuffer;
  xVal: SharedTensor;
  yVal: SharedArrayBuffer;
}

function shareTensor(t: Tensor): SharedTensor {
  const buffer = new SharedArrayBuffer(t.data.byteLength);
  const view = t.dtype === "float64" ? new Float64Array(buffer) : new Float32Array(buffer);
  view.set(t.data);
  return { buffer, shape: [...t.shape], dtype: t.dtype };
}

function shareLabels(y: Int32Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(y.byteLength);
  new Int32Array(buffer).set(y);
  return buffer;
}

/** Copies a dataset into shared memory. */
export function toSharedDataset(d: Dataset): SharedDataset {
  return { xTrain: shareTensor(d.xTrain), yTrain: shareLabels(d.yTrain), xVal: shareTensor(d.xVal), yVal: shareLabels(d.yVal) };
}

function unshare(s: SharedTensor): Tensor {
  return new Tensor(s.dtype === "float64" ? new Float64Array(s.buffer) : new Float32Array(s.buffer), s.shape);
}

/** Views a shared dataset as a Dataset (no copy). */
export function datasetFromShared(s: SharedDataset): Dataset {
  return { xTrain: unshare(s.xTrain), yTrain: new Int32Array(s.yTrain), xVal: unshare(s.xVal), yVal: new Int32Array(s.yVal) };
}

