/**
 * The training data of a playground run, built in the worker: CIFAR-10 binary
 * batches fetched from the server or read from a user-chosen file, or the
 * synthetic set. Preprocessing follows `getCifar10Data` exactly (training = the
 * first records of the batches in order, validation = the records after them,
 * float32, minus the training split's mean image computed in float64), so a run
 * here sees the same numbers as `bnlab train` in Node.
 */
import { DataFormatError } from "../../src/index.js";
import { Tensor, allocFloat, type DType, type Labels } from "../../src/index.js";
import { IMAGE_BYTES, concatBatches, parseBinaryBatch, type Batch } from "../../src/index.js";
import { syntheticCifar } from "../../src/index.js";
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

/** The training batch names of the binary layout, in the order `loadCifar10` concatenates them. */
export const TRAIN_BATCHES = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

/** Validation records, as the CLI's data loading: the last 1000 training records. */
export const NUM_VALIDATION = 1000;

/**
 * Splits concatenated raw training records like the CLI's
 * `getCifar10Data({ numTraining: "rest", numValidation })`: the last
 * `numValidation` records are the validation split, the others the training
 * split, minus the training split's mean image; then, like the notebook's
 * `small_data`, only the first `numTrain` training rows are kept.
 */
export function splitAndCenter(raw: Batch, numValidation: number, numTrain: number, source: string, dtype: DType = "float32"): PlaygroundData {
  const have = raw.y.length;
  const numTraining = have - numValidation;
  if (numTraining < 1 || numTrain > numTraining) {
    throw new DataFormatError(
      source,
      `holds ${have} training records: with ${numValidation} for validation at most ${Math.max(0, numTraining)} remain for training, ${numTrain} were asked for`,
    );
  }
  // Sums of uint8 values are exact in float64; one division per pixel, as getCifar10Data.
  const mean = new Float64Array(IMAGE_BYTES);
  for (let i = 0; i < numTraining; i++) {
    const off = i * IMAGE_BYTES;
    for (let j = 0; j < IMAGE_BYTES; j++) mean[j]! += raw.x[off + j]!;
  }
  for (let j = 0; j < IMAGE_BYTES; j++) mean[j]! /= numTraining;
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
    xTrain: toFloat(0, numTrain),
    yTrain: raw.y.slice(0, numTrain),
    xVal: toFloat(numTraining, numValidation),
    yVal: raw.y.slice(numTraining, have),
    source,
  };
}

/** Fetches every training batch the server offers from `${baseUrl}data/`, in order. */
async function fetchTrainingBatches(baseUrl: string): Promise<{ raw: Batch; files: string[] }> {
  const batches: Batch[] = [];
  const files: string[] = [];
  for (const name of TRAIN_BATCHES) {
    const url = new URL(`data/${name}`, baseUrl).href;
    const res = await fetch(url);
    if (res.status === 404) break;
    if (!res.ok) throw new DataFormatError(url, `the server answered ${res.status} ${res.statusText}`);
    batches.push(parseBinaryBatch(new Uint8Array(await res.arrayBuffer()), name));
    files.push(name);
  }
  if (batches.length === 0) throw new DataFormatError(new URL("data/", baseUrl).href, "the server offers no CIFAR-10 training batch");
  return { raw: concatBatches(batches), files };
}

/** Validation records of a single chosen file: 1000, or a fifth of a smaller file. */
export function fileValidationCount(records: number): number {
  return Math.min(NUM_VALIDATION, Math.floor(records / 5));
}

/**
 * Builds the data a request names, with `numTrain` training rows. The synthetic
 * set is drawn as the CLI draws it (1000 training, 1000 validation and 100 test
 * images from `seed`, more training images when asked for).
 */
export async function loadPlaygroundData(req: DataRequest, numTrain: number, seed: number): Promise<PlaygroundData> {
  if (req.kind === "synthetic") {
    const d = syntheticCifar({ numTrain: Math.max(1000, numTrain), numVal: NUM_VALIDATION, numTest: 100, seed });
    return { xTrain: d.xTrain.rows(0, numTrain), yTrain: d.yTrain.slice(0, numTrain), xVal: d.xVal, yVal: d.yVal, source: `synthetic data (seed ${seed})` };
  }
  if (req.kind === "file") {
    const raw = parseBinaryBatch(new Uint8Array(req.bytes), req.name);
    return splitAndCenter(raw, fileValidationCount(raw.y.length), numTrain, `${req.name} (chosen file)`);
  }
  const { raw, files } = await fetchTrainingBatches(req.baseUrl);
  return splitAndCenter(raw, Math.min(NUM_VALIDATION, raw.y.length - 1), numTrain, `CIFAR-10 from the server (${files.join(", ")})`);
}
