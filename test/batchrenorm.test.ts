/**
 * Batch renormalization: r and d as the paper defines them, rMax = 1, dMax = 0 is
 * batch norm bit for bit (on every kernel path), and the backward pass treats r
 * and d as constants (gradient checks with r, d held fixed).
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  OptionError,
  RandomState,
  Tensor,
  availableKernelPaths,
  batchnormBackwardAlt,
  batchnormForward,
  batchrenormBackward,
  batchrenormForward,
  evalNumericalGradientArray,
  getKernelPath,
  gradcheckReport,
  relError,
  setKernelPath,
} from "../src/index.js";
import type { BatchrenormParam, DType, RunningStats } from "../src/index.js";
import { firstBitDifference } from "./helpers/bits.js";

const initialPath = getKernelPath();
afterAll(() => setKernelPath(initialPath));

function copyStats(s: RunningStats): RunningStats {
  return { mean: s.mean.slice(), var: s.var.slice() };
}

/** Running statistics near (but not at) the batch's: mean + noise, var · U(0.5, 2). */
function statsNear(rng: RandomState, x: Tensor, dtype: DType): RunningStats {
  const [N, D] = x.shape as [number, number];
  const { mean, v } = colStats(x);
  const m = Tensor.zeros([D], dtype).data;
  const w = Tensor.zeros([D], dtype).data;
  for (let j = 0; j < D; j++) {
    m[j] = mean[j]! + 0.5 * rng.standardNormal() * Math.sqrt(v[j]!);
    w[j] = v[j]! * 2 ** (2 * rng.randomSample() - 1);
  }
  void N;
  return { mean: m, var: w };
}

/** Column means and biased variances, plain loops. */
function colStats(x: Tensor): { mean: number[]; v: number[] } {
  const [N, D] = x.shape as [number, number];
  const mean = new Array<number>(D).fill(0);
  const v = new Array<number>(D).fill(0);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) mean[j]! += x.data[i * D + j]!;
  for (let j = 0; j < D; j++) mean[j]! /= N;
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) v[j]! += (x.data[i * D + j]! - mean[j]!) ** 2;
  for (let j = 0; j < D; j++) v[j]! /= N;
  return { mean, v };
}

/**
 * Batch renorm's train-mode output with r and d given (held fixed), written out
 * with plain loops: out = gamma·(r·(x − μ_B)/σ_B + d) + beta. Differentiating
 * this numerically is differentiating with r and d constant, which is what the
 * analytic backward claims to compute (the paper's stop_gradient on r and d).
 */
function renormFixed(x: Tensor, gamma: Tensor, beta: Tensor, r: ArrayLike<number>, d: ArrayLike<number>, eps: number): Tensor {
  const [N, D] = x.shape as [number, number];
  const { mean, v } = colStats(x);
  const out = Tensor.zeros([N, D], "float64");
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) {
      const xhat = (x.data[i * D + j]! - mean[j]!) / Math.sqrt(v[j]! + eps);
      out.data[i * D + j] = gamma.data[j]! * (r[j]! * xhat + d[j]!) + beta.data[j]!;
    }
  }
  return out;
}

function problem(seed: number, N: number, D: number, dtype: DType = "float64") {
  const rng = new RandomState(seed);
  const x = rng.randn(N, D);
  for (let i = 0; i < x.size; i++) x.data[i] = 3 * x.data[i]! + 2;
  const xt = x.astype(dtype);
  return { rng, x: xt, gamma: rng.randn(D).astype(dtype), beta: rng.randn(D).astype(dtype), dout: rng.randn(N, D).astype(dtype), running: statsNear(rng, xt, dtype) };
}

