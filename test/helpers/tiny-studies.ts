/**
 * Every registered study's quick preset shrunk to a few seconds on small synthetic data
 * (50 training rows, 1 epoch, nets of width 10): for tests that run every study.
 */
import { BATCH_SIZE_STUDY_QUICK } from "../../src/studies/batch-size/index.js";
import { COVARIATE_SHIFT_QUICK } from "../../src/studies/covariate-shift/index.js";
import { LEARNING_RATE_QUICK } from "../../src/studies/learning-rate/index.js";
import { TEST_TIME_QUICK } from "../../src/studies/test-time/index.js";
import { SIGNAL_QUICK } from "../../src/studies/signal/index.js";
import { ACTIVATIONS_QUICK } from "../../src/studies/activations/index.js";
import { reproduceConfig } from "../../src/experiments/reproduce.js";
import { logspace } from "../../src/experiments/sweep.js";

const tiny = { numTrain: 50, numVal: 30, numEpochs: 1 };

/** Options by study name (each validated by its study's schema when run). */
export const TINY_STUDY_OPTIONS: Record<string, unknown> = {
  signal: {
    ...SIGNAL_QUICK,
    sweep: { ...SIGNAL_QUICK.sweep, ...tiny, hiddenDims: [10, 10], weightScales: [1e-2, 1] },
    deepNet: { ...SIGNAL_QUICK.deepNet!, ...tiny, hiddenDims: [10, 10] },
  },
  activations: { ...ACTIVATIONS_QUICK, ...tiny, hiddenDims: [10, 10, 10], batchSize: 25, probeRows: 20 },
  "covariate-shift": { ...COVARIATE_SHIFT_QUICK, ...tiny, hiddenDims: [10, 10, 10], batchSize: 25 },
  "test-time": { ...TEST_TIME_QUICK, ...tiny, hiddenDims: [10, 10], batchSizes: [2, 10], preciseSamples: 50 },
  "batch-size": { ...BATCH_SIZE_STUDY_QUICK, ...tiny, hiddenDims: [10, 10], batchSizes: [2, 25] },
  "learning-rate": {
    ...LEARNING_RATE_QUICK,
    ...tiny,
    hiddenDims: [10, 10],
    batchSize: 25,
    weightScales: [1e-2, 1],
    grids: [
      { updateRule: "sgd", learningRates: [1e-2, 1] },
      { updateRule: "adam", learningRates: [1e-3] },
    ],
  },
};

/** `reproduce --quick --extended`'s configuration shrunk the same way, with TINY_STUDY_OPTIONS. */
export function tinyExtendedConfig() {
  const base = reproduceConfig(true, true);
  return {
    deepNet: { ...base.deepNet, ...tiny, hiddenDims: [10, 10] },
    sweep: { ...base.sweep, ...tiny, hiddenDims: [10, 10], weightScales: logspace(-2, 0, 2) },
    batchSize: { ...base.batchSize!, ...tiny, hiddenDims: [10, 10], batchSizes: [10, 25] },
    timing: { warmupReps: 1, reps: 3 },
    studies: TINY_STUDY_OPTIONS,
  };
}
