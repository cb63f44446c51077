/**
 * The learning-rate study's own measurements: a cell trains as the Solver does
 * from the same seed; divergence is a non-finite loss or a final loss above the
 * bound; the findings give the largest learning rate that trains, per weight scale.
 */
import { describe, expect, it } from "vitest";
import { RandomState } from "../src/core/random.js";
import { syntheticCifar } from "../src/data/synthetic.js";
import { FullyConnectedNet } from "../src/models/fc-net.js";
import { largestTraining, LEARNING_RATE_QUICK, learningRateFindings, learningRateStudy, trainLrCell, type LearningRateResult, type LrCell } from "../src/studies/learning-rate/index.js";
import { Solver } from "../src/train/solver.js";

const data = syntheticCifar({ numTrain: 40, numVal: 20, numTest: 4, seed: 9 });
const o = { ...LEARNING_RATE_QUICK, hiddenDims: [10, 10, 10], numTrain: 40, numVal: 20, numEpochs: 2, batchSize: 10 };

describe("learning-rate study", () => {
  it("trains a cell as the Solver does, and marks a blown-up run as diverged", () => {
    const cell = trainLrCell(data, o, { updateRule: "sgd", net: "batchnorm", learningRate: 1e-2, weightScale: 1e-2, seed: 231 });
    const rng = new RandomState(231);
    const net = new FullyConnectedNet({ hiddenDims: o.hiddenDims, inputDim: data.xTrain.size / 40, numClasses: 10, weightScale: 1e-2, normalization: "batchnorm", rng });
    const solver = new Solver(net, data, { updateRule: "sgd", optimConfig: { learningRate: 1e-2 }, batchSize: 10, numEpochs: 2, rng });
    solver.train();
    expect(cell.bestValAcc).toBe(solver.bestValAcc);
    expect(cell.epochLoss).toHaveLength(2);
    expect(cell.epochLoss[1]).toBeCloseTo((solver.lossHistory[4]! + solver.lossHistory[5]! + solver.lossHistory[6]! + solver.lossHistory[7]!) / 4, 10);
    expect(cell.diverged).toBe(false);
    const blown = trainLrCell(data, o, { updateRule: "sgd", net: "baseline", learningRate: 1e3, weightScale: 1, seed: 231 });
    expect(blown.diverged).toBe(true);
    expect(learningRateStudy.plan(o, 1, { numTrain: 40, numVal: 20, inputDim: 3072 })).toHaveLength(2 * 2 * 3 * 3);
  });

  it("finds the largest learning rate that trains at each weight scale, for each net", () => {
    const cell = (net: "baseline" | "batchnorm", learningRate: number, weightScale: number, ok: boolean): LrCell => ({ updateRule: "sgd", net, learningRate, weightScale, epochLoss: [2], valAccHistory: [0.3], bestValAcc: ok ? 0.3 : 0.1, finalLoss: ok ? 2 : 9, diverged: !ok });
    const lrs = [0.01, 0.1, 1];
    const settings = { ...o, weightScales: [0.01, 1], grids: [{ updateRule: "sgd", learningRates: lrs }] };
    const r: LearningRateResult = {
      seed: 1,
      settings,
      cells: [
        ...lrs.flatMap((lr) => [cell("baseline", lr, 0.01, lr <= 0.1), cell("baseline", lr, 1, false)]),
        ...lrs.flatMap((lr) => [cell("batchnorm", lr, 0.01, true), cell("batchnorm", lr, 1, lr <= 0.1)]),
      ],
    };
    expect(largestTraining(r, "sgd", "batchnorm", 0.01)).toBe(1);
    expect(largestTraining(r, "sgd", "baseline", 1)).toBeNaN();
    const f = learningRateFindings(r)[0]!;
    expect(f.text).toContain("batch norm trained at a larger learning rate at 2 of 2 weight scales");
    expect(f.text).toContain("0.01: 1 vs 0.1; 1: 0.1 vs none");
    expect(learningRateFindings(r)[1]!.values).toMatchObject({ baselineDiverged: 4, batchnormDiverged: 1 });
  });
});
