/**
 * One arm of the covariate-shift study: cell 6's six-layer net trained by the
 * Solver exactly as without probes, with the probes of ./probes.ts taken at
 * regular steps on the batch the next step is about to use. The batch is
 * found by peeking at the Solver's stream (its state saved and put back), so
 * the training run is bit for bit the run without probes.
 */
import { RandomState, type RandomStateSnapshot } from "../../core/random.js";
import { allocFloat, Tensor } from "../../core/tensor.js";
import { FullyConnectedNet } from "../../models/fc-net.js";
import { getUpdateRule, type OptimConfig } from "../../optim/index.js";
import { gatherRows } from "../../train/accuracy.js";
import { Solver, type Dataset } from "../../train/solver.js";
import { activationProbe, distributionShift, type LayerDistribution } from "./activations.js";
import { icsProbe, landscapeProbe, type StreamGuard } from "./probes.js";
import type { ArmName, ArmResult, CovariateShiftOptions, ProbeRecord } from "./types.js";

/** The arms in the order the study runs and shows them. */
export const ARM_ORDER: readonly ArmName[] = ["baseline", "batchnorm", "noisy"];

/** Iterations of one arm on `numTrain` rows. */
export function armIterations(o: CovariateShiftOptions, numTrain: number): number {
  return o.numEpochs * Math.max(Math.floor(numTrain / o.batchSize), 1);
}

/**
 * The net of an arm; draws its weights from `rng` (every arm from the same seed: the
 * same initial W). The noisy arm's noise comes from the net's own stream,
 * RandomState(noiseSeed), never from `rng`; the guard saves and restores that stream.
 */
export function createArmNet(
  o: CovariateShiftOptions,
  arm: ArmName,
  inputDim: number,
  dtype: "float32" | "float64",
  rng: RandomState,
  noiseSeed: number,
): { model: FullyConnectedNet; noise: StreamGuard | undefined } {
  const model = new FullyConnectedNet({
    hiddenDims: o.hiddenDims,
    inputDim,
    numClasses: 10,
    weightScale: o.weightScale,
    normalization: arm === "baseline" ? null : "batchnorm",
    dtype,
    rng,
    ...(arm === "noisy" ? { bnNoise: { shift: o.noise.shift, scale: o.noise.scale, seed: noiseSeed } } : {}),
  });
  const stream = model.noiseRng;
  const noise: StreamGuard | undefined =
    stream === null ? undefined : { save: () => stream.getState(), restore: (s) => stream.setState(s as RandomStateSnapshot) };
  return { model, noise };
}

/** What `trainArm` leaves behind besides the result (for tests: the trained model and the streams' states). */
export interface TrainedArm {
  result: ArmResult;
  model: FullyConnectedNet;
  solver: Solver;
  rng: RandomState;
}

/**
 * Trains one arm from RandomState(seed) (model draws, then the Solver's), probing
 * every `probeEvery` iterations (and before the first) unless `probes` is false.
 */
export function trainArm(data: Dataset, o: CovariateShiftOptions, arm: ArmName, seed: number, probes = true, onIteration?: (done: number) => void): TrainedArm {
  const rng = new RandomState(seed);
  const inputDim = data.xTrain.size / data.xTrain.shape[0]!;
  const { model, noise } = createArmNet(o, arm, inputDim, data.xTrain.dtype === "float64" ? "float64" : "float32", rng, seed);
  const numTrain = data.xTrain.shape[0]!;
  const numIterations = armIterations(o, numTrain);
  const rule = getUpdateRule(o.updateRule);
  const records: ProbeRecord[] = [];
  const xb = new Tensor(allocFloat(o.batchSize * inputDim, model.dtype), [o.batchSize, inputDim]);
  const yb = new Int32Array(o.batchSize);
  // The distributions are measured on one fixed batch (the first rows: no draw), so only the net changes between probes.
  const xMon = data.xTrain.rows(0, Math.min(o.batchSize, numTrain));
  const yMon = data.yTrain.subarray(0, xMon.shape[0]!);
  let previous: LayerDistribution[] | null = null;
  /** Probes the model as it is after `iteration` steps; `configs` are the rule's per-parameter states for the next step. */
  const probe = (iteration: number, configs: ReadonlyMap<string, OptimConfig>): void => {
    // NOTE: the next minibatch is the Solver's next draw; the stream is put back so the step draws it again.
    const state = rng.getState();
    const mask = rng.choice(numTrain, o.batchSize);
    rng.setState(state);
    gatherRows(data.xTrain, mask, 0, o.batchSize, xb.data);
    for (let i = 0; i < o.batchSize; i++) yb[i] = data.yTrain[mask[i]!]!;
    const ics = icsProbe(model, xb, yb, rule, configs, noise);
    const land = landscapeProbe(model, xb, yb, o.stepSizes, noise);
    const dist = activationProbe(model, xMon, yMon, noise);
    const prev = previous;
    previous = dist;
    records.push({
      iteration,
      ics: { l2: ics.map((l) => l.l2), cos: ics.map((l) => l.cos), gNorm: ics.map((l) => l.gNorm) },
      landscape: land,
      activation: {
        shift: dist.map((d, i) => (prev === null ? NaN : distributionShift(prev[i]!, d))),
        p15: dist.map((d) => d.unit[0]),
        p50: dist.map((d) => d.unit[1]),
        p85: dist.map((d) => d.unit[2]),
      },
    });
  };
  const solver: Solver = new Solver(model, data, {
    updateRule: o.updateRule,
    optimConfig: { learningRate: o.learningRate },
    batchSize: o.batchSize,
    numEpochs: o.numEpochs,
    rng,
    // NOTE: checks on another thread would delay onProgress past later steps; the probes need the model of this step.
    backgroundChecks: false,
    onProgress: (q) => {
      if (probes && q.iteration % o.probeEvery === 0 && q.iteration < q.numIterations) probe(q.iteration, solver.optimConfigs);
      onIteration?.(q.iteration);
    },
  });
  if (probes) probe(0, solver.optimConfigs);
  solver.train();
  const result: ArmResult = {
    arm,
    lossHistory: [...solver.lossHistory],
    trainAccHistory: [...solver.trainAccHistory],
    valAccHistory: [...solver.valAccHistory],
    bestValAcc: solver.bestValAcc,
    iterationsPerEpoch: solver.iterationsPerEpoch,
    numIterations,
    probes: records,
  };
  return { result, model, solver, rng };
}
