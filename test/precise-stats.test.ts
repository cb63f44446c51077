/**
 * Precise statistics for test time (Wu & Johnson 2021): the pooling of per-batch
 * statistics, then the net-level function that recomputes a trained net's
 * population statistics with its weights frozen.
 */
import { describe, expect, it } from "vitest";
import {
  FullyConnectedNet,
  OptionError,
  PopulationStats,
  RandomState,
  Tensor,
  batchnormForward,
  createRunningStats,
  preciseBatchnormStats,
  relError,
} from "../src/index.js";
import type { DType, FullyConnectedNetOptions } from "../src/index.js";

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

describe("preciseBatchnormStats", () => {
  const labels = (n: number): Int32Array => new Int32Array(n);

  /** A small batch-norm net trained a few steps, so its running statistics are an EMA of moving weights. */
  function trainedNet(dtype: DType, seed: number, extra: Partial<FullyConnectedNetOptions> = {}): { net: FullyConnectedNet; X: Tensor } {
    const rng = new RandomState(seed);
    const net = new FullyConnectedNet({ hiddenDims: [7, 5], inputDim: 6, numClasses: 3, normalization: "batchnorm", dtype, seed, weightScale: 0.7, ...extra });
    const X = rng.randn(40, 6).astype(dtype);
    const y = Int32Array.from({ length: 40 }, (_, i) => i % 3);
    for (let t = 0; t < 5; t++) {
      const { grads } = net.loss(X.rows(8 * t, 8 * t + 8), y.subarray(8 * t, 8 * t + 8));
      for (const [name, p] of net.params) for (let k = 0; k < p.size; k++) p.data[k] = p.data[k]! - 0.1 * grads.get(name)!.data[k]!;
    }
    return { net, X };
  }

  for (const [dtype, normalization] of [["float32", "batchnorm"], ["float64", "batchnorm"], ["float32", "batchrenorm"]] as const) {
    it(`${dtype}, ${normalization}: a net whose every batch is the same gets exactly that batch's statistics`, () => {
      const { net, X } = trainedNet(dtype, 3, { normalization });
      const batch = X.rows(0, 10);
      // That batch's statistics, layer by layer, as a train-mode pass computes them: batch
      // norm's own update with momentum 0 writes them into fresh running statistics.
      const tr = net.trace(batch, labels(10), { mode: "train" });
      const want = tr.layers.map((l) => {
        const D = l.affine.shape[1]!;
        const running = createRunningStats(D, dtype);
        batchnormForward(l.affine, Tensor.full([D], 1, dtype), Tensor.zeros([D], dtype), { mode: "train", momentum: 0, running });
        return running;
      });
      const before = net.snapshot();
      preciseBatchnormStats(net, batch, { batchSize: 10, numBatches: 4 });
      const after = net.snapshot();
      want.forEach((w, i) => {
        expect(firstBitDifference(after.buffers.get(`runningMean${i + 1}`)!, w.mean)).toBeNull();
        expect(firstBitDifference(after.buffers.get(`runningVar${i + 1}`)!, w.var)).toBeNull();
        // and they differ from the EMA the training left
        expect(firstBitDifference(before.buffers.get(`runningVar${i + 1}`)!, w.var)).not.toBeNull();
      });
      // by hand for the first layer: the mean and biased variance of its affine outputs
      const a = tr.layers[0]!.affine;
      for (let j = 0; j < 7; j++) {
        let m = 0;
        let v = 0;
        for (let i = 0; i < 10; i++) m += a.data[i * 7 + j]! / 10;
        for (let i = 0; i < 10; i++) v += (a.data[i * 7 + j]! - m) ** 2 / 10;
        expect(Math.abs(after.buffers.get("runningMean1")![j]! - m)).toBeLessThanOrEqual(1e-6 * Math.max(1, Math.abs(m)));
        expect(Math.abs(after.buffers.get("runningVar1")![j]! - v)).toBeLessThanOrEqual(1e-6 * v);
      }
      // nothing else changed: the parameters, and the model's stream
      for (const [name, p] of before.params) expect(firstBitDifference(after.params.get(name)!, p)).toBeNull();
    });
  }

  it("random batches: the mean and biased variance of every pooled train-mode activation (float64, rel error < 1e-12)", () => {
    const { net, X } = trainedNet("float64", 4, { dropoutKeepRatio: 0.8 });
    const rngState = JSON.stringify(net.rng.getState());
    const B = 8;
    const K = 6;
    // The batches preciseBatchnormStats will draw, drawn again from a copy of its stream.
    const draw = new RandomState(77);
    const replay = new RandomState(77);
    const pooled: number[][][] = [[], []];
    // Replay the train-mode pass on the same batches with the same dropout masks.
    const probe = new FullyConnectedNet({ hiddenDims: [7, 5], inputDim: 6, numClasses: 3, normalization: "batchnorm", dtype: "float64", seed: 0, dropoutKeepRatio: 0.8 });
    probe.restore(net.snapshot());
    probe.rng.setState(net.rng.getState());
    for (let k = 0; k < K; k++) {
      const idx = replay.choice(40, B);
      const xb = Tensor.zeros([B, 6], "float64");
      idx.forEach((r, i) => xb.data.set(X.data.subarray(r * 6, r * 6 + 6), i * 6));
      const tr = probe.trace(xb, labels(B), { mode: "train" });
      tr.layers.forEach((l, li) => {
        const D = l.affine.shape[1]!;
        for (let i = 0; i < B; i++) pooled[li]!.push([...l.affine.data.subarray(i * D, i * D + D)]);
      });
    }
    preciseBatchnormStats(net, X, { batchSize: B, numBatches: K, rng: draw });
    const after = net.snapshot();
    pooled.forEach((rows, li) => {
      const D = rows[0]!.length;
      const M = rows.length;
      const mean = Array.from({ length: D }, (_, j) => rows.reduce((s, r) => s + r[j]!, 0) / M);
      const v = Array.from({ length: D }, (_, j) => rows.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / M);
      expect(relError(after.buffers.get(`runningMean${li + 1}`)!, mean)).toBeLessThan(1e-12);
      expect(relError(after.buffers.get(`runningVar${li + 1}`)!, v)).toBeLessThan(1e-12);
    });
    // the model's dropout stream is rewound: training after this draws what it would have drawn
    expect(JSON.stringify(net.rng.getState())).toBe(rngState);
  });

  it("rejects a batch size outside [1, N], no batches, and a net without batch norm", () => {
    const { net, X } = trainedNet("float64", 5);
    expect(() => preciseBatchnormStats(net, X, { batchSize: 41, numBatches: 2 })).toThrow(OptionError);
    expect(() => preciseBatchnormStats(net, X, { batchSize: 41, numBatches: 2 })).toThrow("invalid batchSize: expected an integer in [1, 40]");
    expect(() => preciseBatchnormStats(net, X, { batchSize: 4, numBatches: 0 })).toThrow("invalid numBatches");
    const ln = new FullyConnectedNet({ hiddenDims: [4], inputDim: 6, numClasses: 3, normalization: "layernorm", seed: 1 });
    expect(() => preciseBatchnormStats(ln, X.astype("float32"), { batchSize: 4, numBatches: 1 })).toThrow("invalid model");
  });
});
