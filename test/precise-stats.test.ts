/**
 * Precise statistics for test time (Wu & Johnson 2021): the pooling of per-batch
 * statistics, then the net-level function that recomputes a trained net's
 * population statistics with its weights frozen.
 */
import { describe, expect, it } from "vitest";
import { RandomState, relError } from "../src/index.js";
import { PopulationStats } from "../src/models/population-stats.js";
import { firstBitDifference } from "./helpers/bits.js";

describe("PopulationStats: pooling per-batch means and variances", () => {
  it("equal-sized batches give the mean and biased variance of all their samples together (rel error < 1e-12)", () => {
    const rng = new RandomState(21);
    const B = 6;
    const D = 3;
    const K = 7;
    const pool = new PopulationStats(D);
    const all: number[][] = [];
    const meanOfVars = new Array<number>(D).fill(0);
    for (let k = 0; k < K; k++) {
      // batches with different means, so the spread of the batch means matters
      const rows = Array.from({ length: B }, () => Array.from({ length: D }, (_, j) => (j + 1) * rng.standardNormal() + k * (j - 1)));
      all.push(...rows);
      const mu = Array.from({ length: D }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / B);
      const v = Array.from({ length: D }, (_, j) => rows.reduce((s, r) => s + (r[j]! - mu[j]!) ** 2, 0) / B);
      pool.add(mu, v);
      for (let j = 0; j < D; j++) meanOfVars[j]! += v[j]! / K;
    }
    const M = all.length;
    const mean = Array.from({ length: D }, (_, j) => all.reduce((s, r) => s + r[j]!, 0) / M);
    const v = Array.from({ length: D }, (_, j) => all.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / M);
    const got = pool.result();
    expect(pool.count).toBe(K);
    expect(relError(got.mean, mean)).toBeLessThan(1e-12);
    expect(relError(got.var, v)).toBeLessThan(1e-12);
    // the mean of the batch variances alone would miss the spread of the batch means
    expect(relError(meanOfVars, v)).toBeGreaterThan(1e-2);
  });

  it("identical batches give back that batch's statistics exactly", () => {
    const mu = Float64Array.from([0.1, -3.7, 1e-9]);
    const v = Float64Array.from([0.3, 2.9, 1 / 3]);
    const pool = new PopulationStats(3);
    for (let k = 0; k < 9; k++) pool.add(mu, v);
    const got = pool.result();
    expect(firstBitDifference(got.mean, mu)).toBeNull();
    expect(firstBitDifference(got.var, v)).toBeNull();
  });

  it("rejects a result before any batch and a batch of the wrong size", () => {
    const pool = new PopulationStats(2);
    expect(() => pool.result()).toThrow("no batch added");
    expect(() => pool.add([1], [1])).toThrow("expected 2 means and variances");
  });
});
