/**
 * How the Solver measures accuracy: test-mode scores of rows of X, in the
 * assignment's batches of 100 (or longer runs of them for a row-wise model), the
 * arg-max compared with the labels. Shared by `Solver.checkAccuracy` and the
 * background-check thread (src/train/background-checks.ts), so both count alike.
 * No Node APIs: this module runs in browsers too.
 */
import { Tensor, shapeSize } from "../core/tensor.js";
import { allocResident } from "../kernels/index.js";
import type { FloatArray, Labels } from "../core/tensor.js";
import type { Model } from "../models/model.js";
import { pinAffineInput, type PinnedInput } from "../layers/affine.js";

/** Rows per `model.scores` call when measuring accuracy (the assignment's check_accuracy batch size). */
export const SCORE_BATCH = 100;
/**
 * Rows per `model.scores` call for a model with `rowwiseScores` (a multiple of SCORE_BATCH):
 * W1 is packed once per 500 rows instead of five times. Measured (a 1000-row check of the
 * six-layer net): chunks of 200–1000 rows alike, about 4 % faster than 100.
 */
export const SCORE_CHUNK = 500;

/**
 * The end of the scoring chunk that starts at row `start` of n. Chunks tile the full
 * SCORE_BATCH blocks in runs of up to `chunk` rows; the last n mod SCORE_BATCH rows are
 * a call of their own, exactly as with batches of 100, so every row's product has the
 * same size class on the kernels' small-product fallback as in the assignment's batching.
 */
export function chunkEnd(start: number, n: number, chunk: number): number {
  const full = n - (n % SCORE_BATCH);
  return start < full ? Math.min(start + chunk, full) : n;
}

/**
 * Index of the largest entry of row `r` of a (rows, C) buffer. Ties: the first.
 * NOTE: like numpy's argmax, a NaN counts as the maximum, so the first NaN wins;
 * a diverged model (all-NaN scores) therefore predicts class 0.
 */
export function argmaxRow(s: FloatArray, r: number, C: number): number {
  const off = r * C;
  let best = 0;
  let bestV = s[off]!;
  if (Number.isNaN(bestV)) return 0;
  for (let j = 1; j < C; j++) {
    const v = s[off + j]!;
    if (Number.isNaN(v)) return j;
    if (v > bestV) {
      bestV = v;
      best = j;
    }
  }
  return best;
}

/**
 * Copies rows of X (N, …) into `dst` (converting dtype): rows mask[start..end) when
 * `mask` is given, else rows start..end.
 */
export function gatherRows(X: Tensor, mask: Int32Array | null, start: number, end: number, dst: FloatArray): void {
  const D = X.shape[0] === 0 ? 0 : X.size / X.shape[0]!;
  const src = X.data;
  for (let i = start; i < end; i++) {
    const r = mask === null ? i : mask[i]!;
    dst.set(src.subarray(r * D, r * D + D), (i - start) * D);
  }
}

/**
 * Inputs scored whole by row-wise models, pinned (`pinAffineInput`: packed once for the first
 * layer's product, the same bits) chunk by chunk, and kept until `release()`. A Solver makes its
 * own for each `train()` call; one given as its `inputPins` option outlives the call, so that
 * several trainings on the same unchanged rows pack them once (the sweep's workers: one set of
 * check rows for every run). Whoever holds one promises that none of its inputs' data changes
 * until `release()`.
 */
export class InputPins {
  private readonly byInput = new Map<Tensor, { chunk: number; n: number; list: PinnedInput[] }>();

  /** Inputs pinned now. */
  get size(): number {
    return this.byInput.size;
  }

  /** Pins the first n rows of X in scoring chunks of `chunk` rows, unless they are already. */
  pin(X: Tensor, n: number, chunk: number): void {
    const had = this.byInput.get(X);
    if (had !== undefined && had.chunk === chunk && had.n === n) return;
    if (had !== undefined) for (const p of had.list) p.release();
    const list: PinnedInput[] = [];
    for (let start = 0, end = 0; start < n; start = end) {
      end = chunkEnd(start, n, chunk);
      const p = pinAffineInput(X.rows(start, end));
      if (p !== null) list.push(p);
    }
    this.byInput.set(X, { chunk, n, list });
  }