describe("batch renorm with rMax = 1, dMax = 0 is batch norm bit for bit", () => {
  // Compared with batchnormBackwardAlt, the backward the net uses. Three steps, so
  // the running statistics the next step reads are the updated ones.
  const conventions: Pick<BatchrenormParam, "momentum" | "momentumWeights" | "runningVariance">[] = [
    {},
    { momentum: 0.1, momentumWeights: "batch", runningVariance: "unbiased" },
  ];
  for (const path of availableKernelPaths()) {
    for (const dtype of ["float32", "float64"] as DType[]) {
      // 5×7 runs the TypeScript loops everywhere; 64×50 = 3200 ≥ WASM_MIN_BATCHNORM takes the kernels on wasm paths.
      for (const [N, D] of [[5, 7], [64, 50]] as const) {
        it(`${path}, ${dtype}, ${N}×${D}: out, running mean/var, dx, dgamma, dbeta over 3 steps`, () => {
          setKernelPath(path);
          for (const conv of conventions) {
            const p = problem(N * D, N, D, dtype);
            const runBn = copyStats(p.running);
            const runBrn = copyStats(p.running);
            for (let step = 0; step < 3; step++) {
              const x = step === 0 ? p.x : p.rng.randn(N, D).astype(dtype);
              const bn = batchnormForward(x, p.gamma, p.beta, { mode: "train", running: runBn, ...conv });
              const brn = batchrenormForward(x, p.gamma, p.beta, { mode: "train", running: runBrn, rMax: 1, dMax: 0, ...conv });
              expect(firstBitDifference(brn.out, bn.out)).toBeNull();
              expect(firstBitDifference(runBrn.mean, runBn.mean)).toBeNull();
              expect(firstBitDifference(runBrn.var, runBn.var)).toBeNull();
              const gb = batchnormBackwardAlt(p.dout, bn.cache);
              const gr = batchrenormBackward(p.dout, brn.cache);
              expect(firstBitDifference(gr.dx, gb.dx)).toBeNull();
              expect(firstBitDifference(gr.dgamma, gb.dgamma)).toBeNull();
              expect(firstBitDifference(gr.dbeta, gb.dbeta)).toBeNull();
            }
            // test mode too
            const bnT = batchnormForward(p.x, p.gamma, p.beta, { mode: "test", running: runBn });
            const brnT = batchrenormForward(p.x, p.gamma, p.beta, { mode: "test", running: runBrn, rMax: 1, dMax: 0 });
            expect(firstBitDifference(brnT.out, bnT.out)).toBeNull();
            expect(firstBitDifference(batchrenormBackward(p.dout, brnT.cache).dgamma, batchnormBackwardAlt(p.dout, bnT.cache).dgamma)).toBeNull();
          }
        });
      }
    }
  }

  it("and the comparison can fail: rMax = 1.5 differs from batch norm", () => {
    setKernelPath("ts");
    const p = problem(1, 6, 4);
    const bn = batchnormForward(p.x, p.gamma, p.beta, { mode: "train" });
    const brn = batchrenormForward(p.x, p.gamma, p.beta, { mode: "train", running: copyStats(p.running), rMax: 1.5, dMax: 0 });
    expect(firstBitDifference(brn.out, bn.out)).not.toBeNull();
  });
});

