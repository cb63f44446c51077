/**
 * Cell 7: batch normalization and weight initialization. For each weight scale
 * and normalization, train a deep net and reduce the run as the notebook does
 * (best validation accuracy, best training accuracy, mean of the last 100 losses).
 *
 * Every run draws from its own RandomState, seeded from the cell seed and the
 * run's index (see `runSeeds`), so runs are independent: computed in any order,
 * on any number of threads, the results are the same.
 */
import { RandomState } from "../core/random.js";
import { FullyConnectedNet } from "../models/fc-net.js";
import { Solver, type Dataset } from "../train/solver.js";
import { DEFAULT_SEED } from "./checks.js";
import { subsetData, type ProgressFn } from "./training.js";
import { logspace } from "../core/crmath.js";
import type { NormKind, SweepPoint, SweepResult, TrainSettings } from "./types.js";


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

/** How run seeds are derived (recorded in results.json). */
export const SEED_SCHEME =
  "cells 1-6 and the batch-size experiment each seed one RandomState(seed) and draw as the notebook's global numpy stream; " +
  "cell 7 run i (scale index s, normalization index k, i = s*K + k) draws from RandomState(r[i]) with r = RandomState(seed).randint(0, 2**31 - 1, size=runs)";

/** One run of the sweep: which scale and normalization, and its seed. */
export interface SweepJob {
  index: number;
  weightScale: number;
  normalization: NormKind;
  runSeed: number;
}

/** The seed of each run: RandomState(seed).randint(0, 2^31 - 1, size=n), reproducible in numpy. */
export function runSeeds(seed: number, n: number): number[] {
  return Array.from(new RandomState(seed).randint(0, 2 ** 31 - 1, n));
}

/** The sweep's runs in order: for each scale, each normalization. */
export { logspace };

export function sweepJobs(o: SweepOptions, seed: number): SweepJob[] {
  const n = o.weightScales.length * o.normalizations.length;
  const seeds = runSeeds(seed, n);
  const jobs: SweepJob[] = [];
  o.weightScales.forEach((weightScale, s) =>
    o.normalizations.forEach((normalization, k) => {
      const index = s * o.normalizations.length + k;
      jobs.push({ index, weightScale, normalization, runSeed: seeds[index]! });
    }),
  );
  return jobs;
}

/** Iterations of one sweep run on `data` (already subset). */
export function sweepIterations(data: Dataset, o: TrainSettings): number {
  return o.numEpochs * Math.max(Math.floor(data.xTrain.shape[0]! / o.batchSize), 1);
}

/**
 * Trains one run of the sweep on `data` (already subset) and reduces it.
 * A diverged run (non-finite losses) is a result, not an error.
 */
export function runSweepJob(data: Dataset, o: TrainSettings, job: SweepJob, onIteration?: (done: number, total: number) => void): SweepPoint {
  const t0 = performance.now();
  const rng = new RandomState(job.runSeed);
  const model = new FullyConnectedNet({
    hiddenDims: o.hiddenDims,
    inputDim: data.xTrain.size / data.xTrain.shape[0]!,
    numClasses: 10,
    weightScale: job.weightScale,
    normalization: job.normalization === "none" ? null : job.normalization,
    dtype: data.xTrain.dtype,
    rng,
  });
  const solver = new Solver(model, data, {
    updateRule: o.updateRule,
    optimConfig: { learningRate: o.learningRate },
    batchSize: o.batchSize,
    numEpochs: o.numEpochs,
    rng,
    ...(onIteration ? { onProgress: (q: { iteration: number; numIterations: number }) => onIteration(q.iteration, q.numIterations) } : {}),
  });
  solver.train();
  const losses = solver.lossHistory;
  const last = losses.slice(-100);
  // NOTE: like np.mean, one NaN or Infinity among the last 100 losses makes the mean non-finite.
  const finalLoss = last.reduce((a, b) => a + b, 0) / last.length;
  const firstBad = losses.findIndex((l) => !Number.isFinite(l));
  return {
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
  };
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

/** Cell 7 on the calling thread, run after run (the reference for the parallel version). */
export function sweepExperiment(fullData: Dataset, o: SweepOptions = SWEEP_DEFAULTS, seed = DEFAULT_SEED, onProgress?: ProgressFn): SweepResult {
  const data = subsetData(fullData, o.numTrain, o.numVal);
  const jobs = sweepJobs(o, seed);
  const per = sweepIterations(data, o);
  const total = per * jobs.length;
  const points = jobs.map((job, k) =>
    runSweepJob(data, o, job, onProgress ? (done) => onProgress({ step: "sweep", done: k * per + done, total, detail: `${job.normalization} ${job.weightScale.toExponential(1)}` }) : undefined),
  );
  return sweepResult(data, o, seed, points);
}
