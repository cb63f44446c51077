/**
 * Training experiments: one net (`trainNet`), cell 6 (deep net with and without
 * batch norm) and the batch-size experiment. Each cell draws from one
 * RandomState like the notebook's global numpy stream: all models are built
 * first, in the notebook's order, then each Solver trains from the same stream.
 */
import { netNormalization } from "../core/names.js";
import { RandomState } from "../core/random.js";
import type { DType, Tensor } from "../core/tensor.js";
import { FullyConnectedNet, type NetLayerImpls } from "../models/fc-net.js";
import { Solver, type Dataset, type SolverState } from "../train/solver.js";
import type { InputPins } from "../train/accuracy.js";
import { DEFAULT_SEED } from "./checks.js";
import type { BatchSizeResult, DeepNetResult, NormKind, TrainSettings, TrainingRun } from "./types.js";
import { netNormOptionsFor } from "../models/net-norm.js";

/** Progress of a long experiment: `done` of `total` units (iterations) of the named step. */
export interface ExperimentProgress {
  step: string;
  done: number;
  total: number;
  detail?: string;
}

/** The progress callback of the experiments (every training iteration of every run). */
export type ProgressFn = (p: ExperimentProgress) => void;

/** The first `numTrain` training rows and the first `numVal` validation rows (views, no copy). */
export function subsetData(data: Dataset, numTrain: number, numVal: number): Dataset {
  const nT = Math.min(numTrain, data.xTrain.shape[0]!);
  const nV = Math.min(numVal, data.xVal.shape[0]!);
  return { xTrain: data.xTrain.rows(0, nT), yTrain: data.yTrain.subarray(0, nT), xVal: data.xVal.rows(0, nV), yVal: data.yVal.subarray(0, nV) };
}

function rowDim(x: Tensor): number {
  return x.shape[0] === 0 ? 0 : x.size / x.shape[0]!;
}

/** A model and its solver, built but not yet trained. */
interface Prepared {
  normalization: NormKind;
  weightScale: number;
  batchSize: number;
  model: FullyConnectedNet;
}

/** The net of an experiment's settings; draws its weights from `rng`. `layers`: a learner's normalization layers (the exercise). */
export function createNet(
  s: TrainSettings,
  inputDim: number,
  normalization: NormKind,
  weightScale: number,
  dtype: DType,
  rng: RandomState,
  layers?: Partial<NetLayerImpls>,
): FullyConnectedNet {
  return new FullyConnectedNet({
    ...(layers !== undefined ? { layers } : {}),
    hiddenDims: s.hiddenDims,
    inputDim,
    numClasses: 10,
    weightScale,
    normalization: netNormalization(normalization),
    ...netNormOptionsFor(netNormalization(normalization), s.normOptions ?? {}),
    dtype,
    rng,
  });
}

/**
 * Advances `rng` exactly as `createNet` with these settings would (its only draws are the weights,
 * `weightScale · randn(d_i, d_{i+1})` layer by layer), without building the net: for the sweep's
 * planning, which needs only the stream's position after each run's weights.
 */
export function skipNetDraws(s: TrainSettings, inputDim: number, rng: RandomState): void {
  const dims = [inputDim, ...s.hiddenDims, 10];
  for (let i = 0; i + 1 < dims.length; i++) rng.skipNormals(dims[i]! * dims[i + 1]!);
}

/** The Solver of an experiment's settings, drawing from `rng`; `onIteration(done, total)` after each step. */
export function createSolver(
  model: FullyConnectedNet,
  data: Dataset,
  s: TrainSettings,
  batchSize: number,
  rng: RandomState,
  onIteration?: (done: number, total: number) => void,
  extra?: { backgroundChecks?: boolean; onCheckpoint?: (state: SolverState) => void; inputPins?: InputPins },
): Solver {
  return new Solver(model, data, {
    ...(extra?.backgroundChecks !== undefined ? { backgroundChecks: extra.backgroundChecks } : {}),
    ...(extra?.inputPins !== undefined ? { inputPins: extra.inputPins } : {}),
    ...(extra?.onCheckpoint ? { onCheckpoint: extra.onCheckpoint } : {}),
    updateRule: s.updateRule,
    optimConfig: { learningRate: s.learningRate },
    batchSize,
    numEpochs: s.numEpochs,
    rng,
    ...(onIteration ? { onProgress: (q: { iteration: number; numIterations: number }) => onIteration(q.iteration, q.numIterations) } : {}),
  });
}

