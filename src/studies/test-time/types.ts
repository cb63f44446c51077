/**
 * Options and result of the test-time study, as plain data, with their zod
 * schemas (the result's in JSON form: floats may be "NaN" etc.).
 */
import { z } from "zod";
import { jsonInt, jsonNum, jsonNums, positive, positiveInt, trainingOptionFields, trainingSettingFields, updateRuleOption } from "../record-schema.js";

/** Options of the study: cell 6's net and training, the batch sizes, and the precise statistics' sample count. */
export interface TestTimeOptions {
  hiddenDims: number[];
  numTrain: number;
  numVal: number;
  numEpochs: number;
  updateRule: string;
  learningRate: number;
  weightScale: number;
  /** One batch-norm net per training batch size. */
  batchSizes: number[];
  /**
   * Training rows pooled by the precise statistics, drawn (with replacement, as the
   * Solver draws) in ceil(preciseSamples / B) batches of the training batch size B.
   */
  preciseSamples: number;
}

/** One net: trained at `batchSize`, then scored on the validation rows three ways. */
export interface TestTimeRun {
  batchSize: number;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  iterationsPerEpoch: number;
  /** Batches the precise statistics pooled (of `batchSize` rows each). */
  preciseBatches: number;
  /** Validation accuracy of the final net in test mode with the moving-average statistics. */
  emaAcc: number;
  /** The same with the running statistics replaced by precise statistics. */
  preciseAcc: number;
  /** Train mode at test time: each batch of `batchSize` validation rows normalized by its own statistics. */
  batchAcc: number;
  /** The same three on the first numVal training rows (train mode in the same batches). */
  trainEmaAcc: number;
  trainPreciseAcc: number;
  trainBatchAcc: number;
  /** Mean over layers of |EMA mean − precise mean| / sqrt(precise var), averaged over units. */
  meanShift: number;
  /** Mean over layers and units of |log(EMA var / precise var)|. */
  logVarRatio: number;
}

export interface TestTimeResult {
  seed: number;
  /** The options, with numTrain / numVal as used (after the data's size). */
  settings: TestTimeOptions;
  runs: TestTimeRun[];
}


export const testTimeOptionsSchema = z.strictObject({
  ...trainingOptionFields,
  updateRule: updateRuleOption,
  learningRate: positive,
  weightScale: positive,
  batchSizes: z.array(z.number().int().min(2)).min(1).refine((a) => new Set(a).size === a.length, "batch sizes must be distinct"),
  preciseSamples: positiveInt,
});

export const testTimeResultSchema = z.strictObject({
  seed: jsonInt,
  settings: z.strictObject({
    ...trainingSettingFields,
    updateRule: z.string(),
    learningRate: jsonNum,
    weightScale: jsonNum,
    batchSizes: z.array(jsonInt),
    preciseSamples: jsonInt,
  }),
  runs: z.array(
    z.strictObject({
      batchSize: jsonInt,
      lossHistory: jsonNums,
      trainAccHistory: jsonNums,
      valAccHistory: jsonNums,
      bestValAcc: jsonNum,
      iterationsPerEpoch: jsonInt,
      preciseBatches: jsonInt,
      emaAcc: jsonNum,
      preciseAcc: jsonNum,
      batchAcc: jsonNum,
      trainEmaAcc: jsonNum,
      trainPreciseAcc: jsonNum,
      trainBatchAcc: jsonNum,
      meanShift: jsonNum,
      logVarRatio: jsonNum,
    }),
  ),
});
