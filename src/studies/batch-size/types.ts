/**
 * Options and result of the batch-size study, as plain data, with their zod
 * schemas (the result's in JSON form: floats may be "NaN" etc.).
 */
import { z } from "zod";
import { NORM_KINDS, type NormKind } from "../../core/names.js";
import { jsonInt, jsonNum, jsonNums, positive, positiveInt, trainingOptionFields, trainingSettingFields, updateRuleOption, distinct } from "../record-schema.js";

/**
 * How the learning rate follows the batch size: "fixed" uses `learningRate` at every
 * size; "linear" uses learningRate · B / lrReferenceBatch (Goyal et al. 2017's rule).
 */
export type LrScaling = "fixed" | "linear";

/** Options of the study: cell 6's net and training, the normalizations and the batch sizes. */
export interface BatchSizeStudyOptions {
  hiddenDims: number[];
  numTrain: number;
  numVal: number;
  /** The same number of epochs at every batch size (so smaller batches take more steps). */
  numEpochs: number;
  updateRule: string;
  learningRate: number;
  lrScaling: LrScaling;
  /** The batch size at which "linear" uses `learningRate` as given. */
  lrReferenceBatch: number;
  weightScale: number;
  normalizations: NormKind[];
  batchSizes: number[];
}

/** One net: a normalization trained at one batch size. */
export interface BatchSizeRun {
  normalization: NormKind;
  batchSize: number;
  /** The learning rate it trained with (after lrScaling). */
  learningRate: number;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  iterationsPerEpoch: number;
}

export interface BatchSizeStudyResult {
  seed: number;
  /** The options, with numTrain / numVal as used (after the data's size). */
  settings: BatchSizeStudyOptions;
  /** In the order normalizations × batchSizes (normalization outer). */
  runs: BatchSizeRun[];
}

const normKind = z.enum(NORM_KINDS as [NormKind, ...NormKind[]]);

export const batchSizeOptionsSchema = z.strictObject({
  ...trainingOptionFields,
  updateRule: updateRuleOption,
  learningRate: positive,
  lrScaling: z.enum(["fixed", "linear"]),
  lrReferenceBatch: positiveInt,
  weightScale: positive,
  normalizations: z.array(normKind).min(1).refine(distinct, "normalizations must be distinct"),
  // NOTE: batch norm of a single row is 0 in train mode: the smallest size is 2.
  batchSizes: z.array(z.number().int().min(2)).min(1).refine(distinct, "batch sizes must be distinct"),
});

export const batchSizeResultSchema = z.strictObject({
  seed: jsonInt,
  settings: z.strictObject({
    ...trainingSettingFields,
    updateRule: z.string(),
    learningRate: jsonNum,
    lrScaling: z.enum(["fixed", "linear"]),
    lrReferenceBatch: jsonInt,
    weightScale: jsonNum,
    normalizations: z.array(normKind),
    batchSizes: z.array(jsonInt),
  }),
  runs: z.array(
    z.strictObject({
      normalization: normKind,
      batchSize: jsonInt,
      learningRate: jsonNum,
      lossHistory: jsonNums,
      trainAccHistory: jsonNums,
      valAccHistory: jsonNums,
      bestValAcc: jsonNum,
      iterationsPerEpoch: jsonInt,
    }),
  ),
});
