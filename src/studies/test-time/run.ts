/**
 * One net of the test-time study: cell 6's batch-norm net trained by the Solver
 * at one batch size from RandomState(seed), then the final net (not the Solver's
 * best, which was picked by the moving-average accuracy) scored on the
 * validation rows three ways: test mode with the moving-average statistics,
 * test mode with precise statistics, and train mode (each batch of the training
 * batch size normalized by its own statistics).
 */
import { RandomState } from "../../core/random.js";
import type { Tensor } from "../../core/tensor.js";
import { FullyConnectedNet } from "../../models/fc-net.js";
import type { ModelSnapshot } from "../../models/model.js";
import { preciseBatchnormStats } from "../../models/precise-stats.js";
import { argmaxRow } from "../../train/accuracy.js";
import { Solver, type Dataset } from "../../train/solver.js";
import type { TestTimeOptions, TestTimeRun } from "./types.js";

/** Iterations of one net at batch size B on `numTrain` rows. */
export function testTimeIterations(o: TestTimeOptions, batchSize: number, numTrain: number): number {
  return o.numEpochs * Math.max(Math.floor(numTrain / batchSize), 1);
}

/** Batches of B rows that pool `preciseSamples` rows. */
export function preciseBatchCount(o: TestTimeOptions, batchSize: number): number {
  return Math.ceil(o.preciseSamples / batchSize);
}

/**
 * Accuracy in train mode: rows in consecutive batches of `batchSize`, in order, each
 * normalized by its own batch statistics (a last batch of fewer rows is its own batch).
 * The running statistics are not moved.
 */
export function batchStatsAccuracy(model: FullyConnectedNet, X: Tensor, y: Int32Array, batchSize: number): number {
  const N = X.shape[0]!;
  let correct = 0;
  for (let start = 0; start < N; start += batchSize) {
    const end = Math.min(start + batchSize, N);
    const tr = model.trace(X.rows(start, end), y.subarray(start, end), { mode: "train", updateRunningStats: false });
    const C = tr.scores.shape[1]!;
    for (let r = 0; r < end - start; r++) if (argmaxRow(tr.scores.data, r, C) === y[start + r]) correct++;
  }
  return N === 0 ? NaN : correct / N;
}

/** Test-mode accuracy (running statistics). */
function testAccuracy(model: FullyConnectedNet, X: Tensor, y: Int32Array): number {
  const s = model.scores(X);
  const C = s.shape[1]!;
  let correct = 0;
  for (let r = 0; r < y.length; r++) if (argmaxRow(s.data, r, C) === y[r]) correct++;
  return y.length === 0 ? NaN : correct / y.length;
}

/** How far the moving averages are from the precise statistics (see TestTimeRun). */
function statsDistance(ema: ModelSnapshot, precise: ModelSnapshot): { meanShift: number; logVarRatio: number } {
  let shift = 0;
  let ratio = 0;
  let n = 0;
  for (const [name, m] of ema.buffers) {
    if (!name.startsWith("runningMean")) continue;
    const k = name.slice("runningMean".length);
    const v = ema.buffers.get(`runningVar${k}`)!;
    const pm = precise.buffers.get(name)!;
    const pv = precise.buffers.get(`runningVar${k}`)!;
    for (let j = 0; j < m.length; j++) {
      shift += Math.abs(m[j]! - pm[j]!) / Math.sqrt(pv[j]! + 1e-5);
      ratio += Math.abs(Math.log((v[j]! + 1e-5) / (pv[j]! + 1e-5)));
      n++;
    }
  }
  return { meanShift: shift / n, logVarRatio: ratio / n };
}

/** Trains and scores the net of batch size B; the precise statistics draw from RandomState(preciseSeed). */
export function trainTestTime(data: Dataset, o: TestTimeOptions, batchSize: number, seed: number, preciseSeed: number, onIteration?: (done: number) => void): TestTimeRun {
  const rng = new RandomState(seed);
  const numTrain = data.xTrain.shape[0]!;
  const inputDim = data.xTrain.size / numTrain;
  const model = new FullyConnectedNet({
    hiddenDims: o.hiddenDims,
    inputDim,
    numClasses: 10,
    weightScale: o.weightScale,
    normalization: "batchnorm",
    dtype: data.xTrain.dtype === "float64" ? "float64" : "float32",
    rng,
  });
  let last: ModelSnapshot | null = null;
  const solver = new Solver(model, data, {
    updateRule: o.updateRule,
    optimConfig: { learningRate: o.learningRate },
    batchSize,
    numEpochs: o.numEpochs,
    rng,
    // NOTE: the final net is snapshotted in onProgress, which must see this step's model.
    backgroundChecks: false,
    onProgress: (q) => {
      if (q.iteration === q.numIterations) last = model.snapshot();
      onIteration?.(q.iteration);
    },
  });
  solver.train();
  if (last !== null) model.restore(last);
  const nv = data.xVal.shape[0]!;
  const xTr = data.xTrain.rows(0, Math.min(nv, numTrain));
  const yTr = data.yTrain.subarray(0, xTr.shape[0]!);
  const emaAcc = testAccuracy(model, data.xVal, data.yVal);
  const trainEmaAcc = testAccuracy(model, xTr, yTr);
  const batchAcc = batchStatsAccuracy(model, data.xVal, data.yVal, batchSize);
  const trainBatchAcc = batchStatsAccuracy(model, xTr, yTr, batchSize);
  const ema = model.snapshot();
  const preciseBatches = preciseBatchCount(o, batchSize);
  preciseBatchnormStats(model, data.xTrain, { batchSize: Math.min(batchSize, numTrain), numBatches: preciseBatches, rng: new RandomState(preciseSeed) });
  const dist = statsDistance(ema, model.snapshot());
  return {
    batchSize,
    lossHistory: [...solver.lossHistory],
    trainAccHistory: [...solver.trainAccHistory],
    valAccHistory: [...solver.valAccHistory],
    bestValAcc: solver.bestValAcc,
    iterationsPerEpoch: solver.iterationsPerEpoch,
    preciseBatches,
    emaAcc,
    preciseAcc: testAccuracy(model, data.xVal, data.yVal),
    batchAcc,
    trainEmaAcc,
    trainPreciseAcc: testAccuracy(model, xTr, yTr),
    trainBatchAcc,
    ...dist,
  };
}