describe("batch renorm forward", () => {
  it("r = clip(σ_B/σ, 1/rMax, rMax), d = clip((μ_B − μ)/σ, ±dMax) from the running statistics before the update", () => {
    const p = problem(3, 20, 8);
    const eps = 1e-5;
    const [rMax, dMax] = [1.3, 0.4];
    const before = copyStats(p.running);
    const { out, cache } = batchrenormForward(p.x, p.gamma, p.beta, { mode: "train", running: p.running, rMax, dMax, eps });
    const { mean, v } = colStats(p.x);
    const r: number[] = [];
    const d: number[] = [];
    for (let j = 0; j < 8; j++) {
      const sigma = Math.sqrt(before.var[j]! + eps);
      r.push(Math.min(rMax, Math.max(1 / rMax, Math.sqrt(v[j]! + eps) / sigma)));
      d.push(Math.min(dMax, Math.max(-dMax, (mean[j]! - before.mean[j]!) / sigma)));
    }
    expect(relError(cache.r, r)).toBeLessThan(1e-13);
    expect(relError(cache.d, d)).toBeLessThan(1e-13);
    // the case exercises both clipped and unclipped features
    expect(r.some((a) => a === rMax || a === 1 / rMax) && r.some((a) => a !== rMax && a !== 1 / rMax)).toBe(true);
    expect(d.some((a) => Math.abs(a) === dMax) && d.some((a) => Math.abs(a) !== dMax)).toBe(true);
    expect(relError(out, renormFixed(p.x, p.gamma, p.beta, r, d, eps))).toBeLessThan(1e-12);
    // the running statistics then move as batch norm's do
    const bnRun = copyStats(before);
    batchnormForward(p.x, p.gamma, p.beta, { mode: "train", running: bnRun, eps });
    expect(firstBitDifference(p.running.mean, bnRun.mean)).toBeNull();
    expect(firstBitDifference(p.running.var, bnRun.var)).toBeNull();
  });

  it("without clipping (rMax = dMax = Infinity) normalizes with the running statistics: gamma·(x − μ)/σ + beta", () => {
    const p = problem(4, 10, 5);
    const eps = 1e-5;
    const run = copyStats(p.running);
    const { out } = batchrenormForward(p.x, p.gamma, p.beta, { mode: "train", running: p.running, rMax: Infinity, dMax: Infinity, eps });
    const want = p.x.clone();
    for (let i = 0; i < 10; i++) {
      for (let j = 0; j < 5; j++) {
        want.data[i * 5 + j] = (p.gamma.data[j]! * (p.x.data[i * 5 + j]! - run.mean[j]!)) / Math.sqrt(run.var[j]! + eps) + p.beta.data[j]!;
      }
    }
    expect(relError(out, want)).toBeLessThan(1e-10);
  });

  it("test mode is batch norm's test mode and leaves the running statistics alone", () => {
    const p = problem(5, 6, 3);
    const before = copyStats(p.running);
    const brn = batchrenormForward(p.x, p.gamma, p.beta, { mode: "test", running: p.running });
    const bn = batchnormForward(p.x, p.gamma, p.beta, { mode: "test", running: before });
    expect(firstBitDifference(brn.out, bn.out)).toBeNull();
    expect(firstBitDifference(p.running.mean, before.mean)).toBeNull();
    expect(firstBitDifference(p.running.var, before.var)).toBeNull();
  });
});

