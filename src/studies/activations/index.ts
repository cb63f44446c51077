/**
 * Study "activations": the distribution of a sigmoid's input over training,
 * after Ioffe and Szegedy, "Batch Normalization: Accelerating Deep Network
 * Training by Reducing Internal Covariate Shift" (ICML 2015), figure 1: three
 * hidden layers of 100 sigmoid units, small Gaussian initial weights, batch 60,
 * with and without batch norm; the 15th, 50th and 85th percentiles of one
 * last-hidden-layer unit's input over training, and held-out accuracy. The paper
 * used MNIST; bnlab runs it on CIFAR-10.
 *
 * Both nets start from RandomState(seed) (the same initial weights) and train
 * with the Solver exactly as without probes: a probe is a train-mode trace of a
 * fixed batch (the first training rows; running statistics untouched, nothing
 * drawn) and test-mode scores of the validation rows.
 */
import { RandomState } from "../../core/random.js";
import type { Tensor } from "../../core/tensor.js";
import { FullyConnectedNet } from "../../models/fc-net.js";
import { Solver, type Dataset } from "../../train/solver.js";
import { optionRows, type DataShape, type Study, type StudyJob } from "../study.js";
import { activationsFigures } from "./figures.js";
import { activationsFindings } from "./findings.js";
import { activationsOptionsSchema, activationsResultSchema, type ActivationArm, type ActivationArmResult, type ActivationProbe, type ActivationsOptions, type ActivationsResult } from "./types.js";

export * from "./types.js";
export { activationsFigures } from "./figures.js";
export { activationsFindings } from "./findings.js";

/** One net of the study. */
export interface ActivationJob extends StudyJob {
  arm: ActivationArm;
  seed: number;
}

/**
 * The full study. SGD as in the paper; learning rate 1 and weight scale 1e-2 (the
 * assignment's default) were chosen by a 3-epoch trial on the sample (seed 231):
 * at learning rates 0.01 and 0.1 the sigmoid baseline did not leave chance, at 1 it
 * learned; batch norm learned at all three. Both nets use the same settings.
 */
export const ACTIVATIONS_FULL: ActivationsOptions = {
  hiddenDims: [100, 100, 100],
  activation: "sigmoid",
  weightScale: 1e-2,
  numTrain: 5000,
  numVal: 1000,
  numEpochs: 30,
  batchSize: 60,
  updateRule: "sgd",
  learningRate: 1,
  probeEvery: 20,
  probeRows: 200,
  unit: 0,
};

/** A quick look (and the tests): 600 rows, 2 epochs, a probe every 2 steps. */
export const ACTIVATIONS_QUICK: ActivationsOptions = { ...ACTIVATIONS_FULL, numTrain: 600, numVal: 200, numEpochs: 2, probeEvery: 2, probeRows: 100 };

/** Iterations of one net on `numTrain` rows. */
export function activationIterations(o: ActivationsOptions, numTrain: number): number {
  return o.numEpochs * Math.max(Math.floor(numTrain / o.batchSize), 1);
}

/** The q-th percentile of the sorted values `v`, interpolated linearly (numpy's default). */
export function percentileSorted(v: Float64Array, q: number): number {
  const pos = (q / 100) * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  return v[lo]! + (pos - lo) * (v[hi]! - v[lo]!);
}

/** Test-mode accuracy of `model` on (X, y), 500 rows per call. */
function accuracyOf(model: FullyConnectedNet, X: Tensor, y: Int32Array): number {
  const N = X.shape[0]!;
  const C = model.numClasses;
  let right = 0;
  for (let s = 0; s < N; s += 500) {
    const e = Math.min(N, s + 500);
    const sc = model.scores(X.rows(s, e)).data;
    for (let i = 0; i < e - s; i++) {
      let best = 0;
      for (let c = 1; c < C; c++) if (sc[i * C + c]! > sc[i * C + best]!) best = c;
      if (best === y[s + i]) right++;
    }
  }
  return right / N;
}

/**
 * Per unit of the last hidden layer, the 15th, 50th and 85th percentiles of its
 * input over the probe rows (a train-mode trace: batch statistics, nothing moved or drawn).
 */
export function unitPercentiles(model: FullyConnectedNet, X: Tensor, y: Int32Array): { p15: number[]; p50: number[]; p85: number[] } {
  const t = model.trace(X, y, { mode: "train", updateRunningStats: false });
  const last = t.layers[t.layers.length - 1]!;
  const v = (last.normalized ?? last.affine).data;
  const [N, D] = [X.shape[0]!, v.length / X.shape[0]!];
  const col = new Float64Array(N);
  const out = { p15: [] as number[], p50: [] as number[], p85: [] as number[] };
  for (let j = 0; j < D; j++) {
    for (let i = 0; i < N; i++) col[i] = v[i * D + j]!;
    col.sort();
    out.p15.push(percentileSorted(col, 15));
    out.p50.push(percentileSorted(col, 50));
    out.p85.push(percentileSorted(col, 85));
  }
  return out;
}

