/**
 * Cell 7's sweep: the parallel run (worker threads) equals the sequential one
 * exactly, both replay the notebook's single numpy stream (checked against a
 * sequential one-stream loop and against numbers numpy drew), and diverged runs
 * are recorded as results.
 */
import { describe, expect, it } from "vitest";
import { RandomState, type RandomStateSnapshot } from "../src/core/random.js";
import { syntheticCifar } from "../src/data/index.js";
import { sweepExperimentParallel } from "../src/experiments/parallel.js";
import { logspace, runSweepJob, sweepExperiment, sweepJobs, sweepShape, type SweepOptions } from "../src/experiments/sweep.js";
import { subsetData } from "../src/experiments/training.js";
import type { NormKind, SweepResult } from "../src/experiments/types.js";
import { FullyConnectedNet } from "../src/models/fc-net.js";
import { Solver } from "../src/train/solver.js";
import { allocResident, releaseResident } from "../src/kernels/index.js";

const data = syntheticCifar({ numTrain: 100, numVal: 40, numTest: 10, seed: 3 });
const options: SweepOptions = {
  hiddenDims: [8, 8, 8],
  numTrain: 100,
  numVal: 40,
  numEpochs: 1,
  batchSize: 25,
  updateRule: "adam",
  learningRate: 1e-3,
  weightScales: logspace(-3, 1, 3),
  normalizations: ["batchnorm", "none"],
};

const withoutTimes = (r: SweepResult): unknown => ({ ...r, points: r.points.map((p) => ({ ...p, seconds: 0 })) });

