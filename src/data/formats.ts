/**
 * The two official CIFAR-10 file formats, parsed from bytes already in memory.
 *
 * - binary version: records of 1 label byte + 3072 pixel bytes (R plane, G plane,
 *   B plane, each 32x32 row-major); `batches.meta.txt` holds the class names.
 * - python version: protocol-2 pickles of `{batch_label, labels, data[, filenames]}`
 *   with `data` a uint8 numpy array (N, 3072); `batches.meta` holds `label_names`.
 *
 * Every parser checks the whole file before returning, so a caller never sees
 * half a batch. Errors are `DataFormatError`s naming the file.
 */
import { DataFormatError } from "../core/errors.js";
import { NdArrayValue, PyBytes, PyDict, PyList, unpickle, type PyValue } from "./pickle.js";

/** Bytes per image: 3 channels x 32 x 32. */
export const IMAGE_BYTES = 3072;
/** Bytes per record of the binary version (label + image). */
export const BIN_RECORD_BYTES = IMAGE_BYTES + 1;
/** Classes in CIFAR-10. */
export const NUM_CLASSES = 10;

/** One parsed batch: `x` (N, 3, 32, 32) uint8 row-major, `y` (N) labels in 0..9. */
export interface Batch {
  x: Uint8Array;
  y: Int32Array;
}

function checkLabel(file: string, label: number, index: number): void {
  if (!Number.isInteger(label) || label < 0 || label >= NUM_CLASSES) {
    throw new DataFormatError(file, `record ${index} has label ${String(label)}, expected an integer in 0..9`);
  }
}

/** Parses a binary-version batch (`data_batch_1.bin`, `test_batch.bin`). */
export function parseBinaryBatch(bytes: Uint8Array, file: string): Batch {
  if (bytes.length === 0 || bytes.length % BIN_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / BIN_RECORD_BYTES);
    throw new DataFormatError(
      file,
      `size ${bytes.length} bytes is not a whole number of ${BIN_RECORD_BYTES}-byte records ` +
        `(${whole} records + ${bytes.length - whole * BIN_RECORD_BYTES} bytes of a partial one)`,
    );
  }
  const n = bytes.length / BIN_RECORD_BYTES;
  const x = new Uint8Array(n * IMAGE_BYTES);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const off = i * BIN_RECORD_BYTES;
    const label = bytes[off]!;
    checkLabel(file, label, i);
    y[i] = label;
    x.set(bytes.subarray(off + 1, off + BIN_RECORD_BYTES), i * IMAGE_BYTES);
  }
  return { x, y };
}

/** Parses `batches.meta.txt`: ten class names, one per line (blank lines ignored). */
export function parseBinaryMeta(bytes: Uint8Array, file: string): string[] {
  const names = new TextDecoder("utf-8")
    .decode(bytes)
    .split(/\r?\n/)
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (names.length !== NUM_CLASSES) {
    throw new DataFormatError(file, `expected ${NUM_CLASSES} class names (one per line), found ${names.length}`);
  }
  return names;
}

function topDict(bytes: Uint8Array, file: string): PyDict {
  const v = unpickle(bytes, file);
  if (!(v instanceof PyDict)) throw new DataFormatError(file, "the pickle does not hold a dict");
  return v;
}

function field(d: PyDict, key: string, file: string): PyValue {
  const v = d.entries.get(key);
  if (v === undefined) {
    throw new DataFormatError(file, `the pickled dict has no "${key}" key (keys: ${[...d.entries.keys()].map((k) => JSON.stringify(k)).join(", ")})`);
  }
  return v;
}

/** Parses a python-version batch (`data_batch_1`, `test_batch`). `x` views `bytes`. */
export function parsePickledBatch(bytes: Uint8Array, file: string): Batch {
  const d = topDict(bytes, file);
  const data = field(d, "data", file);
  const labels = field(d, "labels", file);
  if (!(data instanceof NdArrayValue) || data.data === null || data.shape === null || data.dtype === null) {
    throw new DataFormatError(file, `"data" is not a numpy array`);
  }
  const dt = data.dtype.str.replace(/^[|=<>]/, "");
  if (dt !== "u1" || !["|", "=", "<", ">"].includes(data.dtype.byteorder)) {
    throw new DataFormatError(file, `"data" has dtype ${JSON.stringify(data.dtype.str)}, expected uint8 ("u1")`);
  }
  if (data.shape.length !== 2 || data.shape[1] !== IMAGE_BYTES) {
    throw new DataFormatError(file, `"data" has shape (${data.shape.join(", ")}), expected (N, ${IMAGE_BYTES})`);
  }
  if (data.fortranOrder && data.shape[0] !== 1) {
    throw new DataFormatError(file, `"data" is stored in Fortran order, expected C order`);
  }
  const n = data.shape[0]!;
  if (data.data.length !== n * IMAGE_BYTES) {
    throw new DataFormatError(file, `"data" holds ${data.data.length} bytes, but shape (${n}, ${IMAGE_BYTES}) needs ${n * IMAGE_BYTES}`);
  }
  if (!(labels instanceof PyList)) throw new DataFormatError(file, `"labels" is not a list`);
  if (labels.items.length !== n) {
    throw new DataFormatError(file, `"labels" has ${labels.items.length} entries but "data" has ${n} records`);
  }
  if (n === 0) throw new DataFormatError(file, "the batch holds no records");
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const label = labels.items[i];
    if (typeof label !== "number") throw new DataFormatError(file, `label ${i} is not an integer`);
    checkLabel(file, label, i);
    y[i] = label;
  }
  return { x: data.data, y };
}

/** Parses the python-version `batches.meta`: its `label_names` list. */
export function parsePickledMeta(bytes: Uint8Array, file: string): string[] {
  const names = field(topDict(bytes, file), "label_names", file);
  if (!(names instanceof PyList) || names.items.length !== NUM_CLASSES) {
    throw new DataFormatError(file, `"label_names" is not a list of ${NUM_CLASSES} names`);
  }
  return names.items.map((v, i) => {
    if (v instanceof PyBytes) return v.text();
    if (typeof v === "string") return v;
    throw new DataFormatError(file, `label name ${i} is not a string`);
  });
}

/** Concatenates batches in order (pixels and labels). */
export function concatBatches(batches: readonly Batch[]): Batch {
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
