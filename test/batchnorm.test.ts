import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  OptionError,
  RandomState,
  Tensor,
  affineForward,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  createRunningStats,
  evalNumericalGradientArray,
  relError,
  reluForward,
} from "../src/node.js";
import type { BatchnormParam } from "../src/node.js";

/** Column means and (biased) standard deviations of an (N, D) tensor, like numpy's a.mean(0), a.std(0). */
function colStats(a: Tensor): { mean: number[]; std: number[] } {
  const [N, D] = a.shape as [number, number];
  const mean = new Array<number>(D).fill(0);
  const std = new Array<number>(D).fill(0);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) mean[j]! += a.data[i * D + j]! / N;
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) std[j]! += (a.data[i * D + j]! - mean[j]!) ** 2 / N;
  return { mean, std: std.map(Math.sqrt) };
}

/** The notebook's two-layer activations a = relu(X·W1)·W2 (N, 3). */
function twoLayer(X: Tensor, W1: Tensor, W2: Tensor): Tensor {
  const h = reluForward(affineForward(X, W1, Tensor.zeros([W1.shape[1]!], "float64")).out).out;
  return affineForward(h, W2, Tensor.zeros([W2.shape[1]!], "float64")).out;
}

function affineNoise(rng: RandomState, N: number, D: number, scale: number, shift: number): Tensor {
  const x = rng.randn(N, D);
  for (let i = 0; i < x.size; i++) x.data[i] = scale * x.data[i]! + shift;
  return x;
}

describe("batchnorm forward (the notebook's checks)", () => {
  const rng = new RandomState(231);
  const X = rng.randn(200, 50);
  const a = twoLayer(X, rng.randn(50, 60), rng.randn(60, 3));

  it("train mode with gamma = 1, beta = 0 gives zero means and unit stds", () => {
    const { out } = batchnormForward(a, Tensor.full([3], 1, "float64"), Tensor.zeros([3], "float64"), { mode: "train" });
    const before = colStats(a);
    expect(Math.max(...before.std)).toBeGreaterThan(5); // the check means something
    const { mean, std } = colStats(out);
    for (const m of mean) expect(Math.abs(m)).toBeLessThan(1e-7);
    for (const s of std) expect(Math.abs(s - 1)).toBeLessThan(1e-4);
  });

  it("train mode with gamma = [1, 2, 3], beta = [11, 12, 13] gives those means and stds", () => {
    const gamma = Tensor.from([1, 2, 3], [3], "float64");
    const beta = Tensor.from([11, 12, 13], [3], "float64");
    const { mean, std } = colStats(batchnormForward(a, gamma, beta, { mode: "train" }).out);
    mean.forEach((m, j) => expect(Math.abs(m - beta.data[j]!)).toBeLessThan(1e-7));
    std.forEach((s, j) => expect(Math.abs(s - gamma.data[j]!)).toBeLessThan(1e-4 * gamma.data[j]!));
  });

  it("test mode after 50 warm-up passes gives means near 0 and stds near 1", () => {
    const r = new RandomState(231);
    const W1 = r.randn(50, 60);
    const W2 = r.randn(60, 3);
    const gamma = Tensor.full([3], 1, "float64");
    const beta = Tensor.zeros([3], "float64");
    const param: BatchnormParam = { mode: "train", running: createRunningStats(3, "float64") };
    for (let t = 0; t < 50; t++) batchnormForward(twoLayer(r.randn(200, 50), W1, W2), gamma, beta, param);
    param.mode = "test";
    const { mean, std } = colStats(batchnormForward(twoLayer(r.randn(200, 50), W1, W2), gamma, beta, param).out);
    for (const m of mean) expect(Math.abs(m)).toBeLessThan(0.2);
    for (const s of std) expect(Math.abs(s - 1)).toBeLessThan(0.15);
  });

  it("updates the running statistics with momentum and leaves them alone in test mode", () => {
    const x = Tensor.from([1, 10, 3, 30], [2, 2], "float64");
    const running = createRunningStats(2, "float64");
    running.mean.set([1, 1]);
    running.var.set([4, 4]);
    const g = Tensor.full([2], 1, "float64");
    const b = Tensor.zeros([2], "float64");
    batchnormForward(x, g, b, { mode: "train", momentum: 0.5, running });
    // batch means [2, 20], biased variances [1, 100]
    expect([...running.mean]).toEqual([1.5, 10.5]);
    expect([...running.var]).toEqual([2.5, 52]);
    const { out } = batchnormForward(x, g, b, { mode: "test", eps: 1e-3, running });
    expect(out.data[0]).toBeCloseTo((1 - 1.5) / Math.sqrt(2.5 + 1e-3), 12);
    expect(() => batchnormForward(x, g, b, { mode: "test", eps: 0, running })).toThrow("invalid bnParam.eps: expected a positive number, got 0");
    expect([...running.mean]).toEqual([1.5, 10.5]);
  });
});