function buildModel(data: Dataset, s: TrainSettings, normalization: NormKind, weightScale: number, rng: RandomState, layers?: Partial<NetLayerImpls>): FullyConnectedNet {
  return createNet(s, rowDim(data.xTrain), normalization, weightScale, data.xTrain.dtype, rng, layers);
}

/** Trains a prepared model with a Solver drawing from `rng`; returns its histories. */
function trainPrepared(
  data: Dataset,
  s: TrainSettings,
  p: Prepared,
  rng: RandomState,
  onIteration?: (done: number, total: number) => void,
  checkpoint?: CheckpointOptions,
): TrainingRun {
  const t0 = performance.now();
  const solver = createSolver(p.model, data, s, p.batchSize, rng, onIteration, checkpoint?.onCheckpoint ? { onCheckpoint: checkpoint.onCheckpoint } : undefined);
  if (checkpoint?.resume !== undefined) solver.restoreState(checkpoint.resume.state, checkpoint.resume.source);
  solver.train();
  return {
    normalization: p.normalization,
    batchSize: p.batchSize,
    weightScale: p.weightScale,
    lossHistory: [...solver.lossHistory],
    trainAccHistory: [...solver.trainAccHistory],
    valAccHistory: [...solver.valAccHistory],
    bestValAcc: solver.bestValAcc,
    iterationsPerEpoch: solver.iterationsPerEpoch,
    seconds: (performance.now() - t0) / 1000,
  };
}

function iterationsOf(data: Dataset, s: TrainSettings, batchSize: number): number {
  return s.numEpochs * Math.max(Math.floor(data.xTrain.shape[0]! / batchSize), 1);
}

/** Saving and resuming a run (`bnlab train --checkpoint-dir`, `--resume`). */
export interface CheckpointOptions {
  /** The Solver's `onCheckpoint` (e.g. `checkpointWriter(dir)` from src/node/checkpoint.ts). */
  onCheckpoint?: (state: SolverState) => void;
  /** A saved state to continue from, and where it came from (named in errors). */
  resume?: { state: SolverState; source: string };
}

/** Options of one training run (`bnlab train`). */
export interface TrainNetOptions extends TrainSettings {
  normalization: NormKind;
  weightScale: number;
  seed?: number;
  onProgress?: ProgressFn;
  checkpoint?: CheckpointOptions;
  /** A learner's normalization layers instead of bnlab's (the exercise). */
  layers?: Partial<NetLayerImpls>;
}

/** Trains one net on `data` (already subset) from RandomState(seed): model draws, then solver draws. */
export function trainNet(data: Dataset, o: TrainNetOptions): TrainingRun {
  const rng = new RandomState(o.seed ?? DEFAULT_SEED);
  const p: Prepared = { normalization: o.normalization, weightScale: o.weightScale, batchSize: o.batchSize, model: buildModel(data, o, o.normalization, o.weightScale, rng, o.layers) };
  const total = iterationsOf(data, o, o.batchSize);
  const report = o.onProgress;
  // NOTE: a resumed run builds its model from the same stream first (the same shapes), then takes the saved state.
  return trainPrepared(data, o, p, rng, report ? (done) => report({ step: "train", done, total, detail: o.normalization }) : undefined, o.checkpoint);
}

/** Settings of cell 6. */
export interface DeepNetOptions extends TrainSettings {
  weightScale: number;
  normalizations: NormKind[];
}

/** The notebook's cell 6: hidden [100]×5, 1000 training rows, 10 epochs, batch 50, Adam 1e-3, weight scale 2e-2. */
export const DEEP_NET_DEFAULTS: DeepNetOptions = {
  hiddenDims: [100, 100, 100, 100, 100],
  numTrain: 1000,
  numVal: 1000,
  numEpochs: 10,
  batchSize: 50,
  updateRule: "adam",
  learningRate: 1e-3,
  weightScale: 2e-2,
  normalizations: ["batchnorm", "none"],
};

/**
 * Cell 6. The notebook's models ("batchnorm", "none") are built in the order of
 * `normalizations` (the notebook builds the batch-norm model first), then
 * trained in the same order, all from one stream seeded with `seed`, as numpy's
 * global stream. A normalization the notebook does not have (layer norm, with
 * --extended) builds and trains on its own RandomState(seed), so the notebook's
 * lines are the same with or without it. `data` is subset to numTrain / numVal rows.
 * `layers`: a learner's normalization layers inside the nets (the exercise).
 */
