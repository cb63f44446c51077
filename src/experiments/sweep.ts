/**
 * Cell 7: batch normalization and weight initialization. For each weight scale
 * and normalization, train a deep net and reduce the run as the notebook does
 * (best validation accuracy, best training accuracy, mean of the last 100 losses).
 *
 * The runs replay numpy's single global stream exactly, yet run in any order
 * on any number of threads: the notebook seeds once, then at each scale builds
 * the batch-norm model, builds the baseline model, trains the batch-norm solver,
 * trains the baseline solver. No draw depends on a training result, so a cheap
 * sequential dry run (building the models, `skipSolverDraws` for the solvers)
 * finds the generator state at the start of every model and every solver;
 * each job then starts from those snapshots (`sweepJobs`).
 */
import { OptionError } from "../core/errors.js";
import { RandomState, type RandomStateSnapshot } from "../core/random.js";
import { skipSolverDraws, type Dataset } from "../train/solver.js";
import { InputPins } from "../train/accuracy.js";
import { DEFAULT_SEED } from "./checks.js";
import { createNet, createSolver, skipNetDraws, subsetData, type ProgressFn } from "./training.js";
import { logspace } from "../core/crmath.js";
import type { FullyConnectedNet } from "../models/fc-net.js";
import { probeBatch, signalProbe, type LayerSignal } from "./signal.js";
import type { NormKind, SweepPoint, SweepResult, TrainSettings } from "./types.js";
import type { NetLayerImpls } from "../models/fc-net.js";

/** Settings of the sweep. */
export interface SweepOptions extends TrainSettings {
  weightScales: number[];
  /** In the notebook's order: the batch-norm model is built first at each scale. */
  normalizations: NormKind[];
}

/** The notebook's cell 7: hidden [50]×7, 20 scales logspace(-4, 0), 10 epochs, batch 50, Adam 1e-3. */
export const SWEEP_DEFAULTS: SweepOptions = {
  hiddenDims: [50, 50, 50, 50, 50, 50, 50],
  numTrain: 1000,
  numVal: 1000,
  numEpochs: 10,
  batchSize: 50,
  updateRule: "adam",
  learningRate: 1e-3,
  weightScales: logspace(-4, 0, 20),
  normalizations: ["batchnorm", "none"],
};

/** The normalizations the notebook's cell 7 trains; they share its one stream. */
export const NOTEBOOK_NORMALIZATIONS: readonly NormKind[] = ["batchnorm", "none"];

/** How every cell's stream is seeded (recorded in results.json). */
export const SEED_SCHEME =
  "cells 1-6 and the batch-size experiment each seed one RandomState(seed) and draw as the notebook's global numpy stream; " +
  "cell 7 replays the notebook's loop on one RandomState(seed): at each scale, in order, the models of the listed notebook " +
  "normalizations (batchnorm, none) draw their weights, then their Solvers draw their minibatches, one after the other; " +
  "runs execute in parallel from snapshots of that stream taken by a dry run (no draw depends on a training result), so every " +
  "run draws what the sequential notebook loop draws; any other normalization (layernorm with --extended) replays the same " +
  "loop on its own RandomState(seed), so the notebook's lines are the same with or without it";

export { logspace };

/** What decides a sweep's draws besides the options: the training data's rows and features (after subsetting). */
export interface SweepShape {
  numTrain: number;
  inputDim: number;
}

/** The shape of `data` (already subset). */
export function sweepShape(data: Dataset): SweepShape {
  const numTrain = data.xTrain.shape[0]!;
  return { numTrain, inputDim: numTrain === 0 ? 0 : data.xTrain.size / numTrain };
}

/** One run of the sweep: which scale and normalization, and where in the stream it starts. */
export interface SweepJob {
  /** Position in the result: scale index s, normalization index k, index = s·K + k. */
  index: number;
  weightScale: number;
  normalization: NormKind;
  /** The seed of the stream this run replays (the cell seed). */
  runSeed: number;
  /** The data shape the states were computed for; `runSweepJob` checks it. */
  shape: SweepShape;
  /** The stream's state just before this run's model draws its weights. */
  modelState: RandomStateSnapshot;
  /** The stream's state just before this run's Solver draws its first minibatch. */
  solverState: RandomStateSnapshot;
}

