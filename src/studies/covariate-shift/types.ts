/**
 * Options and result of the covariate-shift and landscape study, as plain data,
 * with their zod schemas (the result's in JSON form: floats may be "NaN" etc.).
 */
import { z } from "zod";
import { jsonInt, jsonNum, jsonNums, positive, positiveInt, trainingOptionFields, trainingSettingFields, updateRuleOption } from "../record-schema.js";

/** The three nets: the notebook's baseline, batch norm, and batch norm followed by random per-unit noise. */
export type ArmName = "baseline" | "batchnorm" | "noisy";

/** Options of the study. */
export interface CovariateShiftOptions {
  hiddenDims: number[];
  numTrain: number;
  numVal: number;
  numEpochs: number;
  batchSize: number;
  updateRule: string;
  learningRate: number;
  weightScale: number;
  arms: ArmName[];
  /** Probe before the first step and after every `probeEvery` steps. */
  probeEvery: number;
  /** Step sizes η of the landscape probe, along −∇L. */
  stepSizes: number[];
  /** Noisy batch norm: per-unit shift m ~ U(−shift, shift) and scale s ~ U(1, 1 + scale), drawn afresh at every step. */
  noise: { shift: number; scale: number };
}

/** The measurements at one step (before the step's update). */
export interface ProbeRecord {
  /** Steps taken before this probe. */
  iteration: number;
  /** Per affine layer (index 0 = layer 1). */
  ics: { l2: number[]; cos: number[]; gNorm: number[] };
  landscape: { loss: number; gradNorm: number; losses: number[]; gradDiffs: number[]; distances: number[]; beta: number };
  /**
   * Per hidden layer, on a fixed monitoring batch (the first batchSize training rows), the value entering the
   * activation: `shift` = mean over units of |Δ mean| since the previous probe in units of the mean std (NaN at
   * the first probe), and the 15th/50th/85th percentiles of unit 1.
   */
  activation: { shift: number[]; p15: number[]; p50: number[]; p85: number[] };
}

/** One arm's training histories and probes. */
export interface ArmResult {
  arm: ArmName;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  iterationsPerEpoch: number;
  numIterations: number;
  probes: ProbeRecord[];
}

/** The study's result. */
export interface CovariateShiftResult {
  seed: number;
  /** The options, with numTrain / numVal as used (after the data's size). */
  settings: CovariateShiftOptions;
  arms: ArmResult[];
}

const armName = z.enum(["baseline", "batchnorm", "noisy"]);

export const covariateShiftOptionsSchema = z.strictObject({
  ...trainingOptionFields,
  batchSize: positiveInt,
  updateRule: updateRuleOption,
  learningRate: positive,
  weightScale: positive,
  arms: z.array(armName).min(1).refine((a) => new Set(a).size === a.length, "arms must be distinct"),
  probeEvery: positiveInt,
  stepSizes: z.array(positive).min(1),
  noise: z.strictObject({ shift: z.number().min(0).finite(), scale: z.number().min(0).finite() }),
});

const optionsJson = z.strictObject({
  ...trainingSettingFields,
  batchSize: jsonInt,
  updateRule: z.string(),
  learningRate: jsonNum,
  weightScale: jsonNum,
  arms: z.array(armName),
  probeEvery: jsonInt,
  stepSizes: jsonNums,
  noise: z.strictObject({ shift: jsonNum, scale: jsonNum }),
});

export const covariateShiftResultSchema = z.strictObject({
  seed: jsonInt,
  settings: optionsJson,
  arms: z.array(
    z.strictObject({
      arm: armName,
      lossHistory: jsonNums,
      trainAccHistory: jsonNums,
      valAccHistory: jsonNums,
      bestValAcc: jsonNum,
      iterationsPerEpoch: jsonInt,
      numIterations: jsonInt,
      probes: z.array(
        z.strictObject({
          iteration: jsonInt,
          ics: z.strictObject({ l2: jsonNums, cos: jsonNums, gNorm: jsonNums }),
          landscape: z.strictObject({ loss: jsonNum, gradNorm: jsonNum, losses: jsonNums, gradDiffs: jsonNums, distances: jsonNums, beta: jsonNum }),
          activation: z.strictObject({ shift: jsonNums, p15: jsonNums, p50: jsonNums, p85: jsonNums }),
        }),
      ),
    }),
  ),
});
