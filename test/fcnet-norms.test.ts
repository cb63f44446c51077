/**
 * Group norm and batch renorm inside FullyConnectedNet: gradient checks (float64),
 * the bit-identities (groups = 1 is the layer-norm net, rMax = 1, dMax = 0 the
 * batch-norm net, through training), running statistics in snapshots, option errors.
 */
import { describe, expect, it } from "vitest";
import { FullyConnectedNet, OptionError, RandomState, Solver, Tensor, gradcheckReport, modelFromSpec, numericalModelGradients } from "../src/index.js";
import type { FullyConnectedNetOptions, ModelSnapshot } from "../src/index.js";
import { firstBitDifference } from "./helpers/bits.js";

const [N, D, H1, H2, C] = [4, 15, 20, 30, 10];
const base = { hiddenDims: [H1, H2], inputDim: D, numClasses: C, weightScale: 5e-2, dtype: "float64" as const, seed: 0 };

function problem(seed: number): { X: Tensor; y: Int32Array } {
  const rng = new RandomState(seed);
  return { X: rng.randn(N, D), y: rng.randint(0, C, N) };
}

/** Puts the running statistics of `snap` back, leaving the parameters (perturbed by the numerical gradient) as they are. */
function restoreRunning(model: FullyConnectedNet, snap: ModelSnapshot): void {
  model.restore({ params: new Map([...model.params].map(([name, t]) => [name, t.data])), buffers: snap.buffers });
}

/** Weights to 1e-3, everything else to 1e-5 (as test/fcnet.test.ts); ~0 gradients to 1e-8 absolute. */
function gradcheck(model: FullyConnectedNet, X: Tensor, y: Int32Array, beforeEach: () => void = () => {}) {
  beforeEach();
  const { grads } = model.loss(X, y);
  const numeric = numericalModelGradients(model, X, y, { beforeEach });
  return gradcheckReport(grads, numeric, { relTol: (n) => (n.startsWith("W") ? 1e-3 : 1e-5), absTol: 1e-8 });
}

describe("FullyConnectedNet gradient checks with the new normalizations (float64, N, D, H1, H2, C = 4, 15, 20, 30, 10)", () => {
  const { X, y } = problem(231);
  for (const groups of [1, 5, 10]) {
    for (const reg of [0, 3.14]) {
      it(`groupnorm, groups ${groups}, reg ${reg}`, () => {
        const model = new FullyConnectedNet({ ...base, reg, normalization: "groupnorm", groups });
        const report = gradcheck(model, X, y);
        for (const e of report.entries) expect(e.ok, `${e.name}: rel ${e.relError}, abs ${e.maxAbsError}`).toBe(true);
      });
    }
  }

  it("batchrenorm with r and d clipped at every unit (locally constant): the net's loss gradient-checks", () => {
    // NOTE: batch renorm's backward treats r and d as constants, so the net's numerical
    // gradient matches only where they do not move with the weights: running statistics
    // far from the batch's clip every r to 1/rMax and every d to ±dMax. The running
    // statistics are restored before every evaluation (loss moves them).
    const model = new FullyConnectedNet({ ...base, reg: 0.5, normalization: "batchrenorm", rMax: 2, dMax: 1.5 });
    const snap = model.snapshot();
    // (the running means alternate in sign, so d = +dMax keeps half the units alive after the ReLU)
    for (const [name, a] of snap.buffers) a.forEach((_, j) => (a[j] = name.startsWith("runningVar") ? 1e4 : j % 2 ? 1e3 : -1e3));
    model.restore(snap);
    const report = gradcheck(model, X, y, () => restoreRunning(model, snap));
    for (const e of report.entries) expect(e.ok, `${e.name}: rel ${e.relError}, abs ${e.maxAbsError}`).toBe(true);
    const { grads } = model.loss(X, y);
    for (const name of ["W1", "gamma1", "W2", "gamma2"]) expect(Math.max(...grads.get(name)!.data.map(Math.abs)), name).toBeGreaterThan(1e-4);
    // and the clipping is what makes it hold: with r and d free (no clipping) it does not
    const free = new FullyConnectedNet({ ...base, normalization: "batchrenorm", rMax: Infinity, dMax: Infinity });
    const fsnap = free.snapshot();
    for (const [name, a] of fsnap.buffers) a.fill(name.startsWith("runningVar") ? 0.02 : 0);
    free.restore(fsnap);
    expect(gradcheck(free, X, y, () => restoreRunning(free, fsnap)).ok).toBe(false);
  });

  it("batchrenorm with rMax = 1, dMax = 0 gradient-checks as batch norm does", () => {
    const model = new FullyConnectedNet({ ...base, normalization: "batchrenorm", rMax: 1, dMax: 0 });
    const snap = model.snapshot();
    const report = gradcheck(model, X, y, () => restoreRunning(model, snap));
    for (const e of report.entries) expect(e.ok, `${e.name}: rel ${e.relError}, abs ${e.maxAbsError}`).toBe(true);
  });
});

/** Trains a small float32 net for a few Solver iterations; returns its loss history and final state. */
function train(options: Partial<FullyConnectedNetOptions>) {
  const rng = new RandomState(3);
  const X = rng.randn(60, D).astype("float32");
  const y = rng.randint(0, C, 60);
  const data = { xTrain: X, yTrain: y, xVal: X.rows(0, 20), yVal: y.subarray(0, 20) };
  const model = new FullyConnectedNet({ hiddenDims: [H1, H2], inputDim: D, numClasses: C, weightScale: 5e-2, seed: 7, ...options });
  const solver = new Solver(model, data, { numEpochs: 2, batchSize: 10, updateRule: "adam", optimConfig: { learningRate: 1e-3 }, seed: 1 });
  solver.train();
  return { model, lossHistory: Float64Array.from(solver.lossHistory), snap: model.snapshot(), scores: model.scores(X) };
}