describe("batch renorm backward: centred differences (float64, h = 1e-5)", () => {
  // An element passes when its relative error is < 1e-7 or its absolute error < 1e-8.
  const tol = { relTol: 1e-7, absTol: 1e-8 };
  const check = (analytic: { dx: Tensor; dgamma: Tensor; dbeta: Tensor }, numeric: Map<string, Tensor>) =>
    gradcheckReport(new Map([["dx", analytic.dx], ["dgamma", analytic.dgamma], ["dbeta", analytic.dbeta]]), numeric, tol);

  it("train mode, r and d held fixed: dx, dgamma, dbeta match the fixed-r, d function's gradient", () => {
    const p = problem(6, 7, 5); // ragged N
    const eps = 1e-5;
    const param = { mode: "train" as const, rMax: 1.5, dMax: 0.5, eps };
    const { out, cache } = batchrenormForward(p.x, p.gamma, p.beta, { ...param, running: copyStats(p.running) });
    // r, d are not trivial here (some differ from 1 and 0 without being clipped)
    expect([...cache.r].some((a) => a !== 1 && a > 1 / 1.5 && a < 1.5)).toBe(true);
    expect([...cache.d].some((a) => a !== 0 && Math.abs(a) < 0.5)).toBe(true);
    const fixed = (): Tensor => renormFixed(p.x, p.gamma, p.beta, cache.r, cache.d, eps);
    expect(relError(fixed(), out)).toBeLessThan(1e-12); // the reference is the layer's function at this point
    const numeric = new Map([
      ["dx", evalNumericalGradientArray(fixed, p.x, p.dout)],
      ["dgamma", evalNumericalGradientArray(fixed, p.gamma, p.dout)],
      ["dbeta", evalNumericalGradientArray(fixed, p.beta, p.dout)],
    ]);
    const report = check(batchrenormBackward(p.dout, cache), numeric);
    expect(report.entries.filter((e) => !e.ok)).toEqual([]);
    expect(report.entries.find((e) => e.name === "dx")!.relError).toBeLessThan(1e-7);

    // NOTE: differentiating the layer itself (r, d recomputed from the perturbed x)
    // gives another gradient: r and d are deliberately not differentiated.
    const live = (): Tensor => batchrenormForward(p.x, p.gamma, p.beta, { ...param, running: copyStats(p.running) }).out;
    expect(relError(evalNumericalGradientArray(live, p.x, p.dout), batchrenormBackward(p.dout, cache).dx)).toBeGreaterThan(1e-3);
  });

  it("train mode with r and d clipped (locally constant): the layer itself gradient-checks", () => {
    const p = problem(7, 6, 4);
    // Running variance 100× the batch's and a mean far off: r = 1/rMax, d = ±dMax for every feature.
    const { mean, v } = colStats(p.x);
    const running = { mean: Float64Array.from(mean, (m, j) => m + (j % 2 ? 60 : -60) * Math.sqrt(v[j]!)), var: Float64Array.from(v, (a) => 100 * a) };
    const param = { mode: "train" as const, rMax: 2, dMax: 1 };
    const f = (): Tensor => batchrenormForward(p.x, p.gamma, p.beta, { ...param, running: copyStats(running) }).out;
    const { cache } = batchrenormForward(p.x, p.gamma, p.beta, { ...param, running: copyStats(running) });
    expect([...cache.r]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect([...cache.d].map(Math.abs)).toEqual([1, 1, 1, 1]);
    const numeric = new Map([
      ["dx", evalNumericalGradientArray(f, p.x, p.dout)],
      ["dgamma", evalNumericalGradientArray(f, p.gamma, p.dout)],
      ["dbeta", evalNumericalGradientArray(f, p.beta, p.dout)],
    ]);
    const report = check(batchrenormBackward(p.dout, cache), numeric);
    expect(report.entries.filter((e) => !e.ok)).toEqual([]);
  });

  it("test mode: the layer gradient-checks (the statistics are constants)", () => {
    const p = problem(8, 5, 4);
    const f = (): Tensor => batchrenormForward(p.x, p.gamma, p.beta, { mode: "test", running: p.running }).out;
    const numeric = new Map([
      ["dx", evalNumericalGradientArray(f, p.x, p.dout)],
      ["dgamma", evalNumericalGradientArray(f, p.gamma, p.dout)],
      ["dbeta", evalNumericalGradientArray(f, p.beta, p.dout)],
    ]);
    const report = check(batchrenormBackward(p.dout, batchrenormForward(p.x, p.gamma, p.beta, { mode: "test", running: p.running }).cache), numeric);
    expect(report.entries.filter((e) => !e.ok)).toEqual([]);
  });
});

describe("batch renorm argument errors", () => {
  const x = Tensor.zeros([4, 3], "float64");
  const g = Tensor.full([3], 1, "float64");
  const b = Tensor.zeros([3], "float64");
  const running = (): RunningStats => ({ mean: new Float64Array(3), var: new Float64Array(3).fill(1) });

  it("rejects rMax < 1, dMax < 0, NaN, missing running statistics and a bad mode", () => {
    expect(() => batchrenormForward(x, g, b, { mode: "train", running: running(), rMax: 0.5 })).toThrow(OptionError);
    expect(() => batchrenormForward(x, g, b, { mode: "train", running: running(), rMax: 0.5 })).toThrow("invalid bnParam.rMax: expected a number ≥ 1, got 0.5");
    expect(() => batchrenormForward(x, g, b, { mode: "train", running: running(), dMax: -1 })).toThrow("invalid bnParam.dMax: expected a number ≥ 0, got -1");
    expect(() => batchrenormForward(x, g, b, { mode: "train", running: running(), dMax: NaN })).toThrow("invalid bnParam.dMax");
    expect(() => batchrenormForward(x, g, b, { mode: "train" } as BatchrenormParam)).toThrow("invalid bnParam.running");
    expect(() => batchrenormForward(x, g, b, { mode: "eval" as "test", running: running() })).toThrow('invalid bnParam.mode: expected "train" or "test", got "eval"');
    expect(() => batchrenormForward(x, g, b, { mode: "train", running: { mean: new Float64Array(2), var: new Float64Array(2) } })).toThrow(
      "batchrenormForward: bnParam.running.mean must have shape (3), found (2)",
    );
  });
});
