/**
 * Study "batch-size": how each normalization holds up as the batch shrinks, after
 * Wu and He, "Group Normalization" (ECCV 2018), and Ioffe, "Batch
 * Renormalization" (NeurIPS 2017). Cell 6's six-layer net (hidden [100]×5, weight
 * scale 2e-2, Adam 1e-3) with no normalization, batch norm, layer norm, group norm
 * and batch renorm, each at batch sizes 2 … 128 for the same number of epochs; one
 * job per net, each from RandomState(seed) (model draws, then the Solver's).
 */
import { NORM_KINDS, netNormalization } from "../../core/names.js";
import { RandomState } from "../../core/random.js";
import { DEEP_NET_DEFAULTS } from "../../experiments/training.js";
import { FullyConnectedNet } from "../../models/fc-net.js";
import { Solver, type Dataset } from "../../train/solver.js";
import { optionRows, type DataShape, type Study, type StudyJob } from "../study.js";
import { batchSizeFigures, batchSizeFindings } from "./report.js";
import { batchSizeOptionsSchema, batchSizeResultSchema, type BatchSizeRun, type BatchSizeStudyOptions, type BatchSizeStudyResult } from "./types.js";
import type { NormKind } from "../../core/names.js";

export * from "./types.js";
export { batchSizeFigures, batchSizeFindings, summarizeNorms, FALL_BEHIND, NET_LABELS, type NormSummary } from "./report.js";

/** One net of the study. */
export interface BatchSizeJob extends StudyJob {
  normalization: NormKind;
  batchSize: number;
  seed: number;
}

const { normalizations: _n, batchSize: _b, ...cell6 } = DEEP_NET_DEFAULTS;

/** The full study: cell 6's settings (10 epochs, Adam 1e-3 at every batch size), five nets, batch sizes 2 … 128. */
export const BATCH_SIZE_STUDY_FULL: BatchSizeStudyOptions = {
  ...cell6,
  hiddenDims: [...cell6.hiddenDims],
  lrScaling: "fixed",
  lrReferenceBatch: 50,
  // Every kind src/core/names.ts lists: baseline, batch norm, layer norm, group norm, batch renorm.
  normalizations: [...NORM_KINDS],
  batchSizes: [2, 4, 8, 16, 32, 64, 128],
};

/** A quick look (and the tests): 100 rows, 1 epoch, batch sizes 2, 8, 32. */
export const BATCH_SIZE_STUDY_QUICK: BatchSizeStudyOptions = { ...BATCH_SIZE_STUDY_FULL, numTrain: 100, numVal: 100, numEpochs: 1, batchSizes: [2, 8, 32] };

/** The learning rate at batch size B. */
export function batchLearningRate(o: BatchSizeStudyOptions, batchSize: number): number {
  return o.lrScaling === "linear" ? (o.learningRate * batchSize) / o.lrReferenceBatch : o.learningRate;
}

/** Trains one net from RandomState(seed). */
export function trainBatchSizeRun(data: Dataset, o: BatchSizeStudyOptions, normalization: NormKind, batchSize: number, seed: number, onIteration?: (done: number) => void): BatchSizeRun {
  const rng = new RandomState(seed);
  const numTrain = data.xTrain.shape[0]!;
  const model = new FullyConnectedNet({
    hiddenDims: o.hiddenDims,
    inputDim: data.xTrain.size / numTrain,
    numClasses: 10,
    weightScale: o.weightScale,
    normalization: netNormalization(normalization),
    dtype: data.xTrain.dtype === "float64" ? "float64" : "float32",
    rng,
  });
  const learningRate = batchLearningRate(o, batchSize);
  const solver = new Solver(model, data, {
    updateRule: o.updateRule,
    optimConfig: { learningRate },
    batchSize,
    numEpochs: o.numEpochs,
    rng,
    ...(onIteration ? { onProgress: (q: { iteration: number }) => onIteration(q.iteration) } : {}),
  });
  solver.train();
  return {
    normalization,
    batchSize,
    learningRate,
    lossHistory: [...solver.lossHistory],
    trainAccHistory: [...solver.trainAccHistory],
    valAccHistory: [...solver.valAccHistory],
    bestValAcc: solver.bestValAcc,
    iterationsPerEpoch: solver.iterationsPerEpoch,
  };
}

export const batchSizeStudy: Study<BatchSizeStudyOptions, BatchSizeJob, BatchSizeRun, BatchSizeStudyResult> = {
  name: "batch-size",
  title: "Normalization and batch size: batch norm, layer norm, group norm, batch renorm",
  summary: "best validation accuracy and training curves of the baseline, batch norm, layer norm, group norm and batch renorm (Ioffe 2017) at batch sizes 2 … 128 (cell 6)",
  citation: {
    authors: ["Yuxin Wu", "Kaiming He"],
    title: "Group Normalization",
    venue: "European Conference on Computer Vision (ECCV)",
    year: 2018,
    url: "https://arxiv.org/abs/1803.08494",
  },
  presets: { quick: BATCH_SIZE_STUDY_QUICK, full: BATCH_SIZE_STUDY_FULL },
  optionsSchema: batchSizeOptionsSchema,
  resultSchema: batchSizeResultSchema,
  dataRows: optionRows,
  plan(o, seed, shape) {
    const iters = (b: number): number => o.numEpochs * Math.max(Math.floor(shape.numTrain / b), 1);
    return o.normalizations.flatMap((normalization, k) =>
      o.batchSizes.map((batchSize, i) => ({ index: k * o.batchSizes.length + i, label: `${normalization} batch ${batchSize}`, units: iters(batchSize), normalization, batchSize, seed })),
    );
  },
  runJob(data: Dataset, o, job, onProgress) {
    return trainBatchSizeRun(data, o, job.normalization, job.batchSize, job.seed, onProgress);
  },
  assemble(o, seed, shape: DataShape, parts) {
    return { seed, settings: { ...o, numTrain: shape.numTrain, numVal: shape.numVal }, runs: parts };
  },
  figures: batchSizeFigures,
  findings: batchSizeFindings,
};
