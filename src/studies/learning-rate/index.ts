/**
 * Study "learning-rate": how far batch norm lets the learning rate go, after
 * Bjorck, Gomes, Selman and Weinberger, "Understanding Batch Normalization"
 * (NeurIPS 2018). The notebook's 8-layer nets (hidden [50]×7, cell 7) with and
 * without batch norm on a learning rate × weight scale grid (log-spaced), with
 * plain SGD and with Adam; one job per cell, each from RandomState(seed) (model
 * draws, then the Solver's), run on the worker pool.
 */
import { RandomState } from "../../core/random.js";
import { logspace, SWEEP_DEFAULTS } from "../../experiments/sweep.js";
import { FullyConnectedNet } from "../../models/fc-net.js";
import { Solver, type Dataset } from "../../train/solver.js";
import { optionRows, type DataShape, type Study, type StudyJob } from "../study.js";
import { learningRateFigures, learningRateFindings } from "./report.js";
import { learningRateOptionsSchema, learningRateResultSchema, type LearningRateOptions, type LearningRateResult, type LrCell, type LrNet } from "./types.js";

export * from "./types.js";
export { learningRateFigures, learningRateFindings, largestTraining, NET_LABELS } from "./report.js";

/** One cell of the grid. */
export interface LrJob extends StudyJob {
  updateRule: string;
  net: LrNet;
  learningRate: number;
  weightScale: number;
  seed: number;
}

/**
 * The full study: cell 7's nets (1000 rows, batch 50) for 5 epochs on a 7 × 7 grid: weight
 * scales 1e-3 … 1, SGD learning rates 1e-3 … 10, Adam 1e-5 … 1e-1.
 */
export const LEARNING_RATE_FULL: LearningRateOptions = {
  hiddenDims: [...SWEEP_DEFAULTS.hiddenDims],
  numTrain: SWEEP_DEFAULTS.numTrain,
  numVal: SWEEP_DEFAULTS.numVal,
  numEpochs: 5,
  batchSize: SWEEP_DEFAULTS.batchSize,
  weightScales: logspace(-3, 0, 7),
  grids: [
    { updateRule: "sgd", learningRates: logspace(-3, 1, 7) },
    { updateRule: "adam", learningRates: logspace(-5, -1, 7) },
  ],
  nets: ["baseline", "batchnorm"],
  divergeLoss: 2 * Math.log(10),
  trainsAcc: 0.2,
};

/** A quick look (and the tests): 100 rows, 1 epoch, a 3 × 3 grid. */
export const LEARNING_RATE_QUICK: LearningRateOptions = {
  ...LEARNING_RATE_FULL,
  numTrain: 100,
  numVal: 100,
  numEpochs: 1,
  weightScales: logspace(-3, 0, 3),
  grids: [
    { updateRule: "sgd", learningRates: logspace(-3, 1, 3) },
    { updateRule: "adam", learningRates: logspace(-5, -1, 3) },
  ],
  trainsAcc: 0.15,
};

/** Trains one cell from RandomState(seed). */
export function trainLrCell(data: Dataset, o: LearningRateOptions, job: Pick<LrJob, "updateRule" | "net" | "learningRate" | "weightScale" | "seed">, onIteration?: (done: number) => void): LrCell {
  const rng = new RandomState(job.seed);
  const numTrain = data.xTrain.shape[0]!;
  const model = new FullyConnectedNet({
    hiddenDims: o.hiddenDims,
    inputDim: data.xTrain.size / numTrain,
    numClasses: 10,
    weightScale: job.weightScale,
    normalization: job.net === "batchnorm" ? "batchnorm" : null,
    dtype: data.xTrain.dtype === "float64" ? "float64" : "float32",
    rng,
  });
  const solver = new Solver(model, data, {
    updateRule: job.updateRule,
    optimConfig: { learningRate: job.learningRate },
    batchSize: o.batchSize,
    numEpochs: o.numEpochs,
    rng,
    ...(onIteration ? { onProgress: (q: { iteration: number }) => onIteration(q.iteration) } : {}),
  });
  solver.train();
  const per = Math.max(solver.iterationsPerEpoch, 1);
  const losses = solver.lossHistory;
  const epochLoss: number[] = [];
  let nonFinite = false;
  for (let s = 0; s < losses.length; s += per) {
    let sum = 0;
    let n = 0;
    for (let i = s; i < Math.min(s + per, losses.length); i++) {
      if (Number.isFinite(losses[i]!)) {
        sum += losses[i]!;
        n++;
      } else nonFinite = true;
    }
    epochLoss.push(n === 0 ? NaN : sum / n);
  }
  const finalLoss = epochLoss[epochLoss.length - 1] ?? NaN;
  return {
    updateRule: job.updateRule,
    net: job.net,
    learningRate: job.learningRate,
    weightScale: job.weightScale,
    epochLoss,
    valAccHistory: [...solver.valAccHistory],
    bestValAcc: solver.bestValAcc,
    finalLoss,
    diverged: nonFinite || !(finalLoss <= o.divergeLoss),
  };
}

export const learningRateStudy: Study<LearningRateOptions, LrJob, LrCell, LearningRateResult> = {
  name: "learning-rate",
  title: "Batch norm and the learning rate",
  summary: "learning rate × weight scale grids with SGD and Adam, 8-layer nets with and without batch norm: best validation accuracy, final loss, divergence (cell 7's nets)",
  citation: {
    authors: ["Johan Bjorck", "Carla Gomes", "Bart Selman", "Kilian Q. Weinberger"],
    title: "Understanding Batch Normalization",
    venue: "Advances in Neural Information Processing Systems 31 (NeurIPS)",
    year: 2018,
    url: "https://arxiv.org/abs/1806.02375",
  },
  presets: { quick: LEARNING_RATE_QUICK, full: LEARNING_RATE_FULL },
  optionsSchema: learningRateOptionsSchema,
  resultSchema: learningRateResultSchema,
  dataRows: optionRows,
  plan(o, seed, shape) {
    const units = o.numEpochs * Math.max(Math.floor(shape.numTrain / o.batchSize), 1);
    const jobs: LrJob[] = [];
    for (const g of o.grids) {
      for (const net of o.nets) {
        for (const learningRate of g.learningRates) {
          for (const weightScale of o.weightScales) {
            const label = `${g.updateRule} ${net} lr ${learningRate.toPrecision(3)} ws ${weightScale.toPrecision(3)}`;
            jobs.push({ index: jobs.length, label, units, updateRule: g.updateRule, net, learningRate, weightScale, seed });
          }
        }
      }
    }
    return jobs;
  },
  runJob(data: Dataset, o, job, onProgress) {
    return trainLrCell(data, o, job, onProgress);
  },
  assemble(o, seed, shape: DataShape, parts) {
    return { seed, settings: { ...o, numTrain: shape.numTrain, numVal: shape.numVal }, cells: parts };
  },
  figures: learningRateFigures,
  findings: learningRateFindings,
};
