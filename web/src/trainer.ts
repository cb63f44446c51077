/**
 * One training run of the playground, built exactly as `bnlab train` builds it
 * (a FullyConnectedNet and a Solver drawing from one RandomState seeded with the
 * run's seed), with progress batched for postMessage and per-layer statistics
 * measured on a fixed probe batch every `probeEvery` iterations.
 */
import type { TrainingRun } from "../../src/index.js";
import { netNormalization } from "../../src/index.js";
import { RandomState } from "../../src/index.js";
import { Tensor } from "../../src/index.js";
import { FullyConnectedNet, type NetLayerImpls } from "../../src/index.js";
import { Solver, type Dataset, type SolverProgress } from "../../src/index.js";
import { layerStats } from "./probe.js";
import type { LayerStats, RunConfig } from "./protocol.js";

/** Rows of the probe batch: the first training images, the same for the whole run. */
export const PROBE_ROWS = 50;

export interface TrainHooks {
  /** Called at most every `progressMs` (and at the end) with the losses since the last call. */
  progress?: (p: { losses: number[]; iteration: number; numIterations: number; epoch: number; itPerSec: number }) => void;
  epoch?: (trainAcc: number, valAcc: number) => void;
  stats?: (iteration: number, layers: LayerStats[]) => void;
  /** Called after every iteration; may block (pause) or throw `StopRun`. */
  control?: () => void;
  /** A learner's normalization layers inside the net (the Implement tab's "Train with my layers"). */
  layers?: Partial<NetLayerImpls>;
  progressMs?: number;
  now?: () => number;
}

/** Thrown by a control hook to end a run early; the run's histories so far are kept. */
export class StopRun extends Error {
  constructor() {
    super("stopped");
    this.name = "StopRun";
  }
}

/** A run's histories as the library reports them (TrainingRun), plus the page's own figures. */
export interface TrainOutcome
  extends Pick<TrainingRun, "lossHistory" | "trainAccHistory" | "valAccHistory" | "bestValAcc" | "iterationsPerEpoch" | "seconds"> {
  itPerSec: number;
  stopped: boolean;
  /**
   * Whether the net's weight matrices live in the kernels' shared WebAssembly memory ("resident",
   * src/kernels/wasm.ts), read in place by the kernels: only in a cross-origin isolated page.
   */
  resident: boolean;
}

/** The net and solver of a run (exported so the tests can compare them with the CLI's). */
export function buildRun(
  data: Dataset,
  run: RunConfig,
  onProgress?: (p: SolverProgress) => void,
  layers?: Partial<NetLayerImpls>,
): { net: FullyConnectedNet; solver: Solver } {
  const rng = new RandomState(run.seed);
  const net = new FullyConnectedNet({
    ...(layers !== undefined ? { layers } : {}),
    hiddenDims: run.hiddenDims,
    normalization: netNormalization(run.normalization),
    weightScale: run.weightScale,
    rng,
  });
  const solver = new Solver(net, data, {
    updateRule: run.updateRule,
    optimConfig: { learningRate: run.learningRate },
    batchSize: run.batchSize,
    numEpochs: run.numEpochs,
    rng,
    ...(onProgress ? { onProgress } : {}),
  });
  return { net, solver };
}

/** Trains one run to the end (or until the control hook throws StopRun). */
export function trainRun(data: Dataset, run: RunConfig, hooks: TrainHooks = {}): TrainOutcome {
  const now = hooks.now ?? (() => performance.now());
  const progressMs = hooks.progressMs ?? 100;
  const probeN = Math.min(PROBE_ROWS, data.xTrain.shape[0]!);
  const probeX = data.xTrain.rows(0, probeN);
  const probeY = data.yTrain.subarray(0, probeN);
  let pending: number[] = [];
  let lastPost = now();
  const t0 = now();
  let pausedMs = 0;
  let iteration = 0;
  let numIterations = 0;
  let epoch = 0;
  const rate = (): number => {
    const s = (now() - t0 - pausedMs) / 1000;
    return s > 0 ? iteration / s : 0;
  };
  const flush = (): void => {
    hooks.progress?.({ losses: pending, iteration, numIterations, epoch, itPerSec: rate() });
    pending = [];
    lastPost = now();
  };
  let netRef: FullyConnectedNet | null = null;
  const probe = (): void => {
    if (hooks.stats && netRef) hooks.stats(iteration, layerStats(netRef, probeX as Tensor, probeY));
  };
  const onProgress = (p: SolverProgress): void => {
    iteration = p.iteration;
    numIterations = p.numIterations;
    epoch = p.epoch;
    pending.push(p.loss);
    if (p.trainAcc !== undefined && p.valAcc !== undefined) {
      flush();
      hooks.epoch?.(p.trainAcc, p.valAcc);
    }
    if (run.probeEvery > 0 && (p.iteration % run.probeEvery === 0 || p.iteration === p.numIterations)) probe();
    if (now() - lastPost >= progressMs) flush();
    if (hooks.control) {
      const before = now();
      hooks.control();
      pausedMs += now() - before;
    }
  };
  const { net, solver } = buildRun(data, run, onProgress, hooks.layers);
  netRef = net;
  if (run.probeEvery > 0) probe();
  let stopped = false;
  try {
    solver.train();
  } catch (err) {
    if (!(err instanceof StopRun)) throw err;
    stopped = true;
  }
  flush();
  const seconds = (now() - t0 - pausedMs) / 1000;
  return {
    lossHistory: [...solver.lossHistory],
    trainAccHistory: [...solver.trainAccHistory],
    valAccHistory: [...solver.valAccHistory],
    bestValAcc: solver.bestValAcc,
    iterationsPerEpoch: solver.iterationsPerEpoch,
    seconds,
    itPerSec: seconds > 0 ? solver.lossHistory.length / seconds : 0,
    stopped,
    // NOTE: the weight matrices are resident; biases and γ/β (D values each) stay plain arrays.
    resident: [...net.params].every(([name, p]) => !name.startsWith("W") || (typeof SharedArrayBuffer !== "undefined" && p.data.buffer instanceof SharedArrayBuffer)),
  };
}
