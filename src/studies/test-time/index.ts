/**
 * Study "test-time": which statistics a batch-norm net should use at test time,
 * after Wu and Johnson, "Rethinking 'Batch' in BatchNorm" (2021). Cell 6's
 * six-layer batch-norm net (hidden [100]×5, weight scale 2e-2, Adam 1e-3) is
 * trained at batch sizes 2, 8 and 50 (one job each, every one from
 * RandomState(seed): the same initial weights), and each final net is scored with
 * the moving-average statistics, with precise statistics (preciseBatchnormStats
 * over a fixed number of training rows, in batches of the training batch size)
 * and with its batch's own statistics (train mode at test time).
 */
import { DEEP_NET_DEFAULTS } from "../../experiments/training.js";
import type { Dataset } from "../../train/solver.js";
import { optionRows, type DataShape, type Study, type StudyJob } from "../study.js";
import { testTimeFigures, testTimeFindings } from "./report.js";
import { testTimeIterations, trainTestTime } from "./run.js";
import { testTimeOptionsSchema, testTimeResultSchema, type TestTimeOptions, type TestTimeResult, type TestTimeRun } from "./types.js";

export * from "./types.js";
export { batchStatsAccuracy, preciseBatchCount, testTimeIterations, trainTestTime } from "./run.js";
export { testTimeFigures, testTimeFindings, METHOD_LABELS, SAME_ACC } from "./report.js";

/** One net: its batch size, its seed, and the seed of its precise-statistics draws. */
export interface TestTimeJob extends StudyJob {
  batchSize: number;
  seed: number;
  preciseSeed: number;
}

const { normalizations: _n, batchSize: _b, ...cell6 } = DEEP_NET_DEFAULTS;

/** The full study: cell 6's settings at batch sizes 2, 8, 50; precise statistics over 5000 training rows. */
export const TEST_TIME_FULL: TestTimeOptions = { ...cell6, hiddenDims: [...cell6.hiddenDims], batchSizes: [2, 8, 50], preciseSamples: 5000 };

/** A quick look (and the tests): 200 rows, 2 epochs, precise statistics over 1000 rows. */
export const TEST_TIME_QUICK: TestTimeOptions = { ...TEST_TIME_FULL, numTrain: 200, numVal: 200, numEpochs: 2, preciseSamples: 1000 };

export const testTimeStudy: Study<TestTimeOptions, TestTimeJob, TestTimeRun, TestTimeResult> = {
  name: "test-time",
  title: "Batch norm at test time: moving averages, precise statistics, batch statistics",
  summary: "validation accuracy of batch-norm nets trained at batch sizes 2, 8, 50 with moving-average, precise and per-batch statistics at test time (cell 6)",
  citation: {
    authors: ["Yuxin Wu", "Justin Johnson"],
    title: "Rethinking \"Batch\" in BatchNorm",
    venue: "arXiv:2105.07576",
    year: 2021,
    url: "https://arxiv.org/abs/2105.07576",
  },
  presets: { quick: TEST_TIME_QUICK, full: TEST_TIME_FULL },
  optionsSchema: testTimeOptionsSchema,
  resultSchema: testTimeResultSchema,
  dataRows: optionRows,
  plan(o, seed, shape) {
    // NOTE: the precise statistics' draws come from their own stream, so the training is the same with any preciseSamples.
    return o.batchSizes.map((batchSize, index) => ({ index, label: `batch ${batchSize}`, units: testTimeIterations(o, batchSize, shape.numTrain), batchSize, seed, preciseSeed: seed + 1 }));
  },
  runJob(data: Dataset, o, job, onProgress) {
    return trainTestTime(data, o, job.batchSize, job.seed, job.preciseSeed, onProgress);
  },
  assemble(o, seed, shape: DataShape, parts) {
    return { seed, settings: { ...o, numTrain: shape.numTrain, numVal: shape.numVal }, runs: parts };
  },
  figures: testTimeFigures,
  findings: testTimeFindings,
};
