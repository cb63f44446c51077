/**
 * Messages between the page and its training workers. Everything here is plain
 * data (structured-clone safe).
 */
import type { SweepJob } from "../../src/index.js";
import type { SweepPoint, TrainSettings } from "../../src/index.js";
import type { KernelChoice, NormKind, Optimizer } from "./state.js";

/** One training run, as the worker builds it: a FullyConnectedNet and a Solver. */
export interface RunConfig {
  hiddenDims: number[];
  weightScale: number;
  normalization: NormKind;
  updateRule: Optimizer;
  learningRate: number;
  batchSize: number;
  numEpochs: number;
  numTrainSamples: number;
  seed: number;
  kernel: KernelChoice;
  /** Measure per-layer statistics every this many iterations (0: never). */
  probeEvery: number;
}

/** Where the worker gets its data. */
export type DataRequest =
  | { kind: "served"; baseUrl: string }
  | { kind: "synthetic" }
  | { kind: "file"; name: string; bytes: ArrayBuffer };

/** Mean and standard deviation of one quantity over a probe batch. */
export interface MeanStd {
  mean: number;
  std: number;
}

/**
 * Statistics of one hidden layer on the probe batch: `pre` is the value entering
 * the layer's ReLU (after normalization, if any), `grad` the absolute value of the
 * loss gradient with respect to it.
 */
export interface LayerStats {
  pre: MeanStd;
  grad: MeanStd;
  /** One unit's (the layer's first) activation input over the probe batch. */
  unit: Percentiles;
  /** Fraction of units with no positive activation input on the probe batch (dead ReLUs). */
  dead: number;
  /** ‖∂L/∂W‖ of the layer's weights. */
  weightGrad: number;
}

/**
 * The 15th, 50th and 85th percentiles of one quantity over a probe batch (numpy's
 * default, linear interpolation between the sorted values), as in Ioffe and
 * Szegedy's figure 1.
 */
export interface Percentiles {
  p15: number;
  p50: number;
  p85: number;
}

export type ToWorker =
  | {
      type: "train";
      id: number;
      run: RunConfig;
      data: DataRequest;
      /** Int32Array(1) over it: 0 run, 1 pause, 2 stop. Null when the page is not cross-origin isolated. */
      control: SharedArrayBuffer | null;
      /** The Implement tab's code: the net runs the learner's normalization layers (null: bnlab's). */
      learner?: { source: string; filename: string } | null;
    }
  /** One run of the weight-scale sweep, exactly as `bnlab reproduce` runs it (runSweepJob). */
  | { type: "sweep"; id: number; settings: TrainSettings; job: SweepJob; kernel: KernelChoice; seed: number; data: DataRequest };

export type FromWorker =
  | { type: "data"; id: number; source: string; numTrain: number; numVal: number; kernel: string }
  | {
      type: "progress";
      id: number;
      /** Losses of the iterations since the previous progress message. */
      losses: number[];
      iteration: number;
      numIterations: number;
      epoch: number;
      itPerSec: number;
    }
  | { type: "epoch"; id: number; trainAcc: number; valAcc: number }
  | { type: "stats"; id: number; iteration: number; layers: LayerStats[] }
  | {
      type: "done";
      id: number;
      lossHistory: number[];
      trainAccHistory: number[];
      valAccHistory: number[];
      bestValAcc: number;
      seconds: number;
      iterationsPerEpoch: number;
      itPerSec: number;
      stopped: boolean;
      resident: boolean;
    }
  /** A finished sweep run, with the training inputs' size and scale (SweepResult.input). */
  | { type: "point"; id: number; point: SweepPoint; input: { dim: number; rms: number } }
  | { type: "error"; id: number; message: string };

/** Control word values in the shared control buffer. */
export const CONTROL_RUN = 0;
export const CONTROL_PAUSE = 1;
export const CONTROL_STOP = 2;
