/**
 * Options and result of the learning-rate study, as plain data, with their zod
 * schemas (the result's in JSON form: floats may be "NaN" etc.).
 */
import { z } from "zod";
import { jsonInt, jsonNum, jsonNums, positive, positiveInt, trainingOptionFields, trainingSettingFields, updateRuleOption, distinct } from "../record-schema.js";

/** The two nets of every cell. */
export type LrNet = "baseline" | "batchnorm";

/** The learning rates tried with one update rule. */
export interface LrGrid {
  updateRule: string;
  learningRates: number[];
}

/** Options of the study: the notebook's 8-layer nets, the grids, and what counts as diverged and as trained. */
export interface LearningRateOptions {
  hiddenDims: number[];
  numTrain: number;
  numVal: number;
  numEpochs: number;
  batchSize: number;
  weightScales: number[];
  grids: LrGrid[];
  nets: LrNet[];
  /** A run diverged when a loss is non-finite or its last epoch's mean loss exceeds this. */
  divergeLoss: number;
  /** A run "trains" when it did not diverge and its best validation accuracy reached this. */
  trainsAcc: number;
}

/** One cell: a net trained with one update rule, learning rate and weight scale. */
export interface LrCell {
  updateRule: string;
  net: LrNet;
  learningRate: number;
  weightScale: number;
  /** Mean training loss of each epoch (NaN when an epoch's losses were all non-finite). */
  epochLoss: number[];
  valAccHistory: number[];
  bestValAcc: number;
  /** The last epoch's mean training loss. */
  finalLoss: number;
  diverged: boolean;
}

export interface LearningRateResult {
  seed: number;
  /** The options, with numTrain / numVal as used (after the data's size). */
  settings: LearningRateOptions;
  /** In the order grids × nets × learning rates × weight scales. */
  cells: LrCell[];
}

const netName = z.enum(["baseline", "batchnorm"]);

export const learningRateOptionsSchema = z.strictObject({
  ...trainingOptionFields,
  batchSize: positiveInt,
  weightScales: z.array(positive).min(1).refine(distinct, "weight scales must be distinct"),
  grids: z
    .array(z.strictObject({ updateRule: updateRuleOption, learningRates: z.array(positive).min(1).refine(distinct, "learning rates must be distinct") }))
    .min(1)
    .refine((g) => distinct(g.map((x) => x.updateRule)), "one grid per update rule"),
  nets: z.array(netName).min(1).refine(distinct, "nets must be distinct"),
  divergeLoss: positive,
  trainsAcc: z.number().min(0).max(1),
});

export const learningRateResultSchema = z.strictObject({
  seed: jsonInt,
  settings: z.strictObject({
    ...trainingSettingFields,
    batchSize: jsonInt,
    weightScales: jsonNums,
    grids: z.array(z.strictObject({ updateRule: z.string(), learningRates: jsonNums })),
    nets: z.array(netName),
    divergeLoss: jsonNum,
    trainsAcc: jsonNum,
  }),
  cells: z.array(
    z.strictObject({
      updateRule: z.string(),
      net: netName,
      learningRate: jsonNum,
      weightScale: jsonNum,
      epochLoss: jsonNums,
      valAccHistory: jsonNums,
      bestValAcc: jsonNum,
      finalLoss: jsonNum,
      diverged: z.boolean(),
    }),
  ),
});
