/**
 * Plain result objects of the notebook's experiments. Every field is a number, a
 * string, an array or a nested plain object, so a result can be sent between
 * threads, written as JSON (see src/report/schema.ts) and drawn in the browser.
 *
 * Numbers may be non-finite in memory (a diverged run's loss is NaN or Infinity);
 * results.json encodes those as the strings "NaN", "Infinity" and "-Infinity".
 */

import type { NormKind } from "../core/names.js";
import type { DepthChange, SignalProbes } from "./signal.js";

/** The normalization a fully connected net uses; "none" is the notebook's baseline (the kinds: src/core/names.ts). */
export type { NormKind };

/** Per-column statistics of an (N, D) activation matrix: D means and D (biased) standard deviations. */
export interface ColumnStats {
  means: number[];
  stds: number[];
}

/** Cell 1: the train-time forward pass of batch norm on a simulated two-layer activation. */
export interface ForwardTrainResult {
  seed: number;
  /** N, D1, D2, D3 = 200, 50, 60, 3 in the notebook. */
  shape: { N: number; D1: number; D2: number; D3: number };
  before: ColumnStats;
  /** After batch norm with gamma = 1, beta = 0. */
  afterUnit: ColumnStats;
  /** After batch norm with the non-trivial gamma and beta below. */
  afterAffine: ColumnStats & { gamma: number[]; beta: number[] };
}

/** Cell 2: the test-time forward pass after warm-up passes filled the running averages. */
export interface ForwardTestResult {
  seed: number;
  shape: { N: number; D1: number; D2: number; D3: number };
  warmupPasses: number;
  after: ColumnStats;
}

/** Cell 3: numerical gradient check of the staged batch-norm backward pass. */
export interface BackwardCheckResult {
  seed: number;
  shape: { N: number; D: number };
  dxError: number;
  dgammaError: number;
  dbetaError: number;
  /** The same errors for the closed-form (alt) backward pass against the numerical gradient. */
  alt: { dxError: number; dgammaError: number; dbetaError: number };
}

/** Timing summary of one function, in milliseconds per call. */
export interface TimingStats {
  medianMs: number;
  minMs: number;
  maxMs: number;
}

/** Cell 4: staged vs closed-form backward: agreement and a measured speedup. */
export interface BackwardCompareResult {
  seed: number;
  shape: { N: number; D: number };
  dxDifference: number;
  dgammaDifference: number;
  dbetaDifference: number;
  timing: {
    warmupReps: number;
    reps: number;
    staged: TimingStats;
    alt: TimingStats;
    /** staged median / alt median. */
    speedup: number;
  };
}

/** One regularization strength of cell 5. */
export interface NetGradcheckEntry {
  reg: number;
  initialLoss: number;
  /** Relative error of every parameter, sorted by name as the notebook prints them. */
  errors: { name: string; relError: number }[];
}

/** Cell 5: gradient check of a fully connected net with batch norm, in float64. */
export interface NetGradcheckResult {
  seed: number;
  shape: { N: number; D: number; H1: number; H2: number; C: number };
  weightScale: number;
  checks: NetGradcheckEntry[];
}

/** Histories of one training run, as the Solver records them. */
export interface TrainingRun {
  normalization: NormKind;
  batchSize: number;
  weightScale: number;
  lossHistory: number[];
  /** One entry per accuracy check: after the first iteration's epoch 0, then each epoch end. */
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  iterationsPerEpoch: number;
  seconds: number;
}

/** Shared solver settings of cells 6, 7 and the batch-size experiment. */
export interface TrainSettings {
  hiddenDims: number[];
  /** Group norm's `groups`, batch renorm's `rMax`, `dMax`: each net takes those of its kind (absent: the net's defaults). */
  normOptions?: NetNormOptions;
  numTrain: number;
  numVal: number;
  numEpochs: number;
  batchSize: number;
  updateRule: string;
  learningRate: number;
}

/** Cell 6: a deep net trained with and without batch norm (and layer norm with --extended). */
export interface DeepNetResult {
  seed: number;
  settings: TrainSettings & { weightScale: number };
  runs: TrainingRun[];
}

/** One (weight scale, normalization) run of cell 7, reduced as the notebook reduces it. */
export interface SweepPoint {
  weightScale: number;
  normalization: NormKind;
  bestValAcc: number;
  bestTrainAcc: number;
  /** Mean of the last 100 losses (NaN or Infinity for a diverged run). */
  finalLoss: number;
  /** Some loss was not finite. */
  diverged: boolean;
  /** The first iteration whose loss was not finite, or null. */
  firstNonFiniteIteration: number | null;
  /** Training accuracy per epoch check, kept for the speed comparison of the answer. */
  trainAccHistory: number[];
  /** The seed of the stream this run replays (the cell seed; see SEED_SCHEME). */
  runSeed: number;
  seconds: number;
  /** Per-layer signal probes at initialization and after the last step (absent in results.json written before them). */
  signal?: SignalProbes;
}

