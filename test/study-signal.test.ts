/**
 * The signal study's measurements and cell 7's per-run probes: the per-layer
 * statistics against a forward pass written out here on a tiny float64 net (and
 * the input gradient against centred differences), the update-to-weight ratio
 * against a step taken by hand, training with probes bit for bit training
 * without them, and the notebook's answer quoting the probes' numbers (the
 * CIFAR-10 sample, seed 231).
 */
import { describe, expect, it } from "vitest";
import { RandomState } from "../src/core/random.js";
import { Tensor, type FloatArray } from "../src/core/tensor.js";
import { getCifar10Data } from "../src/data/index.js";
import { syntheticCifar } from "../src/data/synthetic.js";
import { sig, writeAnswer } from "../src/experiments/answer.js";
import { deadFractionOf, normOf, probeBatch, signalProbe, stdOf, UpdateRatioTracker } from "../src/experiments/signal.js";
import { logspace, runSweepJob, SWEEP_DEFAULTS, sweepExperiment, sweepJobs, sweepShape, type SweepOptions } from "../src/experiments/sweep.js";
import { createNet, createSolver, subsetData } from "../src/experiments/training.js";
import { evalNumericalGradient } from "../src/gradcheck/index.js";
import { FullyConnectedNet } from "../src/models/fc-net.js";
import { resultsSchema } from "../src/report/schema.js";
import { signalFindings, signalStudy, SIGNAL_QUICK, type SignalResult } from "../src/studies/signal/index.js";
import { layerStats } from "../web/src/probe.js";
import { samplePath } from "./helpers/env.js";

const N = 8;
const D = 4;

function tiny(normalization: "batchnorm" | null): { model: FullyConnectedNet; X: Tensor; y: Int32Array } {
  const model = new FullyConnectedNet({ hiddenDims: [6, 5], inputDim: D, numClasses: 3, normalization, dtype: "float64", weightScale: 0.7, seed: 5 });
  const rng = new RandomState(11);
  const X = new Tensor(Float64Array.from(rng.randn(N, D).data), [N, D]);
  const y = Int32Array.from({ length: N }, (_, i) => i % 3);
  return { model, X, y };
}

/** x·W + b for x (n, d) and W (d, m), written out. */
function affine(x: number[][], W: FloatArray, b: FloatArray, m: number): number[][] {
  return x.map((row) => Array.from({ length: m }, (_, j) => row.reduce((s, v, k) => s + v * W[k * m + j]!, b[j]!)));
}

/** Batch norm over the rows with eps 1e-5 (biased variance), gamma and beta. */
function bn(a: number[][], gamma: FloatArray, beta: FloatArray): number[][] {
  const m = a[0]!.length;
  const mean = Array.from({ length: m }, (_, j) => a.reduce((s, r) => s + r[j]!, 0) / a.length);
  const vr = Array.from({ length: m }, (_, j) => a.reduce((s, r) => s + (r[j]! - mean[j]!) ** 2, 0) / a.length);
  return a.map((r) => r.map((v, j) => (gamma[j]! * (v - mean[j]!)) / Math.sqrt(vr[j]! + 1e-5) + beta[j]!));
}

const flat = (a: number[][]): Float64Array => Float64Array.from(a.flat());
const rel = (a: number, b: number): number => Math.abs(a - b) / Math.max(1e-300, Math.abs(a) + Math.abs(b));

