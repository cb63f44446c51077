/**
 * `--hidden` checked against memory before any data is loaded: a net whose
 * weights cannot be allocated (or would not fit in this machine's memory) is a
 * usage error naming the flag, not a RangeError after the data has loaded.
 */
import { constants } from "node:buffer";
import { totalmem } from "node:os";
import { OptionError } from "../src/node.js";

export interface NetSizeOptions {
  inputDim?: number;
  numClasses?: number;
  batchSize: number;
  /** Nets alive at once (a sweep's worker threads each hold one). */
  copies?: number;
  /** Bytes per value (4: float32, the default dtype). */
  bytesPerValue?: number;
  /** Memory the estimate must fit in (default: half of the machine's memory). */
  limitBytes?: number;
}

/**
 * The estimated bytes one training holds: every parameter six times (the weights,
 * their gradients, Adam's two moments, the best snapshot, a check's snapshot) and
 * each hidden layer's activations about ten times per row (affine output,
 * normalization caches, ReLU output, their gradients) for a minibatch or the 500
 * rows of an accuracy check, whichever is larger.
 */
export function estimateTrainingBytes(hiddenDims: readonly number[], o: NetSizeOptions): { bytes: number; largestMatrix: number } {
  const dims = [o.inputDim ?? 3072, ...hiddenDims, o.numClasses ?? 10];
  let params = 0;
  let largestMatrix = 0;
  for (let i = 0; i + 1 < dims.length; i++) {
    const m = dims[i]! * dims[i + 1]!;
    largestMatrix = Math.max(largestMatrix, m);
    params += m + 3 * dims[i + 1]!; // W, b, gamma, beta
  }
  const rows = Math.max(o.batchSize, 500);
  const activations = rows * dims.reduce((s, d) => s + d, 0) * 10;
  const bytes = (params * 6 + activations) * (o.bytesPerValue ?? 4) * (o.copies ?? 1);
  return { bytes, largestMatrix };
}

const GiB = 2 ** 30;

/** Throws an OptionError naming `flag` when the net cannot be allocated or would not fit in memory. */
export function checkNetFits(flag: string, hiddenDims: readonly number[], o: NetSizeOptions): void {
  const { bytes, largestMatrix } = estimateTrainingBytes(hiddenDims, o);
  // NOTE: V8 refuses a typed array longer than this however much memory there is.
  if (largestMatrix > constants.MAX_LENGTH) {
    throw new OptionError(flag, `layer sizes whose weight matrices have at most ${constants.MAX_LENGTH} entries (one has ${largestMatrix})`, hiddenDims.join(","));
  }
  const limit = o.limitBytes ?? totalmem() / 2;
  if (bytes > limit) {
    const copies = (o.copies ?? 1) > 1 ? ` for ${o.copies} nets at once (--jobs)` : "";
    throw new OptionError(
      flag,
      `layer sizes that fit in memory: training this net needs about ${(bytes / GiB).toFixed(1)} GiB${copies}, more than the ${(limit / GiB).toFixed(1)} GiB allowed (half of this machine's memory)`,
      hiddenDims.join(","),
    );
  }
}