/**
 * The sweep's runs in result order (for each scale, each normalization), each
 * with the stream states at the start of its model and of its Solver. A dry run
 * of the notebook's loop on RandomState(seed) takes them: at each scale the
 * listed notebook normalizations' models are built (and dropped) in order, then
 * their Solvers' draws are skipped (`skipSolverDraws`) in the same order. Other
 * normalizations replay the same loop on a stream of their own, RandomState(seed).
 * Cost: the nets' draws, skipped without building the nets (about 0.1 s for the notebook's sweep).
 */
export function sweepJobs(o: SweepOptions, seed: number, shape: SweepShape): SweepJob[] {
  return [...sweepJobsInOrder(o, seed, shape)];
}

/**
 * `sweepJobs`, one scale at a time: each job is planned when it is asked for, so that the first
 * runs can start before the last ones are planned (the parallel sweep's workers do).
 */
export function* sweepJobsInOrder(o: SweepOptions, seed: number, shape: SweepShape): Generator<SweepJob, void, undefined> {
  const K = o.normalizations.length;
  // Streams as lists of normalization indices k: the notebook's, then one per other normalization.
  const ks = o.normalizations.map((_, k) => k);
  const isNotebook = (k: number): boolean => NOTEBOOK_NORMALIZATIONS.includes(o.normalizations[k]!);
  const streams = [ks.filter(isNotebook), ...ks.filter((k) => !isNotebook(k)).map((k) => [k])]
    .filter((g) => g.length > 0)
    .map((group) => ({ group, rng: new RandomState(seed) }));
  for (let s = 0; s < o.weightScales.length; s++) {
    const states = new Map<number, { modelState: RandomStateSnapshot; solverState: RandomStateSnapshot }>();
    for (const { group, rng } of streams) {
      const modelStates = group.map(() => {
        const state = rng.getState();
        // NOTE: the net's draws, without the net (neither the normalization nor the dtype changes them;
        // building 40 nets here took 0.33 s before the workers could start).
        skipNetDraws(o, shape.inputDim, rng);
        return state;
      });
      group.forEach((k, g) => {
        const solverState = rng.getState();
        // NOTE: the sweep's Solver keeps the defaults numTrainSamples 1000 and numValSamples null
        // (all validation rows: no draw), so the validation size does not matter.
        skipSolverDraws(rng, { numTrain: shape.numTrain, batchSize: o.batchSize, numEpochs: o.numEpochs });
        states.set(k, { modelState: modelStates[g]!, solverState });
      });
    }
    for (let k = 0; k < K; k++) {
      yield { index: s * K + k, weightScale: o.weightScales[s]!, normalization: o.normalizations[k]!, runSeed: seed, shape: { ...shape }, ...states.get(k)! };
    }
  }
}

/** Iterations of one sweep run on `data` (already subset). */
export function sweepIterations(data: Dataset, o: TrainSettings): number {
  return o.numEpochs * Math.max(Math.floor(data.xTrain.shape[0]! / o.batchSize), 1);
}

/** What a study adds to a sweep run (src/studies/signal): a hook after every step, with inline accuracy checks. */
export interface SweepRunHooks {
  /** Called once, with the initialized model, before the first step. */
  start(model: FullyConnectedNet): void;
  /** Called after every step (before the Solver's accuracy check of that step is reported), with the model. */
  afterStep(model: FullyConnectedNet, iteration: number): void;
}

/**
 * Trains one run of the sweep on `data` (already subset, of the job's shape)
 * from the job's stream states, and reduces it. The per-layer signal probes
 * (`signal`) are taken on the first training rows before the first step and after
 * the last one; they draw nothing and change nothing (see ./signal.ts).
 * A diverged run (non-finite losses) is a result, not an error. `layers`: a learner's
 * normalization layers inside the net (the exercise).
 * With `hooks`, the Solver checks accuracy on this thread so that `afterStep`
 * sees the model of each step (the histories are the same either way).
 * `inputPins`: where the inline checks keep their packed rows, for the next run on the same
 * data (the Solver's `inputPins` option); by default they are released after the run.
 */
