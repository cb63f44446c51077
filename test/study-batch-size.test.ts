/**
 * The batch-size study's own measurements: each job trains as the Solver does
 * from the same seed; "linear" scales the learning rate with the batch; the
 * findings name the batch size below which batch norm falls behind, from the numbers.
 */
import { describe, expect, it } from "vitest";
import { RandomState } from "../src/core/random.js";
import { syntheticCifar } from "../src/data/synthetic.js";
import { FullyConnectedNet } from "../src/models/fc-net.js";
import { BATCH_SIZE_STUDY_QUICK, batchLearningRate, batchSizeFindings, batchSizeStudy, trainBatchSizeRun, type BatchSizeRun, type BatchSizeStudyResult } from "../src/studies/batch-size/index.js";
import { Solver } from "../src/train/solver.js";
import type { NormKind } from "../src/core/names.js";

const data = syntheticCifar({ numTrain: 40, numVal: 20, numTest: 4, seed: 8 });
const o = { ...BATCH_SIZE_STUDY_QUICK, hiddenDims: [10, 10], numTrain: 40, numVal: 20, numEpochs: 1 };

describe("batch-size study", () => {
  it("trains each net as the Solver does from RandomState(seed)", () => {
    const run = trainBatchSizeRun(data, o, "groupnorm", 4, 231);
    const rng = new RandomState(231);
    const net = new FullyConnectedNet({ hiddenDims: [10, 10], inputDim: data.xTrain.size / 40, numClasses: 10, weightScale: o.weightScale, normalization: "groupnorm", rng });
    const solver = new Solver(net, data, { updateRule: o.updateRule, optimConfig: { learningRate: o.learningRate }, batchSize: 4, numEpochs: 1, rng });
    solver.train();
    expect(run.lossHistory).toEqual([...solver.lossHistory]);
    expect(run.bestValAcc).toBe(solver.bestValAcc);
    expect(run.lossHistory.length).toBe(10);
  });

  it("plans normalizations × batch sizes and scales the learning rate when asked", () => {
    const jobs = batchSizeStudy.plan(o, 231, { numTrain: 40, numVal: 20, inputDim: 3072 });
    expect(jobs.map((j) => j.label)).toEqual(o.normalizations.flatMap((n) => o.batchSizes.map((b) => `${n} batch ${b}`)));
    expect(jobs.map((j) => j.index)).toEqual(jobs.map((_, i) => i));
    expect(batchLearningRate(o, 8)).toBe(o.learningRate);
    expect(batchLearningRate({ ...o, lrScaling: "linear", lrReferenceBatch: 50 }, 25)).toBeCloseTo(o.learningRate / 2, 15);
    expect(batchSizeStudy.optionsSchema.safeParse({ ...o, batchSizes: [1, 8] }).success).toBe(false);
  });

  it("names the batch size below which batch norm falls behind, and by how much", () => {
    const sizes = [2, 4, 8, 16];
    const run = (normalization: NormKind, batchSize: number, acc: number): BatchSizeRun => ({ normalization, batchSize, learningRate: 1e-3, lossHistory: [2], trainAccHistory: [0.1], valAccHistory: [acc], bestValAcc: acc, iterationsPerEpoch: 1 });
    const result = (bn: number[]): BatchSizeStudyResult => ({
      seed: 1,
      settings: { ...o, normalizations: ["none", "batchnorm", "groupnorm"], batchSizes: sizes },
      runs: [...sizes.map((b) => run("none", b, 0.2)), ...sizes.map((b, i) => run("batchnorm", b, bn[i]!)), ...sizes.map((b) => run("groupnorm", b, 0.3))],
    });
    const falls = batchSizeFindings(result([0.2, 0.25, 0.34, 0.35]))[0]!;
    expect(falls.text).toMatch(/^Batch norm falls behind below batch size 8: at batch 4 and smaller its best validation accuracy was 25\.0% \(batch 2: 20\.0%\), 10\.0 points to 15\.0 points below its best, 35\.0% at batch 16/);
    expect(falls.values.fallsBehindAt).toBe(4);
    const holds = batchSizeFindings(result([0.34, 0.34, 0.35, 0.35]));
    expect(holds[0]!.text).toMatch(/^Batch norm did not fall behind/);
    expect(holds[1]!.text).toMatch(/^Group norm held up best/);
  });
});
