/**
 * Options and result of the signal study, as plain data, with their zod schemas
 * (the result's in JSON form: floats may be "NaN" etc.).
 */
import { z } from "zod";
import type { SignalProbes } from "../../experiments/signal.js";
import { jsonInt, jsonNum, jsonNums, positive, positiveInt, trainingOptionFields, trainingSettingFields, updateRuleOption } from "../record-schema.js";

/** The two nets of the notebook's cells 6 and 7. */
export type SignalNorm = "batchnorm" | "none";

/** Settings of one of the notebook's training cells, as the study runs it. */
export interface SignalCellOptions {
  hiddenDims: number[];
  numTrain: number;
  numVal: number;
  numEpochs: number;
  batchSize: number;
  updateRule: string;
  learningRate: number;
  /** In the notebook's order (the batch-norm model is built first). */
  normalizations: SignalNorm[];
}

/** Options of the study. */
export interface SignalOptions {
  /** Cell 7: every weight scale, each net replayed exactly as the sweep trains it. */
  sweep: SignalCellOptions & { weightScales: number[] };
  /** Cell 6's deep nets at their one weight scale (null: left out). */
  deepNet: (SignalCellOptions & { weightScale: number }) | null;
  /** The update-to-weight ratio is the geometric mean over windows of this many steps. */
  ratioEvery: number;
}

/** One trained net: its cell, scale, training outcome and per-layer measurements. */
export interface SignalRun {
  cell: "sweep" | "deepNet";
  weightScale: number;
  normalization: SignalNorm;
  bestValAcc: number;
  bestTrainAcc: number;
  /** Mean of the last 100 losses (as cell 7 reduces a run). */
  finalLoss: number;
  diverged: boolean;
  /** Per hidden layer, on the probe batch, before the first step and after the last. */
  signal: SignalProbes;
  /** ‖ΔW_i‖/‖W_i‖ per affine layer (1 … L, the output layer included): `layers[i][k]` over the window ending at `steps[k]`. */
  updateRatio: { steps: number[]; layers: number[][] };
}

/** The study's result. */
export interface SignalResult {
  seed: number;
  /** The options, with numTrain / numVal as used (after the data's size). */
  settings: SignalOptions;
  /** Cell 7's runs in the sweep's order (for each scale, each normalization), then cell 6's. */
  runs: SignalRun[];
}

const norm = z.enum(["batchnorm", "none"]);
const norms = z.array(norm).min(1).refine((a) => new Set(a).size === a.length, "normalizations must be distinct");

const cellOptions = {
  ...trainingOptionFields,
  batchSize: positiveInt,
  updateRule: updateRuleOption,
  learningRate: positive,
  normalizations: norms,
};

export const signalOptionsSchema = z.strictObject({
  sweep: z.strictObject({ ...cellOptions, weightScales: z.array(positive).min(1) }),
  deepNet: z.strictObject({ ...cellOptions, weightScale: positive }).nullable(),
  ratioEvery: positiveInt,
});

const cellJson = {
  ...trainingSettingFields,
  batchSize: jsonInt,
  updateRule: z.string(),
  learningRate: jsonNum,
  normalizations: z.array(norm),
};

const layerSignal = z.strictObject({ loss: jsonNum, affineStd: jsonNums, preActStd: jsonNums, deadFraction: jsonNums, inputGradNorm: jsonNums, outputGradNorm: jsonNums, weightGradNorm: jsonNums });

export const signalResultSchema = z.strictObject({
  seed: jsonInt,
  settings: z.strictObject({
    sweep: z.strictObject({ ...cellJson, weightScales: jsonNums }),
    deepNet: z.strictObject({ ...cellJson, weightScale: jsonNum }).nullable(),
    ratioEvery: jsonInt,
  }),
  runs: z.array(
    z.strictObject({
      cell: z.enum(["sweep", "deepNet"]),
      weightScale: jsonNum,
      normalization: norm,
      bestValAcc: jsonNum,
      bestTrainAcc: jsonNum,
      finalLoss: jsonNum,
      diverged: z.boolean(),
      signal: z.strictObject({ rows: jsonInt, init: layerSignal, end: layerSignal }),
      updateRatio: z.strictObject({ steps: z.array(jsonInt), layers: z.array(jsonNums) }),
    }),
  ),
});
