/**
 * Batch norm's running-statistics conventions: the same batches through bnlab
 * with each framework's settings give the running statistics that framework's
 * update rule gives, computed here by hand with plain loops in the framework's
 * own form (and against PyTorch's BatchNorm1d itself when python3 has torch).
 */
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  BATCHNORM_CONVENTIONS,
  OptionError,
  RandomState,
  Tensor,
  batchnormConvention,
  batchnormForward,
  batchrenormForward,
  createRunningStats,
  relError,
} from "../src/index.js";
import type { BatchnormFramework } from "../src/index.js";
import { firstBitDifference } from "./helpers/bits.js";

const N = 8;
const D = 4;
const STEPS = 6;

/** The batches every framework sees: features with different means and scales. */
function batches(): Tensor[] {
  const rng = new RandomState(13);
  const out: Tensor[] = [];
  for (let t = 0; t < STEPS; t++) {
    const x = rng.randn(N, D);
    for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) x.data[i * D + j] = (j + 1) * x.data[i * D + j]! + 5 * j - 3;
    out.push(x);
  }
  return out;
}

/** Per-feature mean and Σ(x − mean)² of one batch, plain loops. */
function moments(x: Tensor): { mean: number[]; ss: number[] } {
  const mean = new Array<number>(D).fill(0);
  const ss = new Array<number>(D).fill(0);
  for (let j = 0; j < D; j++) {
    for (let i = 0; i < N; i++) mean[j]! += x.data[i * D + j]!;
    mean[j]! /= N;
    for (let i = 0; i < N; i++) ss[j]! += (x.data[i * D + j]! - mean[j]!) ** 2;
  }
  return { mean, ss };
}

/**
 * Each framework's update, written as its source writes it, with its defaults as
 * literals (not read from BATCHNORM_CONVENTIONS, which this test checks):
 * - assignment (layers.py): running = momentum * running + (1 - momentum) * batch, biased var, zeros;
 * - PyTorch (BatchNorm1d): running = (1 - momentum) * running + momentum * batch, momentum 0.1,
 *   running_var from the unbiased Σ/(N − 1), running_var starts at 1;
 * - Keras 3: moving * momentum + batch * (1 - momentum), momentum 0.99, biased var, starts at 1;
 * - TF.js: moving - (moving - batch) * (1 - momentum), momentum 0.99, biased var, starts at 1.
 */
const byHand: Record<BatchnormFramework, { init: [number, number]; eps: number; step: (run: number, batch: number, isVar: boolean, ss: number) => number }> = {
  assignment: { init: [0, 0], eps: 1e-5, step: (run, batch, isVar, ss) => 0.9 * run + (1 - 0.9) * (isVar ? ss / N : batch) },
  pytorch: { init: [0, 1], eps: 1e-5, step: (run, batch, isVar, ss) => (1 - 0.1) * run + 0.1 * (isVar ? ss / (N - 1) : batch) },
  keras: { init: [0, 1], eps: 1e-3, step: (run, batch, isVar, ss) => run * 0.99 + (isVar ? ss / N : batch) * (1 - 0.99) },
  tfjs: { init: [0, 1], eps: 1e-3, step: (run, batch, isVar, ss) => run - (run - (isVar ? ss / N : batch)) * (1 - 0.99) },
};

function handRunning(fw: BatchnormFramework, xs: Tensor[]): { mean: number[]; var: number[] } {
  const h = byHand[fw];
  const mean = new Array<number>(D).fill(h.init[0]);
  const v = new Array<number>(D).fill(h.init[1]);
  for (const x of xs) {
    const m = moments(x);
    for (let j = 0; j < D; j++) {
      mean[j] = h.step(mean[j]!, m.mean[j]!, false, 0);
      v[j] = h.step(v[j]!, 0, true, m.ss[j]!);
    }
  }
  return { mean, var: v };
}

const frameworks = Object.keys(byHand) as BatchnormFramework[];

