/**
 * Options and result of the activation-distribution study (Ioffe and Szegedy
 * 2015, figure 1), as plain data, with their zod schemas.
 */
import { z } from "zod";
import type { UpdateRuleName } from "../../core/names.js";
import { jsonInt, jsonNum, jsonNums, positive, positiveInt, updateRuleOption } from "../record-schema.js";

/** The two nets: sigmoid layers without and with batch norm. */
export type ActivationArm = "baseline" | "batchnorm";

/** Options of the study. */
export interface ActivationsOptions {
  hiddenDims: number[];
  activation: "sigmoid" | "tanh" | "relu";
  /** Standard deviation of the initial Gaussian weights. */
  weightScale: number;
  numTrain: number;
  numVal: number;
  numEpochs: number;
  batchSize: number;
  updateRule: UpdateRuleName;
  learningRate: number;
  /** Probe before the first step and after every `probeEvery` steps. */
  probeEvery: number;
  /** Rows of the probe batch (the first training rows) the percentiles are taken over. */
  probeRows: number;
  /** The last hidden layer's unit whose input is followed (0-based). */
  unit: number;
}

/** One probe (before the step of that iteration). */
export interface ActivationProbe {
  /** Steps taken before it. */
  iteration: number;
  /** Accuracy on the held-out (validation) rows, test mode. */
  valAcc: number;
  /** The 15th, 50th and 85th percentiles of the unit's input over the probe rows. */
  p15: number;
  p50: number;
  p85: number;
  /** Over all units of the last hidden layer: the mean |p50 − its value at step 0|, and the mean p85 − p15. */
  meanMedianShift: number;
  meanSpread: number;
}

/** One net's training and probes. */
export interface ActivationArmResult {
  arm: ActivationArm;
  lossHistory: number[];
  bestValAcc: number;
  numIterations: number;
  probes: ActivationProbe[];
}

/** The study's result. */
export interface ActivationsResult {
  seed: number;
  /** The options, with numTrain / numVal as used. */
  settings: ActivationsOptions;
  arms: ActivationArmResult[];
}


export const activationsOptionsSchema = z.strictObject({
  hiddenDims: z.array(positiveInt).min(1),
  activation: z.enum(["sigmoid", "tanh", "relu"]),
  weightScale: positive,
  numTrain: positiveInt,
  numVal: positiveInt,
  numEpochs: positiveInt,
  batchSize: positiveInt,
  updateRule: updateRuleOption,
  learningRate: positive,
  probeEvery: positiveInt,
  probeRows: z.number().int().min(2),
  unit: z.number().int().min(0),
});

export const activationsResultSchema = z.strictObject({
  seed: jsonInt,
  settings: z.strictObject({
    hiddenDims: z.array(jsonInt),
    activation: z.enum(["sigmoid", "tanh", "relu"]),
    weightScale: jsonNum,
    numTrain: jsonInt,
    numVal: jsonInt,
    numEpochs: jsonInt,
    batchSize: jsonInt,
    updateRule: z.string(),
    learningRate: jsonNum,
    probeEvery: jsonInt,
    probeRows: jsonInt,
    unit: jsonInt,
  }),
  arms: z.array(
    z.strictObject({
      arm: z.enum(["baseline", "batchnorm"]),
      lossHistory: jsonNums,
      bestValAcc: jsonNum,
      numIterations: jsonInt,
      probes: z.array(
        z.strictObject({ iteration: jsonInt, valAcc: jsonNum, p15: jsonNum, p50: jsonNum, p85: jsonNum, meanMedianShift: jsonNum, meanSpread: jsonNum }),
      ),
    }),
  ),
});
