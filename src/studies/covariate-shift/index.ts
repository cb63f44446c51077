/**
 * Study "covariate-shift": internal covariate shift and the loss landscape, after
 * Santurkar, Tsipras, Ilyas and Madry, "How Does Batch Normalization Help
 * Optimization?" (NeurIPS 2018), on the notebook's cell-6 nets (hidden [100]×5,
 * weight scale 2e-2, Adam 1e-3, batch 50): baseline, batch norm and noisy batch
 * norm, one job per net, each from RandomState(seed) (so all nets start from the
 * same weights and the result does not depend on the number of workers).
 */
import { DEEP_NET_DEFAULTS } from "../../experiments/training.js";
import type { Dataset } from "../../train/solver.js";
import { optionRows, type DataShape, type Study, type StudyJob } from "../study.js";
import { covariateShiftFigures } from "./figures.js";
import { covariateShiftFindings, covariateShiftTables } from "./findings.js";
import { ARM_ORDER, armIterations, trainArm } from "./train.js";
import { covariateShiftOptionsSchema, covariateShiftResultSchema, type ArmName, type ArmResult, type CovariateShiftOptions, type CovariateShiftResult } from "./types.js";

export * from "./types.js";
export { icsProbe, landscapeProbe, copyOptimConfig, paramLayer, type IcsLayer, type LandscapeProbe, type StreamGuard } from "./probes.js";
export { trainArm, createArmNet, armIterations, ARM_ORDER, type TrainedArm } from "./train.js";
export { covariateShiftFindings, covariateShiftTables, summarizeArm, ARM_LABELS, type ArmSummary } from "./findings.js";
export { covariateShiftFigures } from "./figures.js";

/** One net of the study. */
export interface ArmJob extends StudyJob {
  arm: ArmName;
  seed: number;
}

const { normalizations: _n, ...cell6 } = DEEP_NET_DEFAULTS;

/** The full study: cell 6's settings, a probe every 5 steps, 8 step sizes. */
export const COVARIATE_SHIFT_FULL: CovariateShiftOptions = {
  ...cell6,
  hiddenDims: [...cell6.hiddenDims],
  arms: ["baseline", "batchnorm", "noisy"],
  probeEvery: 5,
  stepSizes: [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1],
  noise: { shift: 0.5, scale: 0.5 },
};

/** A quick look (and the tests): 200 rows, 2 epochs, a probe every 2 steps, 3 step sizes. */
export const COVARIATE_SHIFT_QUICK: CovariateShiftOptions = {
  ...COVARIATE_SHIFT_FULL,
  numTrain: 200,
  numVal: 200,
  numEpochs: 2,
  probeEvery: 2,
  stepSizes: [0.01, 0.1, 1],
};

/** The "covariate-shift" study (see this module's comment): its options, jobs, measurement and figures. */
export const covariateShiftStudy: Study<CovariateShiftOptions, ArmJob, ArmResult, CovariateShiftResult> = {
  name: "covariate-shift",
  title: "Internal covariate shift and the loss landscape",
  summary: "per-layer internal covariate shift (gradient and distribution measures), loss range, gradient predictiveness and β-smoothness of baseline, batch-norm and noisy batch-norm nets (cell 6)",
  citation: {
    authors: ["Shibani Santurkar", "Dimitris Tsipras", "Andrew Ilyas", "Aleksander Madry"],
    title: "How Does Batch Normalization Help Optimization?",
    venue: "Advances in Neural Information Processing Systems 31 (NeurIPS)",
    year: 2018,
    url: "https://arxiv.org/abs/1805.11604",
  },
  presets: { quick: COVARIATE_SHIFT_QUICK, full: COVARIATE_SHIFT_FULL },
  optionsSchema: covariateShiftOptionsSchema,
  resultSchema: covariateShiftResultSchema,
  dataRows: optionRows,
  plan(o, seed, shape) {
    const arms = ARM_ORDER.filter((a) => o.arms.includes(a));
    return arms.map((arm, index) => ({ index, label: arm, units: armIterations(o, shape.numTrain), arm, seed }));
  },
  runJob(data: Dataset, o, job, onProgress) {
    return trainArm(data, o, job.arm, job.seed, true, onProgress).result;
  },
  assemble(o, seed, shape: DataShape, parts) {
    return { seed, settings: { ...o, numTrain: shape.numTrain, numVal: shape.numVal }, arms: parts };
  },
  figures: covariateShiftFigures,
  findings: covariateShiftFindings,
  tables: covariateShiftTables,
};