  /** Releases every pin (idempotent); the object can pin again afterwards. */
  release(): void {
    for (const { list } of this.byInput.values()) for (const p of list) p.release();
    this.byInput.clear();
  }
}

/** Counts correct predictions; owns the gather buffer it reuses between calls. */
export class AccuracyCounter {
  private xChunk: Tensor | null = null;
  private yChunk = new Int32Array(0);
  /** While pinning (`beginPinning` … `endPinning`): the pins of each X scored whole. */
  private pinned: InputPins | null = null;
  /** Whether `pinned` is this counter's own (released by `endPinning`) or the caller's. */
  private ownPins = false;

  /**
   * From now until `endPinning`, an X scored whole (no mask) by a row-wise model is pinned
   * at its first check (`pinAffineInput`, chunk by chunk as `count` scores it): its rows
   * are packed for the first layer's product once instead of at every check, with the
   * same bits. The caller promises that no such X changes until `endPinning` (the Solver
   * brackets one `train()` call, whose data stays fixed). With `shared`, the pins go there
   * and stay after `endPinning` (the holder releases them).
   */
  beginPinning(shared?: InputPins): void {
    this.endPinning();
    this.pinned = shared ?? new InputPins();
    this.ownPins = shared === undefined;
  }

  /** Stops pinning; releases the pins unless they are a shared `InputPins` (idempotent). */
  endPinning(): void {
    if (this.pinned === null) return;
    if (this.ownPins) this.pinned.release();
    this.pinned = null;
  }

  /**
   * Correct predictions of `model.scores` on rows of X (N, …) against y: rows
   * mask[0..n) when a mask is given (a subsample drawn by the caller), else all N.
   */
  count(model: Model, X: Tensor, y: Labels, mask: Int32Array | null): number {
    const N = X.shape[0]!;
    const n = mask === null ? N : mask.length;
    const chunk = model.rowwiseScores === true ? SCORE_CHUNK : SCORE_BATCH;
    if (this.pinned !== null && mask === null && X.dtype === model.dtype && model.rowwiseScores === true) this.pinned.pin(X, n, chunk);
    let correct = 0;
    for (let start = 0, end = 0; start < n; start = end) {
      end = chunkEnd(start, n, chunk);
      let xs: Tensor;
      let ys: Labels;
      if (mask === null && X.dtype === model.dtype) {
        xs = X.rows(start, end);
        ys = y.subarray(start, end);
      } else {
        const buf = this.chunkBuffer(X, Math.min(n, chunk), model);
        gatherRows(X, mask, start, end, buf.data);
        for (let i = start; i < end; i++) this.yChunk[i - start] = y[mask === null ? i : mask[i]!]!;
        xs = buf.rows(0, end - start);
        ys = this.yChunk.subarray(0, end - start);
      }
      const scores = model.scores(xs);
      const C = scores.shape[1]!;
      for (let r = 0; r < end - start; r++) if (argmaxRow(scores.data, r, C) === ys[r]) correct++;
    }
    return correct;
  }

  /** The gather buffer, forgotten here (for `Solver.dispose`: the caller hands it back); null if none was made. */
  takeBuffer(): FloatArray | null {
    const b = this.xChunk?.data ?? null;
    this.xChunk = null;
    this.yChunk = new Int32Array(0);
    return b;
  }

  /** The gather buffer, with room for `rows` rows of X's shape in the model's dtype. */
  private chunkBuffer(X: Tensor, rows: number, model: Model): Tensor {
    const rowShape = X.shape.slice(1);
    if (this.xChunk === null || this.xChunk.shape[0]! < rows || this.xChunk.dtype !== model.dtype) {
      this.xChunk = new Tensor(allocResident(rows * shapeSize(rowShape), model.dtype), [rows, ...rowShape]);
      this.yChunk = new Int32Array(rows);
    }
    return this.xChunk;
  }
}