export function deepNetExperiment(
  fullData: Dataset,
  o: DeepNetOptions = DEEP_NET_DEFAULTS,
  seed = DEFAULT_SEED,
  onProgress?: ProgressFn,
  layers?: Partial<NetLayerImpls>,
): DeepNetResult {
  const data = subsetData(fullData, o.numTrain, o.numVal);
  const notebookRng = new RandomState(seed);
  const streams = o.normalizations.map((n) => (n === "batchnorm" || n === "none" ? notebookRng : new RandomState(seed)));
  const prepared: Prepared[] = o.normalizations.map((normalization, k) => ({
    normalization,
    weightScale: o.weightScale,
    batchSize: o.batchSize,
    model: buildModel(data, o, normalization, o.weightScale, streams[k]!, layers),
  }));
  const per = iterationsOf(data, o, o.batchSize);
  const total = per * prepared.length;
  const runs = prepared.map((p, k) =>
    trainPrepared(data, o, p, streams[k]!, onProgress ? (done) => onProgress({ step: "deepNet", done: k * per + done, total, detail: p.normalization }) : undefined),
  );
  const { normalizations: _n, ...rest } = o;
  return { seed, settings: { ...rest, numTrain: data.xTrain.shape[0]!, numVal: data.xVal.shape[0]! }, runs };
}

/** Settings of the batch-size experiment. */
export interface BatchSizeOptions extends TrainSettings {
  weightScale: number;
  batchSizes: number[];
  normalizations: NormKind[];
}

/** As in later versions of the assignment: hidden [100]×5, lr 10^-3.5, batch sizes 5, 10, 50, baseline at the smallest. */
export const BATCH_SIZE_DEFAULTS: BatchSizeOptions = {
  hiddenDims: [100, 100, 100, 100, 100],
  numTrain: 1000,
  numVal: 1000,
  numEpochs: 10,
  batchSize: 5,
  updateRule: "adam",
  learningRate: 10 ** -3.5,
  weightScale: 2e-2,
  batchSizes: [5, 10, 50],
  normalizations: ["batchnorm", "layernorm"],
};

/**
 * The batch-size experiment of later versions of the assignment
 * (`run_batchsize_experiments`): seeded with `seed`, a baseline at the first batch
 * size, then one normalized net per batch size, each built just before it trains.
 * The assignment runs it once per normalization, reseeding each time; the
 * baseline is then identical, so it is trained once and the stream state after
 * it is restored for each normalization.
 */
export function batchSizeExperiment(fullData: Dataset, o: BatchSizeOptions = BATCH_SIZE_DEFAULTS, seed = DEFAULT_SEED, onProgress?: ProgressFn): BatchSizeResult {
  const data = subsetData(fullData, o.numTrain, o.numVal);
  const rng = new RandomState(seed);
  const baseBatch = o.batchSizes[0] ?? o.batchSize;
  const plan: { normalization: NormKind; batchSize: number }[] = [
    { normalization: "none", batchSize: baseBatch },
    ...o.normalizations.flatMap((normalization) => o.batchSizes.map((batchSize) => ({ normalization, batchSize }))),
  ];
  const totals = plan.map((p) => iterationsOf(data, o, p.batchSize));
  const total = totals.reduce((a, b) => a + b, 0);
  let offset = 0;
  const runs: TrainingRun[] = [];
  let afterBaseline = rng.getState();
  plan.forEach((p, k) => {
    if (k > 0 && p.normalization !== plan[k - 1]!.normalization && plan[k - 1]!.normalization !== "none") rng.setState(afterBaseline);
    const prepared: Prepared = { ...p, weightScale: o.weightScale, model: buildModel(data, o, p.normalization, o.weightScale, rng) };
    const start = offset;
    runs.push(
      trainPrepared(data, o, prepared, rng, onProgress ? (done) => onProgress({ step: "batchSize", done: start + done, total, detail: `${p.normalization} batch ${p.batchSize}` }) : undefined),
    );
    if (k === 0) afterBaseline = rng.getState();
    offset += totals[k]!;
  });
  const { normalizations: _n, ...rest } = o;
  return { seed, settings: { ...rest, numTrain: data.xTrain.shape[0]!, numVal: data.xVal.shape[0]! }, runs };
}