describe("signalProbe agrees with a direct computation (float64)", () => {
  for (const normalization of [null, "batchnorm"] as const) {
    it(`${normalization ?? "baseline"}: std of the affine output and of the ReLU input, dead units, gradient norms`, () => {
      const { model, X, y } = tiny(normalization);
      const p = (n: string): FloatArray => model.params.get(n)!.data;
      const before = model.snapshot();
      const s = signalProbe(model, X, y);
      // The forward pass by hand.
      let h: number[][] = Array.from({ length: N }, (_, i) => Array.from(X.data.subarray(i * D, (i + 1) * D)));
      const dims = [6, 5];
      dims.forEach((m, i) => {
        const a = affine(h, p(`W${i + 1}`), p(`b${i + 1}`), m);
        const pre = normalization === null ? a : bn(a, p(`gamma${i + 1}`), p(`beta${i + 1}`));
        const all = a.flat();
        const mean = all.reduce((u, v) => u + v, 0) / all.length;
        const std = Math.sqrt(all.reduce((u, v) => u + (v - mean) ** 2, 0) / all.length);
        expect(rel(s.affineStd[i]!, std), `layer ${i + 1} affine std`).toBeLessThan(1e-12);
        expect(rel(s.preActStd[i]!, stdOf(flat(pre)))).toBeLessThan(1e-12);
        const dead = Array.from({ length: m }, (_, j) => pre.every((r) => r[j]! <= 0)).filter(Boolean).length / m;
        expect(s.deadFraction[i], `layer ${i + 1} dead fraction`).toBe(dead);
        h = pre.map((r) => r.map((v) => Math.max(0, v)));
      });
      // ∂L/∂h of the last hidden layer by hand: softmax(scores) − onehot, over N, times W3ᵀ.
      const scores = affine(h, p("W3"), p("b3"), 3);
      const dh = scores.map((r, i) => {
        const mx = Math.max(...r);
        const e = r.map((v) => Math.exp(v - mx));
        const z = e.reduce((u, v) => u + v, 0);
        const ds = e.map((v, c) => (v / z - (c === y[i] ? 1 : 0)) / N);
        return Array.from({ length: 5 }, (_, k) => ds.reduce((u, v, c) => u + v * p("W3")[k * 3 + c]!, 0));
      });
      expect(rel(s.outputGradNorm[1]!, normOf(flat(dh)))).toBeLessThan(1e-12);
      // ∂L/∂x (layer 1's input) by centred differences; ‖∂L/∂W‖ as `loss` returns it.
      const num = evalNumericalGradient(() => model.loss(X, y).loss, X, 1e-6);
      expect(rel(s.inputGradNorm[0]!, normOf(num.data))).toBeLessThan(1e-6);
      model.restore(before);
      const g = model.loss(X, y).grads;
      model.restore(before);
      expect(s.weightGradNorm).toEqual([normOf(g.get("W1")!.data), normOf(g.get("W2")!.data)]);
      expect(s.loss).toBe(model.loss(X, y).loss);
    });
  }

  it("a probe changes nothing: parameters, running statistics and the model's stream stay as they were", () => {
    const { model, X, y } = tiny("batchnorm");
    model.loss(X, y); // some running statistics to keep
    const snap = model.snapshot();
    const state = model.rng.getState();
    signalProbe(model, X, y);
    const after = model.snapshot();
    for (const [k, v] of snap.params) expect(after.params.get(k), k).toEqual(v);
    for (const [k, v] of snap.buffers) expect(after.buffers.get(k), k).toEqual(v);
    expect(model.rng.getState()).toEqual(state);
  });

  it("dead units: a NaN is not alive; std and norm in float64", () => {
    expect(deadFractionOf(new Tensor(Float64Array.from([1, 0, NaN, -1, 0, -2]), [2, 3]))).toBe(2 / 3);
    expect(stdOf(Float32Array.from([1, 3]))).toBe(1);
    expect(normOf(Float32Array.from([3, 4]))).toBe(5);
  });
});

describe("the playground's per-layer statistics are the signal study's", () => {
  it("dead fraction and ‖∂L/∂W‖ per layer equal signalProbe's", () => {
    for (const normalization of [null, "batchnorm"] as const) {
      const { model, X, y } = tiny(normalization);
      const s = signalProbe(model, X, y);
      const live = layerStats(model, X, y);
      expect(live.map((l) => l.dead)).toEqual(s.deadFraction);
      expect(live.map((l) => l.weightGrad)).toEqual(s.weightGradNorm);
    }
  });
});

describe("UpdateRatioTracker", () => {
  it("is ‖ΔW‖/‖W‖ of each step, the geometric mean over its window", () => {
    const { model, X, y } = tiny(null);
    const t1 = new UpdateRatioTracker(model, 1);
    const t2 = new UpdateRatioTracker(model, 2);
    const want: number[][] = [[], [], []];
    for (let step = 0; step < 4; step++) {
      const w0 = ["W1", "W2", "W3"].map((n) => model.params.get(n)!.data.slice());
      const g = model.loss(X, y).grads;
      for (const [n, prm] of model.params) prm.data.forEach((v, k, a) => (a[k] = v - 0.1 * g.get(n)!.data[k]!));
      w0.forEach((w, i) => {
        const now = model.params.get(`W${i + 1}`)!.data;
        want[i]!.push(normOf(now.map((v, k) => v - w[k]!)) / normOf(w));
      });
      t1.record();
      t2.record();
    }
    expect(t1.steps).toEqual([1, 2, 3, 4]);
    t1.ratios.forEach((r, i) => r.forEach((v, k) => expect(rel(v, want[i]![k]!)).toBeLessThan(1e-12)));
    expect(t2.steps).toEqual([2, 4]);
    t2.ratios.forEach((r, i) => r.forEach((v, k) => expect(rel(v, Math.sqrt(want[i]![2 * k]! * want[i]![2 * k + 1]!))).toBeLessThan(1e-12)));
  });
});