/** Cell 7: the weight-initialization sweep. */
export interface SweepResult {
  seed: number;
  settings: TrainSettings;
  weightScales: number[];
  normalizations: NormKind[];
  /** The training inputs: features per example and root-mean-square value (after mean subtraction). */
  input: { dim: number; rms: number };
  points: SweepPoint[];
}

/** The batch-size experiment of later versions of the assignment (--extended). */
export interface BatchSizeResult {
  seed: number;
  settings: TrainSettings & { weightScale: number; batchSizes: number[] };
  runs: TrainingRun[];
}

/** Cell 8: the written answer, generated from the measured results. */
export interface AnswerResult {
  /** Paragraphs describing what was measured; every claim carries its number. */
  observations: string[];
  /** Paragraphs giving the reasons. */
  reasons: string[];
  /** The figures the text was written from. */
  facts: AnswerFacts;
}

/** The measured quantities the answer cites. */
export interface AnswerFacts {
  chanceLoss: number;
  /** Weight scales where the baseline's final loss stayed within 0.05 of ln(10). */
  baselineStuckScales: number[];
  /** Weight scales where the baseline's loss became non-finite or exceeded 10x ln(10). */
  baselineExplodedScales: number[];
  /** Weight scales where the baseline's best validation accuracy came within 0.03 of batch norm's. */
  baselineCompetitiveScales: number[];
  /**
   * The "good" level of best validation accuracy: halfway from chance (1/classes)
   * to the best any method reached. A method's good range is its longest run of
   * consecutive scales at or above it.
   */
  goodThreshold: number;
  bnGoodScales: number[];
  bnGoodRangeDecades: number;
  baselineGoodScales: number[];
  baselineGoodRangeDecades: number;
  bestBaseline: { weightScale: number; bestValAcc: number } | null;
  bestBatchnorm: { weightScale: number; bestValAcc: number } | null;
  /**
   * The scale at which the unnormalized net's signal gain through all layers is 1:
   * first layer w·sqrt(inputDim/2)·inputRms, each later one w·sqrt(fanIn/2).
   */
  unitGainScale: number;
  /**
   * From cell 7's per-run signal probes at initialization (null when the sweep has none):
   * the baseline and batch norm at the smallest and the largest weight scale.
   */
  signal?: SignalFacts | null;
  /** From cell 6: the training accuracy target and the epoch / iteration each run reached it (null: never). */
  speed: {
    target: number;
    runs: { normalization: NormKind; epoch: number | null; iteration: number | null; finalTrainAcc: number; bestValAcc: number }[];
  } | null;
}

/** One run's per-layer signal at initialization, as the answer cites it (hidden layers 1 and L−1). */
export interface SignalFact extends DepthChange {
  weightScale: number;
  normalization: NormKind;
  /** ‖∂L/∂W1‖. */
  weightGradFirst: number;
}

/** The signal facts of the answer. */
export interface SignalFacts {
  /** Rows of the probe batch. */
  rows: number;
  /** Hidden layers of the swept nets. */
  hiddenLayers: number;
  /** At the smallest and at the largest scale: the baseline, then batch norm (either may be missing). */
  smallest: SignalFact[];
  largest: SignalFact[];
}

/** Where the training data came from. */
export interface DatasetInfo {
  source: "cifar10" | "synthetic";
  /** The folder read, or null for synthetic data. */
  dir: string | null;
  /** One line for titles, e.g. "CIFAR-10 from /data/cifar (4170 train / 1000 val / 1000 test)". */
  description: string;
  numTrain: number;
  numVal: number;
  numTest: number;
  /** Set when the run fell back to synthetic data: the paragraph saying why. */
  warning: string | null;
}

import type { StudyRecord } from "../studies/study.js";
import type { NetNormOptions } from "../models/net-norm.js";

/** Everything `bnlab reproduce` measured: the content of results.json. */
export interface ReproduceResults {
  schema: "bnlab-results/1";
  title: string;
  createdAt: string;
  settings: { seed: number; quick: boolean; extended: boolean; jobs: number; seedScheme: string };
  dataset: DatasetInfo;
  versions: { bnlab: string; node: string; platform: string; kernelPath: string };
  /** Seconds per cell ("forwardTrain", …, "sweep", "report") and "total". */
  timings: Record<string, number>;
  cells: {
    forwardTrain: ForwardTrainResult;
    forwardTest: ForwardTestResult;
    backwardCheck: BackwardCheckResult;
    backwardCompare: BackwardCompareResult;
    netGradcheck: NetGradcheckResult;
    deepNet: DeepNetResult;
    sweep: SweepResult;
    batchSize: BatchSizeResult | null;
    answer: AnswerResult;
  };
  /** Figure files relative to the output folder, by figure name ("deepNet", "sweep", "batchSize"). */
  figures: Record<string, { svg: string; png: string }>;
  /** With --extended: one record per registered study (src/studies/registry.ts), in registry order. */
  studies?: StudyRecord[];
}
