/**
 * The assignment's `get_CIFAR10_data`: split, convert to float, subtract the
 * training split's mean image, channels first.
 */
import { OptionError } from "../core/errors.js";
import { Tensor, allocFloat, type DType, type Labels } from "../core/tensor.js";
import { loadCifar10At, type Cifar10Kind, type Cifar10Raw, type FileCount } from "./cifar10.js";
import { IMAGE_BYTES as IMPORTED_IMAGE_BYTES } from "./formats.js";

// NOTE: a module-local copy: under loaders that turn ESM bindings into getters (tsx), an imported
// constant read in a hot loop costs a function call per pixel.
const IMAGE_BYTES: number = IMPORTED_IMAGE_BYTES;
import { NoDataError, resolveDataDir } from "./locate.js";

/** Where a dataset came from, for reports. */
export interface DataSource {
  kind: Cifar10Kind | "synthetic";
  /** The layout folder or archive read (null for synthetic data). */
  dir: string | null;
  /** Records in each split returned. */
  counts: { train: number; val: number; test: number };
  /** Records per source file (empty for synthetic data). */
  files: FileCount[];
}

/** What `getCifar10Data` and `syntheticCifar` return. Images are (N, 3, 32, 32). */
export interface Cifar10Data {
  xTrain: Tensor;
  yTrain: Labels;
  xVal: Tensor;
  yVal: Labels;
  xTest: Tensor;
  yTest: Labels;
  /** The training split's mean image (3, 32, 32), or null when `subtractMean` was false. */
  meanImage: Tensor | null;
  labelNames: string[];
  source: DataSource;
}

/** Options of `getCifar10Data`: where the data is, the split sizes, mean subtraction and the dtype. */
export interface GetCifar10DataOptions {
  /** Folder to search (see `resolveDataDir`); default: `BNLAB_DATA`, then the cache. */
  dir?: string | undefined;
  /** Already-loaded raw data (skips finding and reading files). */
  raw?: Cifar10Raw;
  /** Training records: a count (default 49000) or 'rest' for all but the validation records. */
  numTraining?: number | "rest";
  numValidation?: number;
  numTest?: number;
  subtractMean?: boolean;
  dtype?: DType;
  layout?: Cifar10Kind;
}

function checkCount(option: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new OptionError(option, "a non-negative integer", v);
}

/**
 * Rows [start, start + n) of uint8 images (n, 3072) as floats minus `mean` (3072),
 * computed in float64 and stored in `dtype`.
 */
function toFloat(x: Uint8Array, start: number, n: number, mean: Float64Array | null, dtype: DType): Tensor {
  const src = x.subarray(start * IMAGE_BYTES, (start + n) * IMAGE_BYTES);
  // NOTE: one loop per concrete array type keeps the element accesses monomorphic (several times faster).
  const out = dtype === "float64" ? subtractMean64(src, n, mean) : subtractMean32(src, n, mean);
  return new Tensor(out, [n, 3, 32, 32]);
}

function subtractMean64(src: Uint8Array, n: number, mean: Float64Array | null): Float64Array {
  const out = new Float64Array(n * IMAGE_BYTES);
  if (mean === null) {
    out.set(src);
    return out;
  }
  for (let i = 0, off = 0; i < n; i++, off += IMAGE_BYTES) {
    for (let j = 0; j < IMAGE_BYTES; j++) out[off + j] = src[off + j]! - mean[j]!;
  }
  return out;
}

function subtractMean32(src: Uint8Array, n: number, mean: Float64Array | null): Float32Array {
  const out = new Float32Array(n * IMAGE_BYTES);
  if (mean === null) {
    out.set(src);
    return out;
  }
  for (let i = 0, off = 0; i < n; i++, off += IMAGE_BYTES) {
    for (let j = 0; j < IMAGE_BYTES; j++) out[off + j] = src[off + j]! - mean[j]!;
  }
  return out;
}

/** The mean image (3072) of the first n images, float64 (sums of bytes are exact). */
function meanImageOf(x: Uint8Array, n: number): Float64Array {
  const mean = new Float64Array(IMAGE_BYTES);
  for (let i = 0, off = 0; i < n; i++, off += IMAGE_BYTES) {
    for (let j = 0; j < IMAGE_BYTES; j++) mean[j] += x[off + j]!;
  }
  if (n > 0) for (let j = 0; j < IMAGE_BYTES; j++) mean[j] /= n;
  return mean;
}

/**
 * Loads CIFAR-10 and preprocesses it like the assignment's `get_CIFAR10_data`:
 * training = the first `numTraining` records of the five batches concatenated,
 * validation = the `numValidation` records after them, test = the first `numTest`
 * test records; float (`dtype`, default float32), minus the training split's mean
 * image when `subtractMean` (default true). All images (N, 3, 32, 32).
 *
 * When the data holds fewer records than asked, `numTraining: 'rest'` takes what
 * is there; otherwise an `OptionError` says how many records there are.
 */
export function getCifar10Data(options: GetCifar10DataOptions = {}): Cifar10Data {
  const { numValidation = 1000, numTest = 1000, subtractMean = true, dtype = "float32" } = options;
  checkCount("numValidation", numValidation);
  checkCount("numTest", numTest);
  if (options.numTraining !== undefined && options.numTraining !== "rest") checkCount("numTraining", options.numTraining);
  if (dtype !== "float32" && dtype !== "float64") throw new OptionError("dtype", '"float32" or "float64"', dtype);

  let raw = options.raw;
  if (raw === undefined) {
    const found = resolveDataDir({ dir: options.dir, ...(options.layout !== undefined ? { layout: options.layout } : {}) });
    if (found === null) throw new NoDataError();
    raw = loadCifar10At(found.location);
  }
  const haveTrain = raw.yTrain.length;
  const haveTest = raw.yTest.length;
  const where = raw.location.path;
  if (numValidation > haveTrain) {
    throw new OptionError("numValidation", `at most ${haveTrain} (${where} holds ${haveTrain} training records)`, numValidation);
  }
  const numTraining = options.numTraining === "rest" ? haveTrain - numValidation : (options.numTraining ?? 49000);
  if (numTraining + numValidation > haveTrain) {
    throw new OptionError(
      "numTraining",
      `at most ${haveTrain - numValidation} with numValidation ${numValidation} (${where} holds ${haveTrain} training records; ` +
        "pass 'rest' to use all of them)",
      numTraining,
    );
  }
  if (numTest > haveTest) {
    throw new OptionError("numTest", `at most ${haveTest} (${where} holds ${haveTest} test records)`, numTest);
  }

  // One division per pixel after exact sums, as np.mean.
  const mean = subtractMean ? meanImageOf(raw.xTrain, numTraining) : null;
  const meanImage = mean === null ? null : new Tensor(allocFloat(IMAGE_BYTES, dtype), [3, 32, 32]);
  if (meanImage !== null && mean !== null) meanImage.data.set(mean);

  return {
    xTrain: toFloat(raw.xTrain, 0, numTraining, mean, dtype),
    yTrain: raw.yTrain.slice(0, numTraining),
    xVal: toFloat(raw.xTrain, numTraining, numValidation, mean, dtype),
    yVal: raw.yTrain.slice(numTraining, numTraining + numValidation),
    xTest: toFloat(raw.xTest, 0, numTest, mean, dtype),
    yTest: raw.yTest.slice(0, numTest),
    meanImage,
    labelNames: raw.labelNames,
    source: {
      kind: raw.location.kind,
      dir: where,
      counts: { train: numTraining, val: numValidation, test: numTest },
      files: raw.files,
    },
  };
}