describe("probes leave training bit for bit as it was", () => {
  const data = subsetData(syntheticCifar({ numTrain: 120, numVal: 40, seed: 2 }), 120, 40);
  const o: SweepOptions = { ...SWEEP_DEFAULTS, hiddenDims: [12, 12, 12], numTrain: 120, numVal: 40, numEpochs: 2, batchSize: 20, weightScales: [5e-2], normalizations: ["batchnorm", "none"] };
  const jobs = sweepJobs(o, 231, sweepShape(data));

  it("the sweep's runs with probes and the study's hooks equal plain Solver runs from the same states", () => {
    for (const job of jobs) {
      // Plain: the model and Solver from the job's states, no probe, no hook.
      const rng = new RandomState(job.runSeed);
      rng.setState(job.modelState);
      const model = createNet(o, job.shape.inputDim, job.normalization, job.weightScale, "float32", rng);
      rng.setState(job.solverState);
      let last: ReadonlyMap<string, FloatArray> | null = null;
      const solver = createSolver(model, data, o, o.batchSize, rng, (done, total) => {
        if (done === total) last = model.snapshot().params;
      });
      solver.train();
      let hooked: ReadonlyMap<string, FloatArray> | null = null;
      let tracker: UpdateRatioTracker | null = null;
      const p = runSweepJob(data, o, job, undefined, undefined, {
        start: (m) => (tracker = new UpdateRatioTracker(m, 1)),
        afterStep: (m, it) => {
          tracker!.record();
          if (it === solver.numIterations) hooked = m.snapshot().params;
        },
      });
      const q = runSweepJob(data, o, job);
      const label = `${job.normalization} ${job.weightScale}`;
      for (const point of [p, q]) {
        expect(point.trainAccHistory, label).toEqual(solver.trainAccHistory);
        expect(point.bestValAcc, label).toBe(Math.max(...solver.valAccHistory));
        const tail = solver.lossHistory.slice(-100);
        expect(point.finalLoss, label).toBe(tail.reduce((a, b) => a + b, 0) / tail.length);
      }
      for (const [k, v] of last!) expect(hooked!.get(k), `${label} ${k}`).toEqual(v);
      // The end probe is of the trained weights (before the Solver puts back its best model).
      model.restore({ params: last!, buffers: model.snapshot().buffers });
      const pb = probeBatch(data);
      expect(p.signal!.end.preActStd).toEqual(signalProbe(model, pb.X, pb.y).preActStd);
      expect(p.signal).toEqual(q.signal);
    }
  });
});

describe("the signal study's findings follow its numbers", () => {
  it("shrank / grew follows the sign of the measured change", () => {
    const data = syntheticCifar({ numTrain: 60, numVal: 20, seed: 1 });
    const o = { ...SIGNAL_QUICK, sweep: { ...SIGNAL_QUICK.sweep, hiddenDims: [8, 8, 8], numTrain: 60, numVal: 20, numEpochs: 1, batchSize: 20, weightScales: [1e-3, 1] }, deepNet: null };
    const sub = subsetData(data, 60, 20);
    const shape = { numTrain: 60, numVal: 20, inputDim: 3072 };
    const parts = signalStudy.plan(o, 3, shape).map((j) => signalStudy.runJob(sub, o, j));
    const r: SignalResult = signalStudy.assemble(o, 3, shape, parts);
    const f = signalFindings(r);
    const vanishing = f.find((x) => x.id === "vanishing")!;
    expect(vanishing.values.noneSignalDecades).toBeLessThan(-1);
    expect(vanishing.text).toMatch(/without batch norm it shrank by \d+\.\d orders/);
    // Swap the two layers' signal: the same sentence now says the signal grew.
    const flipped = structuredClone(r);
    for (const run of flipped.runs) run.signal.init.preActStd.reverse();
    expect(signalFindings(flipped).find((x) => x.id === "vanishing")!.text).toMatch(/without batch norm it grew by \d+\.\d orders/);
  });
});

const sample = samplePath();

describe.skipIf(sample === null)("the notebook's answer quotes the per-layer probes (the sample, seed 231)", () => {
  it("cites at least two per-layer measurements, equal to the sweep's numbers", () => {
    const data = getCifar10Data({ dir: sample!, numTraining: "rest", numValidation: 1000, numTest: 1000 });
    const o: SweepOptions = { ...SWEEP_DEFAULTS, numTrain: 200, numVal: 200, numEpochs: 1, weightScales: logspace(-4, 0, 2) };
    const sweep = sweepExperiment(data, o, 231);
    const answer = writeAnswer(null, sweep);
    const text = answer.reasons.join("\n");
    const base = sweep.points.find((p) => p.normalization === "none" && p.weightScale === 1e-4)!.signal!.init;
    const bnBig = sweep.points.find((p) => p.normalization === "batchnorm" && p.weightScale === 1)!.signal!.init;
    const cited = [base.preActStd[0]!, base.preActStd[6]!, base.outputGradNorm[6]!, base.outputGradNorm[0]!, bnBig.preActStd[6]!, base.weightGradNorm[0]!];
    for (const x of cited) expect(text).toContain(sig(x));
    expect(text).toContain(`shrank by ${Math.abs(Math.log10(base.preActStd[6]! / base.preActStd[0]!)).toFixed(1)} orders of magnitude (${sig(base.preActStd[0]!)} to ${sig(base.preActStd[6]!)})`);
    const f = answer.facts.signal!;
    expect(f.smallest.map((x) => x.normalization)).toEqual(["none", "batchnorm"]);
    expect(f.smallest[0]!.signalLast).toBe(base.preActStd[6]);
    // The probes go into results.json: a point with them passes the schema's sweep point.
    const point = resultsSchema.shape.cells.shape.sweep.shape.points.element.safeParse(sweep.points[0]);
    expect(point.success).toBe(true);
  }, 60_000);
});