describe("weight-scale sweep", () => {
  it("logspace is numpy's; jobs come in result order, all from the cell seed's stream", () => {
    const w = logspace(-4, 0, 20);
    expect(w).toHaveLength(20);
    expect(w[0]).toBeCloseTo(1e-4, 18);
    expect(w[19]).toBeCloseTo(1, 14);
    expect(Math.log10(w[1]! / w[0]!)).toBeCloseTo(4 / 19, 12);
    const jobs = sweepJobs(options, 231, sweepShape(data));
    expect(jobs.map((j) => [j.index, j.weightScale, j.normalization])).toEqual(
      options.weightScales.flatMap((s, i) => options.normalizations.map((k, j) => [i * 2 + j, s, k])),
    );
    expect(jobs.every((j) => j.runSeed === 231)).toBe(true);
    expect(jobs[0]!.modelState).toEqual(new RandomState(231).getState());
    // A job run on data of another shape than planned is refused, naming the shapes.
    expect(() => runSweepJob(subsetData(data, 50, 40), options, jobs[0]!)).toThrow(/100 training rows of 3072 features.*50 rows/);
  });

  it("replays numpy's notebook loop: states, weights, minibatches and histories of a one-stream run", async () => {
    // Two scales; the notebook's two lines plus layer norm (its own stream, seeded alike).
    const norms: NormKind[] = ["batchnorm", "none", "layernorm"];
    const tiny: SweepOptions = { ...options, weightScales: logspace(-3, 1, 2), normalizations: norms };
    const jobs = sweepJobs(tiny, 231, sweepShape(data));
    const par = await sweepExperimentParallel(data, tiny, 231, 2);
    const d = subsetData(data, tiny.numTrain, tiny.numVal);

    // The notebook's loop, literally: one stream; per scale build bn_model, model, then train bn_solver, solver.
    type Run = { modelState: RandomStateSnapshot; solverState?: RandomStateSnapshot; model: FullyConnectedNet; solver?: Solver; w1: Float32Array | Float64Array };
    const build = (rng: RandomState, ws: number, n: NormKind): Run => {
      const modelState = rng.getState();
      const model = new FullyConnectedNet({ hiddenDims: tiny.hiddenDims, inputDim: 3072, numClasses: 10, weightScale: ws, normalization: n === "none" ? null : n, dtype: d.xTrain.dtype, rng });
      return { modelState, model, w1: model.params.get("W1")!.data.slice() };
    };
    const train = (rng: RandomState, r: Run): void => {
      r.solverState = rng.getState();
      r.solver = new Solver(r.model, d, { updateRule: "adam", optimConfig: { learningRate: tiny.learningRate }, batchSize: tiny.batchSize, numEpochs: tiny.numEpochs, rng });
      r.solver.train();
    };
    const runs = new Map<number, Run>();
    for (const group of [[0, 1], [2]]) {
      const rng = new RandomState(231);
      tiny.weightScales.forEach((ws, s) => {
        const built = group.map((k) => build(rng, ws, norms[k]!));
        built.forEach((r, g) => {
          train(rng, r);
          runs.set(s * 3 + group[g]!, r);
        });
      });
    }
    expect(par.points).toHaveLength(6);
    for (const job of jobs) {
      const r = runs.get(job.index)!;
      expect(job.modelState, `job ${job.index} model state`).toEqual(r.modelState);
      expect(job.solverState, `job ${job.index} solver state`).toEqual(r.solverState);
      const p = par.points[job.index]!;
      const losses = r.solver!.lossHistory;
      expect([p.normalization, p.weightScale, p.trainAccHistory, p.bestValAcc, p.finalLoss]).toEqual([
        job.normalization,
        job.weightScale,
        r.solver!.trainAccHistory,
        Math.max(...r.solver!.valAccHistory),
        losses.reduce((a, b) => a + b, 0) / losses.length,
      ]);
    }
    // The first job's weights and first minibatch, rebuilt from its snapshots.
    const rng = new RandomState();
    rng.setState(jobs[0]!.modelState);
    expect(build(rng, tiny.weightScales[0]!, "batchnorm").w1).toEqual(runs.get(0)!.w1);
    rng.setState(jobs[0]!.solverState);
    const first = rng.choice(100, 25);
    const again = new RandomState();
    again.setState(runs.get(0)!.solverState!);
    expect(first).toEqual(again.choice(100, 25));

    // Against numpy itself: np.random.seed(231); for ws in np.logspace(-3, 1, num=2): bn_model's then
    // model's W_i = ws*randn(d_i, d_i+1) for dims 3072, 8, 8, 8, 10; then 4 x choice(100, 25) per solver.
    // At scale 10 (the second): bn_model W1[0, :3], model W1[0, :3], and each solver's first minibatch.
    const numpy = {
      bnW1: [13.764737002579604, 0.4371360344471701, -4.948252902435963],
      baseW1: [7.761562111205963, -5.4497124426648185, -1.9991936532477],
      bnFirst: [30, 58, 59, 10, 8, 75, 4, 4, 57, 69, 36, 35, 55, 81, 96, 14, 62, 63, 14, 52, 38, 59, 46, 7, 19],
      baseFirst: [73, 46, 83, 40, 0, 98, 9, 42, 92, 8, 86, 76, 41, 55, 22, 24, 86, 57, 68, 63, 16, 95, 98, 88, 91],
    };
    for (const [job, w1, batch] of [[jobs[3]!, numpy.bnW1, numpy.bnFirst], [jobs[4]!, numpy.baseW1, numpy.baseFirst]] as const) {
      rng.setState(job.modelState);
      const model = new FullyConnectedNet({ hiddenDims: tiny.hiddenDims, inputDim: 3072, numClasses: 10, weightScale: job.weightScale, normalization: null, dtype: "float64", rng });
      const got = Array.from(model.params.get("W1")!.data.subarray(0, 3));
      got.forEach((v, i) => expect(Math.abs(v - w1[i]!)).toBeLessThanOrEqual(1e-14 * Math.abs(w1[i]!)));
      rng.setState(job.solverState);
      expect(Array.from(rng.choice(100, 25))).toEqual(batch);
    }
  });

  it("the parallel sweep equals the sequential one exactly", async () => {
    const seq = sweepExperiment(data, options, 231);
    const progress: number[] = [];
    const par = await sweepExperimentParallel(data, options, 231, 2, (p) => progress.push(p.done / p.total));
    expect(withoutTimes(par)).toEqual(withoutTimes(seq));
    expect(progress.at(-1)).toBe(1);
    expect(seq.points).toHaveLength(6);
    // A different seed gives different runs (the comparison above is not vacuous).
    const other = sweepExperiment(data, options, 232);
    expect(other.points.map((p) => p.finalLoss)).not.toEqual(seq.points.map((p) => p.finalLoss));
  });

  it("a run hands its model's and Solver's resident memory back: the next run takes no new memory, with the same point", () => {
    const d = subsetData(data, options.numTrain, options.numVal);
    const jobs = sweepJobs(options, 231, sweepShape(d));
    // Where a 4 MB array would go: past every free block, at the top of what was ever handed out.
    const top = (): number => {
      const a = allocResident(1 << 20, "float32");
      releaseResident([a]);
      return a.byteOffset;
    };
    const first = runSweepJob(d, options, jobs[1]!);
    const before = top();
    const again = runSweepJob(d, options, jobs[1]!);
    expect(top()).toBe(before);
    expect({ ...again, seconds: 0 }).toEqual({ ...first, seconds: 0 });
  });

  it("a disposed net or Solver refuses to run", () => {
    const model = new FullyConnectedNet({ hiddenDims: [8], inputDim: 3 * 32 * 32, weightScale: 1e-2, seed: 1 });
    const solver = new Solver(model, data, { numEpochs: 1, batchSize: 25, seed: 1 });
    solver.step();
    solver.dispose();
    model.dispose();
    model.dispose(); // twice is nothing
    expect(() => solver.step()).toThrow(/Solver: used after dispose/);
    expect(() => solver.train()).toThrow(/Solver: used after dispose/);
    expect(() => model.loss(data.xTrain.rows(0, 2), data.yTrain.subarray(0, 2))).toThrow(/FullyConnectedNet: used after dispose/);
    expect(() => model.snapshot()).toThrow(/FullyConnectedNet: used after dispose/);
  });

  it("a run that blows up is a result with its divergence recorded", () => {
    const big: SweepOptions = { ...options, weightScales: [1e3], normalizations: ["none"], learningRate: 1e-1 };
    const r = sweepExperiment(data, big, 231);
    const p = r.points[0]!;
    expect(p.finalLoss > 100 || !Number.isFinite(p.finalLoss)).toBe(true);
    if (p.diverged) expect(p.firstNonFiniteIteration).toBeGreaterThanOrEqual(1);
    expect(p.bestValAcc).toBeGreaterThanOrEqual(0);
  });
});
