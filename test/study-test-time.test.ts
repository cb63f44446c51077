/**
 * The test-time study's own measurements: train-mode scoring in one batch equals
 * test-mode scoring with precise statistics of that batch; a job trains exactly
 * as the Solver does from the same seed; the precise statistics' draws do not
 * change the training.
 */
import { describe, expect, it } from "vitest";
import { RandomState } from "../src/core/random.js";
import { syntheticCifar } from "../src/data/synthetic.js";
import { FullyConnectedNet } from "../src/models/fc-net.js";
import { preciseBatchnormStats } from "../src/models/precise-stats.js";
import { batchStatsAccuracy, TEST_TIME_QUICK, testTimeFindings, trainTestTime, type TestTimeResult } from "../src/studies/test-time/index.js";
import { Solver } from "../src/train/solver.js";

const data = syntheticCifar({ numTrain: 64, numVal: 32, numTest: 4, seed: 5 });
const o = { ...TEST_TIME_QUICK, hiddenDims: [12, 12], numTrain: 64, numVal: 32, numEpochs: 2, preciseSamples: 64 };

describe("test-time study", () => {
  it("scores the whole set in train mode exactly as test mode with precise statistics of that one batch", () => {
    const net = new FullyConnectedNet({ hiddenDims: [12, 12], inputDim: data.xTrain.size / 64, numClasses: 10, weightScale: 5e-2, normalization: "batchnorm", rng: new RandomState(3) });
    const n = data.xVal.shape[0]!;
    const trainMode = batchStatsAccuracy(net, data.xVal, data.yVal, n);
    const moving = net.snapshot();
    preciseBatchnormStats(net, data.xVal, { batchSize: n, numBatches: 1 });
    const s = net.scores(data.xVal);
    const tr = net.trace(data.xVal, data.yVal, { mode: "train" });
    for (let i = 0; i < s.size; i++) expect(s.data[i]).toBeCloseTo(tr.scores.data[i]!, 4);
    let correct = 0;
    for (let r = 0; r < n; r++) {
      let best = 0;
      for (let c = 1; c < 10; c++) if (s.data[r * 10 + c]! > s.data[r * 10 + best]!) best = c;
      if (best === data.yVal[r]) correct++;
    }
    expect(trainMode).toBe(correct / n);
    // Scoring in train mode leaves the running statistics alone.
    net.restore(moving);
    batchStatsAccuracy(net, data.xVal, data.yVal, 4);
    expect([...net.snapshot().buffers.get("runningMean1")!]).toEqual([...moving.buffers.get("runningMean1")!]);
  });

  it("trains as the Solver does from the same seed, whatever the precise statistics draw", () => {
    const a = trainTestTime(data, o, 8, 231, 1);
    const b = trainTestTime(data, { ...o, preciseSamples: 128 }, 8, 231, 99);
    expect(b.lossHistory).toEqual(a.lossHistory);
    expect(b.emaAcc).toBe(a.emaAcc);
    expect(b.batchAcc).toBe(a.batchAcc);
    expect(b.preciseBatches).toBe(16);
    const rng = new RandomState(231);
    const net = new FullyConnectedNet({ hiddenDims: o.hiddenDims, inputDim: data.xTrain.size / 64, numClasses: 10, weightScale: o.weightScale, normalization: "batchnorm", rng });
    const solver = new Solver(net, data, { updateRule: o.updateRule, optimConfig: { learningRate: o.learningRate }, batchSize: 8, numEpochs: 2, rng });
    solver.train();
    expect(a.lossHistory).toEqual([...solver.lossHistory]);
    expect(a.bestValAcc).toBe(solver.bestValAcc);
    for (const v of [a.emaAcc, a.preciseAcc, a.batchAcc, a.meanShift, a.logVarRatio]) expect(Number.isFinite(v)).toBe(true);
  });

  it("says precise statistics helped exactly where they gained more than half a point", () => {
    const run = trainTestTime(data, o, 8, 231, 1);
    const result = (precise: number): TestTimeResult => ({ seed: 1, settings: o, runs: [{ ...run, emaAcc: 0.3, preciseAcc: precise }] });
    expect(testTimeFindings(result(0.32))[0]!.text).toMatch(/^Precise statistics helped only at batch size 8 \(\+2\.0 points\)/);
    expect(testTimeFindings(result(0.302))[0]!.text).toMatch(/^Precise statistics did not help at any batch size/);
  });
});