describe("running statistics under each framework's settings", () => {
  const xs = batches();
  for (const fw of frameworks) {
    it(`${fw}: running mean and variance after ${STEPS} batches equal the framework's rule by hand (rel error < 1e-12)`, () => {
      const { param, running } = batchnormConvention(fw, D, "float64");
      expect(param.eps).toBe(byHand[fw].eps);
      for (const x of xs) batchnormForward(x, Tensor.full([D], 1, "float64"), Tensor.zeros([D], "float64"), param);
      const want = handRunning(fw, xs);
      expect(relError(running.mean, want.mean)).toBeLessThan(1e-12);
      expect(relError(running.var, want.var)).toBeLessThan(1e-12);
      // Test mode then normalizes with them: (x − mean) / sqrt(var + eps).
      const x = xs[0]!;
      const { out } = batchnormForward(x, Tensor.full([D], 1, "float64"), Tensor.zeros([D], "float64"), { ...param, mode: "test" });
      const wantOut = Array.from(x.data, (a, k) => (a - want.mean[k % D]!) / Math.sqrt(want.var[k % D]! + byHand[fw].eps));
      expect(relError(out, wantOut)).toBeLessThan(1e-12);
    });
  }

  it("the conventions differ where they should (the checks above can fail)", () => {
    const r = Object.fromEntries(frameworks.map((fw) => [fw, handRunning(fw, xs)]));
    expect(relError(r.pytorch!.var, r.assignment!.var)).toBeGreaterThan(1e-3); // unbiased vs biased, init 1 vs 0
    expect(relError(r.keras!.mean, r.assignment!.mean)).toBeGreaterThan(1e-3); // 0.99 vs 0.9
    // Keras and TF.js write the same update two ways: equal up to rounding
    expect(relError(r.keras!.var, r.tfjs!.var)).toBeLessThan(1e-12);
  });

  it("the train-mode output does not depend on the running-statistics conventions (always the biased batch variance)", () => {
    const x = xs[1]!;
    const g = Tensor.full([D], 1, "float64");
    const b = Tensor.zeros([D], "float64");
    const base = batchnormForward(x, g, b, { mode: "train", eps: 1e-5, running: createRunningStats(D, "float64") }).out;
    const torchLike = batchnormForward(x, g, b, batchnormConvention("pytorch", D, "float64").param).out;
    expect(firstBitDifference(torchLike, base)).toBeNull();
    const m = moments(x);
    const want = Array.from(x.data, (a, k) => (a - m.mean[k % D]!) / Math.sqrt(m.ss[k % D]! / N + 1e-5));
    expect(relError(base, want)).toBeLessThan(1e-12);
  });

  it("the defaults are the assignment's: spelling them out changes no bit", () => {
    const a = createRunningStats(D, "float64");
    const b = createRunningStats(D, "float64");
    const g = Tensor.full([D], 1, "float64");
    const z = Tensor.zeros([D], "float64");
    for (const x of xs) {
      batchnormForward(x, g, z, { mode: "train", running: a });
      batchnormForward(x, g, z, { mode: "train", running: b, momentum: 0.9, momentumWeights: "running", runningVariance: "biased" });
    }
    expect(firstBitDifference(a.mean, b.mean)).toBeNull();
    expect(firstBitDifference(a.var, b.var)).toBeNull();
    expect(BATCHNORM_CONVENTIONS.assignment).toMatchObject({ momentum: 0.9, momentumWeights: "running", runningVariance: "biased", eps: 1e-5 });
  });

  it("batch renorm takes the same options and updates its running statistics as batch norm does", () => {
    const bn = batchnormConvention("pytorch", D, "float64");
    const brn = batchnormConvention("pytorch", D, "float64");
    const g = Tensor.full([D], 1, "float64");
    const z = Tensor.zeros([D], "float64");
    for (const x of xs) {
      batchnormForward(x, g, z, bn.param);
      batchrenormForward(x, g, z, { ...brn.param, rMax: 2, dMax: 1 });
    }
    expect(firstBitDifference(brn.running.mean, bn.running.mean)).toBeNull();
    expect(firstBitDifference(brn.running.var, bn.running.var)).toBeNull();
  });
});

describe("convention option errors", () => {
  const x = Tensor.zeros([1, 2], "float64");
  const g = Tensor.full([2], 1, "float64");
  const b = Tensor.zeros([2], "float64");
  it("names the option", () => {
    const running = createRunningStats(2, "float64");
    expect(() => batchnormForward(x, g, b, { mode: "train", running, momentumWeights: "new" as "batch" })).toThrow(OptionError);
    expect(() => batchnormForward(x, g, b, { mode: "train", running, momentumWeights: "new" as "batch" })).toThrow(
      'invalid bnParam.momentumWeights: expected "running" or "batch", got "new"',
    );
    expect(() => batchnormForward(x, g, b, { mode: "train", running, runningVariance: "sample" as "unbiased" })).toThrow("invalid bnParam.runningVariance");
    // an unbiased running variance of one sample would divide by N − 1 = 0
    expect(() => batchnormForward(x, g, b, { mode: "train", running, runningVariance: "unbiased" })).toThrow("invalid bnParam.runningVariance");
    expect(() => batchnormConvention("caffe" as BatchnormFramework, 2, "float64")).toThrow('invalid framework: expected "assignment", "pytorch", "keras", "tfjs", got "caffe"');
  });
});

const hasTorch = spawnSync("python3", ["-c", "import torch"], { stdio: "ignore" }).status === 0;

describe("against PyTorch's BatchNorm1d", () => {
  it.skipIf(!hasTorch)(
    `running statistics and outputs equal torch's (rel error < 1e-12)${hasTorch ? "" : " [skipped: python3 cannot import torch]"}`,
    () => {
      const xs = batches();
      const script = fileURLToPath(new URL("./helpers/torch_batchnorm1d.py", import.meta.url));
      const spec = { N, D, momentum: 0.1, eps: 1e-5, batches: xs.map((x) => [...x.data]) };
      const res = spawnSync("python3", [script], { input: JSON.stringify(spec), encoding: "utf8" });
      expect(res.status, res.stderr).toBe(0);
      const torch = JSON.parse(res.stdout) as { runningMean: number[]; runningVar: number[]; outs: number[][] };
      const { param, running } = batchnormConvention("pytorch", D, "float64");
      const g = Tensor.full([D], 1, "float64");
      const z = Tensor.zeros([D], "float64");
      xs.forEach((x, t) => expect(relError(batchnormForward(x, g, z, param).out, torch.outs[t]!)).toBeLessThan(1e-12));
      expect(relError(running.mean, torch.runningMean)).toBeLessThan(1e-12);
      expect(relError(running.var, torch.runningVar)).toBeLessThan(1e-12);
    },
  );
});