describe("batchnorm backward", () => {
  for (const [name, backward] of [
    ["staged", batchnormBackward],
    ["alt", batchnormBackwardAlt],
  ] as const) {
    it(`${name}: dx, dgamma, dbeta match centred differences (rel error < 1e-7)`, () => {
      const rng = new RandomState(231);
      const x = affineNoise(rng, 4, 5, 5, 12);
      const gamma = rng.randn(5);
      const beta = rng.randn(5);
      const dout = rng.randn(4, 5);
      const f = (): Tensor => batchnormForward(x, gamma, beta, { mode: "train" }).out;
      const dxNum = evalNumericalGradientArray(f, x, dout);
      const dgNum = evalNumericalGradientArray(f, gamma, dout);
      const dbNum = evalNumericalGradientArray(f, beta, dout);
      const { dx, dgamma, dbeta } = backward(dout, batchnormForward(x, gamma, beta, { mode: "train" }).cache);
      expect(relError(dxNum, dx)).toBeLessThan(1e-7);
      expect(relError(dgNum, dgamma)).toBeLessThan(1e-7);
      expect(relError(dbNum, dbeta)).toBeLessThan(1e-7);
    });

    it(`${name}: test-mode gradients match centred differences`, () => {
      const rng = new RandomState(3);
      const x = rng.randn(3, 4);
      const gamma = rng.randn(4);
      const beta = rng.randn(4);
      const dout = rng.randn(3, 4);
      const running = { mean: rng.randn(4).data, var: rng.rand(4).data };
      const f = (): Tensor => batchnormForward(x, gamma, beta, { mode: "test", running }).out;
      const { dx, dgamma } = backward(dout, batchnormForward(x, gamma, beta, { mode: "test", running }).cache);
      expect(relError(evalNumericalGradientArray(f, x, dout), dx)).toBeLessThan(1e-7);
      expect(relError(evalNumericalGradientArray(f, gamma, dout), dgamma)).toBeLessThan(1e-7);
    });
  }

  it("the closed form agrees with the staged version (dx < 1e-10; dgamma, dbeta equal)", () => {
    const rng = new RandomState(231);
    const x = affineNoise(rng, 100, 500, 5, 12);
    const gamma = rng.randn(500);
    const beta = rng.randn(500);
    const dout = rng.randn(100, 500);
    const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
    const staged = batchnormBackward(dout, cache);
    const alt = batchnormBackwardAlt(dout, cache);
    expect(relError(staged.dx, alt.dx)).toBeLessThan(1e-10);
    expect([...alt.dgamma.data]).toEqual([...staged.dgamma.data]);
    expect([...alt.dbeta.data]).toEqual([...staged.dbeta.data]);
  });
});

describe("batchnorm against numpy (fixture)", () => {
  const fix = JSON.parse(readFileSync(new URL("./fixtures/layers-numpy.json", import.meta.url), "utf8")) as {
    batchnorm: Record<string, number[]> & { N: number; D: number };
  };
  const f = fix.batchnorm;
  const t = (k: string, shape: number[]): Tensor => Tensor.from(f[k]!, shape, "float64");

  it("forward output, running statistics and both backward passes equal numpy's to 1e-12", () => {
    const { N, D } = f;
    const running = createRunningStats(D, "float64");
    const { out, cache } = batchnormForward(t("x", [N, D]), t("gamma", [D]), t("beta", [D]), { mode: "train", running });
    expect(relError(out, f.out!)).toBeLessThan(1e-12);
    expect(relError(running.mean, f.runningMean!)).toBeLessThan(1e-12);
    expect(relError(running.var, f.runningVar!)).toBeLessThan(1e-12);
    for (const backward of [batchnormBackward, batchnormBackwardAlt]) {
      const g = backward(t("dout", [N, D]), cache);
      expect(relError(g.dx, f.dx!)).toBeLessThan(1e-9);
      expect(relError(g.dgamma, f.dgamma!)).toBeLessThan(1e-12);
      expect(relError(g.dbeta, f.dbeta!)).toBeLessThan(1e-12);
    }
  });
});

describe("batchnorm argument errors", () => {
  const x = Tensor.zeros([4, 3], "float64");
  const g = Tensor.full([3], 1, "float64");
  const b = Tensor.zeros([3], "float64");

  it("names the argument and both shapes", () => {
    expect(() => batchnormForward(x, Tensor.zeros([4], "float64"), b, { mode: "train" })).toThrow(
      "batchnormForward: gamma must have shape (3), found (4)",
    );
    expect(() => batchnormForward(Tensor.zeros([12], "float64"), g, b, { mode: "train" })).toThrow(
      "batchnormForward: x must have shape (N, D), found (12)",
    );
    const { cache } = batchnormForward(x, g, b, { mode: "train" });
    expect(() => batchnormBackward(Tensor.zeros([3, 4], "float64"), cache)).toThrow(
      "batchnormBackward: dout must have shape (4, 3), found (3, 4)",
    );
  });

  it("rejects test mode without running statistics, and bad modes", () => {
    expect(() => batchnormForward(x, g, b, { mode: "test" })).toThrow(OptionError);
    expect(() => batchnormForward(x, g, b, { mode: "test" })).toThrow("invalid bnParam.running");
    expect(() => batchnormForward(x, g, b, { mode: "eval" as "test" })).toThrow('invalid bnParam.mode: expected "train" or "test", got "eval"');
    expect(() => batchnormForward(x, g, b, { mode: "train", momentum: 2 })).toThrow("invalid bnParam.momentum");
  });

  it("rejects gamma of another dtype", () => {
    expect(() => batchnormForward(x, Tensor.full([3], 1, "float32"), b, { mode: "train" })).toThrow(
      "gamma must have dtype float64 (that of x), found float32",
    );
  });
});
