/**
 * The training data of a playground run, built in the worker: CIFAR-10 binary
 * batches fetched from the server or read from a user-chosen file, or the
 * synthetic set. Preprocessing follows `getCifar10Data` exactly (training = the
 * first records of the batches in order, validation = the records after them,
 * float32, minus the training split's mean image computed in float64), so a run
 * here sees the same numbers as `bnlab train` in Node.
 */
import { DataFormatError } from "../../src/core/errors.js";
import { Tensor, allocFloat, type DType, type Labels } from "../../src/core/tensor.js";
import { IMAGE_BYTES, parseBinaryBatch, type Batch } from "../../src/data/formats.js";
import { syntheticCifar } from "../../src/data/synthetic.js";
import type { DataRequest } from "./protocol.js";

/** What the Solver trains on: images (N, 3, 32, 32), labels (N). */
export interface PlaygroundData {
  xTrain: Tensor;
  yTrain: Labels;
  xVal: Tensor;
  yVal: Labels;
  /** Where the data came from, in words. */
  source: string;
}

export interface SplitOptions {
  numTraining: number;
  numValidation: number;
  dtype?: DType;
}

/** The training batch names of the binary layout, in the order `loadCifar10` concatenates them. */
export const TRAIN_BATCHES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

/**
 * Splits concatenated raw training records like `getCifar10Data`: the first
 * `numTraining` for training, the next `numValidation` for validation, minus the
 * training mean image.
 */
export function splitAndCenter(raw: Batch, opts: SplitOptions, source: string): PlaygroundData {
  const { numTraining, numValidation, dtype = "float32" } = opts;
  const have = raw.y.length;
  if (numTraining + numValidation > have) {
    throw new DataFormatError(source, `holds ${have} training records; ${numTraining} training + ${numValidation} validation were asked for`);
  }
  // Sums of uint8 values are exact in float64; one division per pixel, as getCifar10Data.
  const mean = new Float64Array(IMAGE_BYTES);
  for (let i = 0; i < numTraining; i++) {
    const off = i * IMAGE_BYTES;
    for (let j = 0; j < IMAGE_BYTES; j++) mean[j]! += raw.x[off + j]!;
  }
  if (numTraining > 0) for (let j = 0; j < IMAGE_BYTES; j++) mean[j]! /= numTraining;
  const toFloat = (start: number, n: number): Tensor => {
    const out = allocFloat(n * IMAGE_BYTES, dtype);
    const src = raw.x.subarray(start * IMAGE_BYTES, (start + n) * IMAGE_BYTES);
    for (let i = 0; i < n; i++) {
      const off = i * IMAGE_BYTES;
      for (let j = 0; j < IMAGE_BYTES; j++) out[off + j] = src[off + j]! - mean[j]!;
    }
    return new Tensor(out, [n, 3, 32, 32]);
  };
  return {
    xTrain: toFloat(0, numTraining),
    yTrain: raw.y.slice(0, numTraining),
    xVal: toFloat(numTraining, numValidation),
    yVal: raw.y.slice(numTraining, numTraining + numValidation),
    source,
  };
}

function concat(batches: Batch[]): Batch {
  let n = 0;
  for (const b of batches) n += b.y.length;
  const x = new Uint8Array(n * IMAGE_BYTES);
  const y = new Int32Array(n);
  let at = 0;
  for (const b of batches) {
    x.set(b.x, at * IMAGE_BYTES);
    y.set(b.y, at);
    at += b.y.length;
  }
  return { x, y };
}

/** Fetches training batches from `${baseUrl}data/` in order until `records` are in hand (or all five are). */
async function fetchTrainingRecords(baseUrl: string, records: number): Promise<{ raw: Batch; files: string[] }> {
  const batches: Batch[] = [];
  const files: string[] = [];
  let have = 0;
  for (const name of TRAIN_BATCHES) {
    if (have >= records) break;
    const url = new URL(`data/${name}`, baseUrl).href;
    const res = await fetch(url);
    if (res.status === 404) break;
    if (!res.ok) throw new DataFormatError(url, `the server answered ${res.status} ${res.statusText}`);
    const b = parseBinaryBatch(new Uint8Array(await res.arrayBuffer()), name);
    batches.push(b);
    files.push(name);
    have += b.y.length;
  }
  if (batches.length === 0) throw new DataFormatError(new URL("data/", baseUrl).href, "the server offers no CIFAR-10 training batch");
  return { raw: concat(batches), files };
}

/** Validation records a run uses: 1000, as the assignment, or what a small file leaves after training. */
export function validationCount(records: number, numTraining: number): number {
  return Math.max(0, Math.min(1000, records - numTraining));
}

/** Builds the data a request names. `numTraining` training records, up to 1000 validation records. */
export async function loadPlaygroundData(req: DataRequest, numTraining: number, seed: number): Promise<PlaygroundData> {
  if (req.kind === "synthetic") {
    const d = syntheticCifar({ numTrain: numTraining, numVal: 1000, numTest: 0, seed });
    return { xTrain: d.xTrain, yTrain: d.yTrain, xVal: d.xVal, yVal: d.yVal, source: `synthetic (seed ${seed})` };
  }
  if (req.kind === "file") {
    const raw = parseBinaryBatch(new Uint8Array(req.bytes), req.name);
    const numValidation = validationCount(raw.y.length, numTraining);
    if (numValidation === 0) {
      throw new DataFormatError(req.name, `holds ${raw.y.length} records: not enough for ${numTraining} training records and a validation split`);
    }
    return splitAndCenter(raw, { numTraining, numValidation }, `${req.name} (chosen file)`);
  }
  const { raw, files } = await fetchTrainingRecords(req.baseUrl, numTraining + 1000);
  const numValidation = validationCount(raw.y.length, numTraining);
  if (numValidation === 0) throw new DataFormatError("served data", `holds ${raw.y.length} training records, fewer than the ${numTraining} asked for plus a validation split`);
  return splitAndCenter(raw, { numTraining, numValidation }, `CIFAR-10 from the server (${files.join(", ")})`);
}