describe("bit-identities inside the net (float32, 12 Solver iterations)", () => {
  it("groupnorm with groups = 1 is the layer-norm net: losses, parameters, scores", () => {
    const gn = train({ normalization: "groupnorm", groups: 1 });
    const ln = train({ normalization: "layernorm" });
    expect(firstBitDifference(gn.lossHistory, ln.lossHistory)).toBeNull();
    for (const [name, p] of ln.snap.params) expect(firstBitDifference(gn.snap.params.get(name)!, p), name).toBeNull();
    expect(firstBitDifference(gn.scores, ln.scores)).toBeNull();
  });

  it("batchrenorm with rMax = 1, dMax = 0 is the batch-norm net: losses, parameters, running statistics, scores", () => {
    const brn = train({ normalization: "batchrenorm", rMax: 1, dMax: 0 });
    const bn = train({ normalization: "batchnorm" });
    expect(brn.lossHistory.length).toBe(12);
    expect(firstBitDifference(brn.lossHistory, bn.lossHistory)).toBeNull();
    for (const [name, p] of bn.snap.params) expect(firstBitDifference(brn.snap.params.get(name)!, p), name).toBeNull();
    expect([...brn.snap.buffers.keys()]).toEqual([...bn.snap.buffers.keys()]);
    for (const [name, a] of bn.snap.buffers) expect(firstBitDifference(brn.snap.buffers.get(name)!, a), name).toBeNull();
    expect(firstBitDifference(brn.scores, bn.scores)).toBeNull();
    // and the default bounds train differently
    expect(firstBitDifference(train({ normalization: "batchrenorm" }).lossHistory, bn.lossHistory)).not.toBeNull();
  });
});

describe("batch renorm's running statistics in the net", () => {
  it("are in snapshots (runningMean1, runningVar1, …), move in loss and not in a trace", () => {
    const model = new FullyConnectedNet({ ...base, normalization: "batchrenorm" });
    const { X, y } = problem(4);
    const s0 = model.snapshot();
    expect([...s0.buffers.keys()]).toEqual(["runningMean1", "runningVar1", "runningMean2", "runningVar2"]);
    model.trace(X, y, { mode: "train" });
    for (const [name, a] of model.snapshot().buffers) expect(firstBitDifference(a, s0.buffers.get(name)!), name).toBeNull();
    model.loss(X, y);
    expect(firstBitDifference(model.snapshot().buffers.get("runningVar1")!, s0.buffers.get("runningVar1")!)).not.toBeNull();
    model.restore(s0);
    for (const [name, a] of model.snapshot().buffers) expect(firstBitDifference(a, s0.buffers.get(name)!), name).toBeNull();
  });
});

describe("option errors of the new normalizations", () => {
  const o = { hiddenDims: [10, 20], inputDim: 3, numClasses: 2 };
  const bad: [Partial<FullyConnectedNetOptions>, string][] = [
    [{ normalization: "groupnorm", groups: 3 }, "invalid groups: expected a divisor of every hidden size (10, 20), got 3"],
    [{ normalization: "groupnorm", groups: 0 }, "invalid groups: expected a positive integer, got 0"],
    [{ normalization: "batchnorm", groups: 2 }, 'invalid groups: expected normalization "groupnorm", got "batchnorm"'],
    [{ normalization: "batchrenorm", rMax: 0.5 }, "invalid rMax: expected a number ≥ 1, got 0.5"],
    [{ normalization: "batchrenorm", dMax: -1 }, "invalid dMax: expected a number ≥ 0, got -1"],
    [{ normalization: "layernorm", dMax: 1 }, 'invalid dMax: expected normalization "batchrenorm", got "layernorm"'],
  ];
  for (const [opts, message] of bad) {
    it(message, () => {
      expect(() => new FullyConnectedNet({ ...o, ...opts })).toThrow(OptionError);
      expect(() => new FullyConnectedNet({ ...o, ...opts })).toThrow(message);
    });
  }

  it("group norm's default is the largest G ≤ 5 dividing every hidden size: 5 for the notebook's nets (100 and 50 units)", () => {
    const G = (hiddenDims: number[]): number | null => new FullyConnectedNet({ hiddenDims, inputDim: 3, normalization: "groupnorm" }).normSettings.groups;
    expect(G([100, 100, 100, 100, 100])).toBe(5);
    expect(G([50, 50, 50, 50, 50, 50, 50])).toBe(5);
    expect(G([64, 32])).toBe(4);
    expect(G([6, 9])).toBe(3);
    expect(G([7])).toBe(1);
  });
});

describe("spec() carries the new options", () => {
  for (const opts of [{ normalization: "groupnorm", groups: 2 }, { normalization: "batchrenorm", rMax: 1.5, dMax: 0.5 }] as Partial<FullyConnectedNetOptions>[]) {
    it(`${opts.normalization}: modelFromSpec(spec()) restored from a snapshot scores bit for bit the same`, () => {
      const net = new FullyConnectedNet({ hiddenDims: [6, 4], inputDim: 5, numClasses: 3, seed: 2, weightScale: 0.3, ...opts });
      const rng = new RandomState(6);
      const X = rng.randn(7, 5).astype("float32");
      net.loss(X, rng.randint(0, 3, 7)); // moves batch renorm's running statistics
      const spec = net.spec()!;
      expect(spec.options).toMatchObject(opts);
      const copy = modelFromSpec(JSON.parse(JSON.stringify(spec)) as typeof spec);
      copy.restore(net.snapshot());
      expect(firstBitDifference(copy.scores(X), net.scores(X))).toBeNull();
    });
  }
});