export function runSweepJob(
  data: Dataset,
  o: TrainSettings,
  job: SweepJob,
  onIteration?: (done: number, total: number) => void,
  layers?: Partial<NetLayerImpls>,
  hooks?: SweepRunHooks,
  inputPins?: InputPins,
): SweepPoint {
  const t0 = performance.now();
  const shape = sweepShape(data);
  if (shape.numTrain !== job.shape.numTrain || shape.inputDim !== job.shape.inputDim) {
    throw new OptionError(
      `sweep job ${job.index} data`,
      `${job.shape.numTrain} training rows of ${job.shape.inputDim} features (the shape its draws were planned for)`,
      `${shape.numTrain} rows of ${shape.inputDim}`,
    );
  }
  const rng = new RandomState(job.runSeed);
  rng.setState(job.modelState);
  const model = createNet(o, shape.inputDim, job.normalization, job.weightScale, data.xTrain.dtype, rng, layers);
  const probe = probeBatch(data);
  const init = signalProbe(model, probe.X, probe.y);
  let end: LayerSignal | null = null;
  hooks?.start(model);
  rng.setState(job.solverState);
  // NOTE: the last step's report comes before train() puts back the best model: "end" is the trained weights.
  const onStep = (done: number, total: number): void => {
    hooks?.afterStep(model, done);
    if (done === total) end = signalProbe(model, probe.X, probe.y);
    onIteration?.(done, total);
  };
  const solver = createSolver(model, data, o, o.batchSize, rng, onStep, {
    ...(hooks === undefined ? {} : { backgroundChecks: false }),
    ...(inputPins === undefined ? {} : { inputPins }),
  });
  solver.train();
  const losses = solver.lossHistory;
  const last = losses.slice(-100);
  // NOTE: like np.mean, one NaN or Infinity among the last 100 losses makes the mean non-finite.
  const finalLoss = last.reduce((a, b) => a + b, 0) / last.length;
  const firstBad = losses.findIndex((l) => !Number.isFinite(l));
  const point: SweepPoint = {
    weightScale: job.weightScale,
    normalization: job.normalization,
    bestValAcc: Math.max(...solver.valAccHistory),
    bestTrainAcc: Math.max(...solver.trainAccHistory),
    finalLoss,
    diverged: firstBad >= 0,
    firstNonFiniteIteration: firstBad >= 0 ? firstBad + 1 : null,
    trainAccHistory: [...solver.trainAccHistory],
    runSeed: job.runSeed,
    seconds: (performance.now() - t0) / 1000,
    signal: { rows: probe.X.shape[0]!, init, end: end ?? init },
  };
  // NOTE: nothing of the run's model or Solver is in the point (numbers only), so their resident
  // memory goes back now, for the next run (docs/performance.md: fresh pages for every run
  // otherwise). A learner's layers or a study's hooks may still hold the model: then it waits for GC.
  if (layers === undefined && hooks === undefined) {
    solver.dispose();
    model.dispose();
  }
  return point;
}

/** Assembles the result from points in job order. */
export function sweepResult(data: Dataset, o: SweepOptions, seed: number, points: SweepPoint[]): SweepResult {
  const { weightScales, normalizations, ...settings } = o;
  const x = data.xTrain.data;
  let sq = 0;
  for (let i = 0; i < x.length; i++) sq += x[i]! * x[i]!;
  return {
    seed,
    settings: { ...settings, numTrain: data.xTrain.shape[0]!, numVal: data.xVal.shape[0]! },
    weightScales: [...weightScales],
    normalizations: [...normalizations],
    input: { dim: data.xTrain.shape[0]! === 0 ? 0 : x.length / data.xTrain.shape[0]!, rms: Math.sqrt(sq / Math.max(1, x.length)) },
    points,
  };
}

/** Cell 7 on the calling thread, run after run (the reference for the parallel version); `layers` as in runSweepJob. */
export function sweepExperiment(
  fullData: Dataset,
  o: SweepOptions = SWEEP_DEFAULTS,
  seed = DEFAULT_SEED,
  onProgress?: ProgressFn,
  layers?: Partial<NetLayerImpls>,
): SweepResult {
  const data = subsetData(fullData, o.numTrain, o.numVal);
  const jobs = sweepJobs(o, seed, sweepShape(data));
  const per = sweepIterations(data, o);
  const total = per * jobs.length;
  // The runs share their inline checks' pinned rows (the data does not change meanwhile).
  const pins = new InputPins();
  try {
    const points = jobs.map((job, k) =>
      runSweepJob(data, o, job, onProgress ? (done) => onProgress({ step: "sweep", done: k * per + done, total, detail: `${job.normalization} ${job.weightScale.toExponential(1)}` }) : undefined, layers, undefined, pins),
    );
    return sweepResult(data, o, seed, points);
  } finally {
    pins.release();
  }
}
