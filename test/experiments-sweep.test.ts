/**
 * Cell 7's sweep: the parallel run (worker threads) equals the sequential one
 * exactly, and diverged runs are recorded as results.
 */
import { describe, expect, it } from "vitest";
import { syntheticCifar } from "../src/data/index.js";
import { sweepExperimentParallel } from "../src/experiments/parallel.js";
import { logspace, runSeeds, sweepExperiment, sweepJobs, type SweepOptions } from "../src/experiments/sweep.js";
import type { SweepResult } from "../src/experiments/types.js";

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
  it("logspace and run seeds are numpy's recipe", () => {
    const w = logspace(-4, 0, 20);
    expect(w).toHaveLength(20);
    expect(w[0]).toBeCloseTo(1e-4, 18);
    expect(w[19]).toBeCloseTo(1, 14);
    expect(Math.log10(w[1]! / w[0]!)).toBeCloseTo(4 / 19, 12);
    const seeds = runSeeds(231, 6);
    expect(new Set(seeds).size).toBe(6);
    expect(runSeeds(231, 3)).toEqual(seeds.slice(0, 3));
    const jobs = sweepJobs(options, 231);
    expect(jobs.map((j) => [j.weightScale, j.normalization])).toEqual(
      options.weightScales.flatMap((s) => options.normalizations.map((k) => [s, k])),
    );
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

  it("a run that blows up is a result with its divergence recorded", () => {
    const big: SweepOptions = { ...options, weightScales: [1e3], normalizations: ["none"], learningRate: 1e-1 };
    const r = sweepExperiment(data, big, 231);
    const p = r.points[0]!;
    expect(p.finalLoss > 100 || !Number.isFinite(p.finalLoss)).toBe(true);
    if (p.diverged) expect(p.firstNonFiniteIteration).toBeGreaterThanOrEqual(1);
    expect(p.bestValAcc).toBeGreaterThanOrEqual(0);
  });
});
