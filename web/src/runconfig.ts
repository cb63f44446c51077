/**
 * From the page's settings to the run a worker trains.
 */
import type { RunConfig } from "./protocol.js";
import { hiddenDims, type NormKind, type Settings } from "./state.js";

/** The run of one network: the settings' architecture and solver with the given normalization. */
export function runConfig(s: Settings, normalization: NormKind, probeEvery: number): RunConfig {
  return {
    hiddenDims: hiddenDims(s),
    weightScale: s.weightScale,
    normalization,
    updateRule: s.optimizer,
    learningRate: s.learningRate,
    batchSize: s.batchSize,
    numEpochs: s.epochs,
    numTrainSamples: s.numTrain,
    seed: s.seed,
    kernel: s.kernel,
    probeEvery,
  };
}
