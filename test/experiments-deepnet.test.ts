/**
 * Cell 6 replays the notebook's single stream for its two models; layer norm
 * (--extended) draws from its own stream and must not shift them.
 */
import { describe, expect, it } from "vitest";
import { deepNetExperiment } from "../src/experiments/training.js";
import { syntheticCifar } from "../src/data/synthetic.js";

const data = syntheticCifar({ numTrain: 60, numVal: 30, numTest: 10, seed: 3 });
const small = {
  hiddenDims: [16, 16],
  numTrain: 60,
  numVal: 30,
  numEpochs: 2,
  batchSize: 20,
  updateRule: "adam",
  learningRate: 1e-3,
  weightScale: 2e-2,
};

describe("deepNetExperiment streams", () => {
  it("gives the notebook's two runs unchanged when layer norm is added", () => {
    const plain = deepNetExperiment(data, { ...small, normalizations: ["batchnorm", "none"] }, 231);
    const extended = deepNetExperiment(data, { ...small, normalizations: ["batchnorm", "none", "layernorm"] }, 231);
    expect(extended.runs).toHaveLength(3);
    for (let k = 0; k < 2; k++) {
      expect(extended.runs[k]!.normalization).toBe(plain.runs[k]!.normalization);
      expect(extended.runs[k]!.lossHistory).toEqual(plain.runs[k]!.lossHistory);
      expect(extended.runs[k]!.trainAccHistory).toEqual(plain.runs[k]!.trainAccHistory);
    }
    expect(extended.runs[2]!.lossHistory.every(Number.isFinite)).toBe(true);
  });

  it("shares one stream between the notebook's models (the second model's draws follow the first's)", () => {
    const both = deepNetExperiment(data, { ...small, normalizations: ["batchnorm", "none"] }, 231);
    const alone = deepNetExperiment(data, { ...small, normalizations: ["none"] }, 231);
    // Built second from the shared stream, the baseline gets other weights than when built first.
    expect(both.runs[1]!.lossHistory[0]).not.toBe(alone.runs[0]!.lossHistory[0]);
  });
});