/** The net of an arm, drawing its weights from `rng`. */
export function createActivationNet(o: ActivationsOptions, arm: ActivationArm, inputDim: number, dtype: "float32" | "float64", rng: RandomState): FullyConnectedNet {
  return new FullyConnectedNet({
    hiddenDims: o.hiddenDims,
    inputDim,
    numClasses: 10,
    weightScale: o.weightScale,
    normalization: arm === "baseline" ? null : "batchnorm",
    activation: o.activation,
    dtype,
    rng,
  });
}

/** Trains one arm from RandomState(seed), probing before the first step and every `probeEvery` steps (unless `probes` is false). */
export function trainActivationArm(data: Dataset, o: ActivationsOptions, arm: ActivationArm, seed: number, probes = true, onIteration?: (done: number) => void): { result: ActivationArmResult; model: FullyConnectedNet; solver: Solver } {
  const rng = new RandomState(seed);
  const numTrain = data.xTrain.shape[0]!;
  const inputDim = data.xTrain.size / numTrain;
  const model = createActivationNet(o, arm, inputDim, data.xTrain.dtype === "float64" ? "float64" : "float32", rng);
  if (o.unit >= o.hiddenDims[o.hiddenDims.length - 1]!) throw new RangeError(`unit ${o.unit} is not in the last hidden layer (${o.hiddenDims[o.hiddenDims.length - 1]} units)`);
  const rows = Math.min(o.probeRows, numTrain);
  const X = data.xTrain.rows(0, rows);
  const y = data.yTrain.subarray(0, rows);
  const records: ActivationProbe[] = [];
  let start: number[] | null = null;
  const probe = (iteration: number): void => {
    const p = unitPercentiles(model, X, y);
    start ??= p.p50;
    let shift = 0;
    let spread = 0;
    p.p50.forEach((m, j) => {
      shift += Math.abs(m - start![j]!);
      spread += p.p85[j]! - p.p15[j]!;
    });
    const u = o.unit;
    records.push({ iteration, valAcc: accuracyOf(model, data.xVal, data.yVal), p15: p.p15[u]!, p50: p.p50[u]!, p85: p.p85[u]!, meanMedianShift: shift / p.p50.length, meanSpread: spread / p.p50.length });
  };
  const numIterations = activationIterations(o, numTrain);
  const solver = new Solver(model, data, {
    updateRule: o.updateRule,
    optimConfig: { learningRate: o.learningRate },
    batchSize: o.batchSize,
    numEpochs: o.numEpochs,
    rng,
    // NOTE: inline checks, so that onProgress runs right after its step (the probes need that model).
    backgroundChecks: false,
    onProgress: (q) => {
      if (probes && q.iteration % o.probeEvery === 0) probe(q.iteration);
      onIteration?.(q.iteration);
    },
  });
  if (probes) probe(0);
  solver.train();
  return { result: { arm, lossHistory: [...solver.lossHistory], bestValAcc: solver.bestValAcc, numIterations, probes: records }, model, solver };
}

/** The activation-distribution study (Ioffe and Szegedy 2015, figure 1) on CIFAR-10. */
export const activationsStudy: Study<ActivationsOptions, ActivationJob, ActivationArmResult, ActivationsResult> = {
  name: "activations",
  title: "Distribution of a sigmoid's input over training",
  summary: "15th/50th/85th percentiles of a last-layer sigmoid's input and held-out accuracy over training, 3×100 sigmoid nets with and without batch norm (Ioffe & Szegedy fig. 1, on CIFAR-10)",
  citation: {
    authors: ["Sergey Ioffe", "Christian Szegedy"],
    title: "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift",
    venue: "Proceedings of the 32nd International Conference on Machine Learning (ICML)",
    year: 2015,
    url: "https://arxiv.org/abs/1502.03167",
  },
  presets: { quick: ACTIVATIONS_QUICK, full: ACTIVATIONS_FULL },
  optionsSchema: activationsOptionsSchema,
  resultSchema: activationsResultSchema,
  dataRows: optionRows,
  plan(o, seed, shape) {
    return (["baseline", "batchnorm"] as const).map((arm, index) => ({ index, label: arm, units: activationIterations(o, shape.numTrain), arm, seed }));
  },
  runJob(data: Dataset, o, job, onProgress) {
    return trainActivationArm(data, o, job.arm, job.seed, true, onProgress).result;
  },
  assemble(o, seed, shape: DataShape, parts) {
    return { seed, settings: { ...o, numTrain: shape.numTrain, numVal: shape.numVal }, arms: parts };
  },
  figures: activationsFigures,
  findings: activationsFindings,
};
