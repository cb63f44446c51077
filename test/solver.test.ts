/**
 * The Solver: equivalence with the assignment's solver.py run in numpy
 * (test/fixtures/optim-solver.json from scripts/fixtures/solver.py), its
 * bookkeeping, best-model restore, determinism, divergence and option errors,
 * and a batch-norm FullyConnectedNet overfitting 50 samples.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { FullyConnectedNet, OptionError, RandomState, Solver, Tensor, skipSolverDraws } from "../src/node.js";
import type { Dataset, Labels, Model, ModelSnapshot, SolverDrawPlan, SolverOptions, SolverProgress } from "../src/node.js";
import { repoRoot } from "./helpers/env.js";

/**
 * A linear softmax classifier, float64: scores = X·W + b, loss = softmax + 0.5·reg·ΣW².
 * It also keeps a running mean of its inputs (updated in train mode) as a stand-in for
 * batch-norm statistics, to check that the Solver restores buffers with the parameters.
 */
class LinearSoftmax implements Model {
  readonly dtype = "float64" as const;
  readonly params: Map<string, Tensor>;
  readonly runningMean: Float64Array;
  constructor(
    readonly D: number,
    readonly C: number,
    readonly reg: number,
    rng: RandomState,
  ) {
    const W = rng.randn(D, C);
    for (let i = 0; i < W.size; i++) W.data[i] = 1e-2 * W.data[i]!;
    this.params = new Map([
      ["W", W],
      ["b", Tensor.zeros([C], "float64")],
    ]);
    this.runningMean = new Float64Array(D);
  }

  scores(X: Tensor): Tensor {
    const N = X.shape[0]!;
    const { D, C } = this;
    const W = this.params.get("W")!.data;
    const b = this.params.get("b")!.data;
    const out = Tensor.zeros([N, C], "float64");
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < C; j++) {
        let s = 0;
        for (let k = 0; k < D; k++) s += X.data[i * D + k]! * W[k * C + j]!;
        out.data[i * C + j] = s + b[j]!;
      }
    }
    return out;
  }

  loss(X: Tensor, y: Labels): { loss: number; grads: Map<string, Tensor> } {
    const N = X.shape[0]!;
    const { D, C } = this;
    for (let k = 0; k < D; k++) {
      let m = 0;
      for (let i = 0; i < N; i++) m += X.data[i * D + k]!;
      this.runningMean[k] = 0.9 * this.runningMean[k]! + 0.1 * (m / N);
    }
    const s = this.scores(X).data;
    const dW = Tensor.zeros([D, C], "float64");
    const db = Tensor.zeros([C], "float64");
    let loss = 0;
    const ds = new Float64Array(C);
    for (let i = 0; i < N; i++) {
      let max = -Infinity;
      for (let j = 0; j < C; j++) max = Math.max(max, s[i * C + j]!);
      let Z = 0;
      for (let j = 0; j < C; j++) Z += Math.exp(s[i * C + j]! - max);
      const logZ = Math.log(Z);
      for (let j = 0; j < C; j++) {
        const logp = s[i * C + j]! - max - logZ;
        if (j === y[i]) loss -= logp / N;
        ds[j] = (Math.exp(logp) - (j === y[i] ? 1 : 0)) / N;
      }
      for (let j = 0; j < C; j++) {
        db.data[j]! += ds[j]!;
        for (let k = 0; k < D; k++) dW.data[k * C + j]! += X.data[i * D + k]! * ds[j]!;
      }
    }
    const W = this.params.get("W")!.data;
    let sq = 0;
    for (let i = 0; i < W.length; i++) {
      sq += W[i]! * W[i]!;
      dW.data[i]! += this.reg * W[i]!;
    }
    loss += 0.5 * this.reg * sq;
    return { loss, grads: new Map([["W", dW], ["b", db]]) };
  }

  snapshot(): ModelSnapshot {
    return {
      params: new Map([...this.params].map(([k, t]) => [k, t.data.slice()])),
      buffers: new Map([["runningMean", this.runningMean.slice()]]),
    };
  }

  restore(s: ModelSnapshot): void {
    for (const [k, t] of this.params) t.data.set(s.params.get(k)!);
    this.runningMean.set(s.buffers.get("runningMean")!);
  }
}

interface SolverCase {
  seed: number;
  rule: string;
  optimConfig: { learningRate: number };
  lrDecay: number;
  batchSize: number;
  numEpochs: number;
  numTrainSamples: number;
  numValSamples: number | null;
  reg: number;
  xTrain: number[];
  yTrain: number[];
  xVal: number[];
  yVal: number[];
  D: number;
  C: number;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  bestW: number[];
  bestB: number[];
}

const fixture = JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "optim-solver.json"), "utf8")) as { cases: SolverCase[] };

function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, tol: number): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    expect(Math.abs(got[i]! - want[i]!), `index ${i}: ${got[i]} vs ${want[i]}`).toBeLessThanOrEqual(tol * Math.max(1, Math.abs(want[i]!)));
  }
}

/** Gaussian blobs: class centres plus unit noise, float64. */
function blobs(rng: RandomState, nTrain: number, nVal: number, D: number, C: number, spread = 1.5): Dataset {
  const centres = rng.randn(C, D).data;
  const make = (n: number): [Tensor, Int32Array] => {
    const y = rng.randint(0, C, n);
    const X = rng.randn(n, D);
    for (let i = 0; i < n; i++) for (let k = 0; k < D; k++) X.data[i * D + k]! += spread * centres[y[i]! * D + k]!;
    return [X, y];
  };
  const [xTrain, yTrain] = make(nTrain);
  const [xVal, yVal] = make(nVal);
  return { xTrain, yTrain, xVal, yVal };
}

describe("Solver equals the assignment's solver.py (numpy, float64)", () => {
  for (const c of fixture.cases) {
    it(`${c.rule}, seed ${c.seed}: loss history, accuracies and best parameters`, () => {
      // One stream for everything, as the assignment's global np.random.
      const rng = new RandomState(c.seed);
      const centres = rng.randn(c.C, c.D);
      rng.randint(0, c.C, c.yTrain.length);
      rng.randint(0, c.C, c.yVal.length);
      rng.randn(c.yTrain.length, c.D);
      rng.randn(c.yVal.length, c.D);
      expect(centres.size).toBe(c.C * c.D);
      const data: Dataset = {
        xTrain: Tensor.from(c.xTrain, [c.yTrain.length, c.D], "float64"),
        yTrain: Int32Array.from(c.yTrain),
        xVal: Tensor.from(c.xVal, [c.yVal.length, c.D], "float64"),
        yVal: Int32Array.from(c.yVal),
      };
      const model = new LinearSoftmax(c.D, c.C, c.reg, rng);
      const solver = new Solver(model, data, {
        updateRule: c.rule,
        optimConfig: c.optimConfig,
        lrDecay: c.lrDecay,
        batchSize: c.batchSize,
        numEpochs: c.numEpochs,
        numTrainSamples: c.numTrainSamples,
        numValSamples: c.numValSamples,
        rng,
      });
      solver.train();
      expectClose(solver.lossHistory, c.lossHistory, 1e-6);
      expect(solver.trainAccHistory).toEqual(c.trainAccHistory);
      expect(solver.valAccHistory).toEqual(c.valAccHistory);
      expect(solver.bestValAcc).toBe(c.bestValAcc);
      expectClose(model.params.get("W")!.data, c.bestW, 1e-6);
      expectClose(model.params.get("b")!.data, c.bestB, 1e-6);
    });
  }
});

describe("Solver bookkeeping", () => {
  const base = (): { model: LinearSoftmax; data: Dataset } => {
    const rng = new RandomState(7);
    const data = blobs(rng, 64, 40, 5, 3);
    return { model: new LinearSoftmax(5, 3, 0, rng), data };
  };

  it("iterations, checks, learning-rate decay and progress reports follow the assignment", () => {
    const { model, data } = base();
    const reports: SolverProgress[] = [];
    const solver = new Solver(model, data, {
      updateRule: "sgdMomentum",
      optimConfig: { learningRate: 0.1 },
      lrDecay: 0.5,
      batchSize: 20, // 64 / 20 -> 3 iterations per epoch
      numEpochs: 4,
      numTrainSamples: 30,
      seed: 1,
      onProgress: (p) => reports.push(p),
    });
    expect(solver.iterationsPerEpoch).toBe(3);
    solver.train();
    expect(solver.lossHistory).toHaveLength(12);
    // first iteration + 4 epoch ends (the last iteration is one of them)
    expect(solver.trainAccHistory).toHaveLength(5);
    expect(solver.valAccHistory).toHaveLength(5);
    expect(solver.accIterations).toEqual([1, 3, 6, 9, 12]);
    expect(solver.epoch).toBe(4);
    for (const cfg of solver.optimConfigs.values()) expect(cfg.learningRate).toBeCloseTo(0.1 * 0.5 ** 4, 15);
    expect(reports.map((r) => r.iteration)).toEqual([...Array(12).keys()].map((i) => i + 1));
    expect(reports.filter((r) => r.valAcc !== undefined).map((r) => r.iteration)).toEqual([1, 3, 6, 9, 12]);
    expect(reports.every((r) => r.numIterations === 12)).toBe(true);
    expect(reports[11]!.epoch).toBe(4);
    // Training on separable blobs improves on the first check.
    expect(solver.bestValAcc).toBe(Math.max(...solver.valAccHistory));
    expect(solver.lossHistory[11]!).toBeLessThan(solver.lossHistory[0]!);
  });

  it("a batch larger than the training set still gives one iteration per epoch", () => {
    const { model, data } = base();
    const solver = new Solver(model, data, { batchSize: 500, numEpochs: 3, seed: 2 });
    solver.train();
    expect(solver.lossHistory).toHaveLength(3);
    // every iteration ends an epoch; the first check is also the first epoch end
    expect(solver.trainAccHistory).toHaveLength(3);
    expect(solver.accIterations).toEqual([1, 2, 3]);
  });

  it("data of another dtype than the model is converted into the minibatch buffers", () => {
    const run = (toF32: boolean): number[] => {
      const { model, data } = base();
      const round = (t: Tensor): Tensor => t.astype("float32").astype(toF32 ? "float32" : "float64");
      const d = { ...data, xTrain: round(data.xTrain), xVal: round(data.xVal) };
      const s = new Solver(model, d, { batchSize: 10, numEpochs: 2, numTrainSamples: 20, seed: 9 });
      s.train();
      return [...s.lossHistory, ...s.trainAccHistory, ...s.valAccHistory];
    };
    expect(run(true)).toEqual(run(false));
  });

  it("restores the best parameters and buffers (by validation accuracy), not the last", () => {
    const { model, data } = base();
    const snaps: { valAcc: number; snap: ModelSnapshot }[] = [];
    const solver = new Solver(model, data, {
      updateRule: "sgd",
      optimConfig: { learningRate: 3 }, // large steps: validation accuracy goes up and down
      batchSize: 8,
      numEpochs: 6,
      seed: 4,
      onProgress: (p) => {
        if (p.valAcc !== undefined) snaps.push({ valAcc: p.valAcc, snap: model.snapshot() });
      },
    });
    solver.train();
    const accs = solver.valAccHistory;
    const bestIdx = accs.indexOf(Math.max(...accs));
    expect(bestIdx).toBeLessThan(accs.length - 1); // this run's best is not its last check
    const best = snaps[bestIdx]!.snap;
    expect(Array.from(model.params.get("W")!.data)).toEqual(Array.from(best.params.get("W")!));
    expect(Array.from(model.runningMean)).toEqual(Array.from(best.buffers.get("runningMean")!));
    expect(solver.checkAccuracy(data.xVal, data.yVal)).toBe(solver.bestValAcc);
  });

  it("the same seed gives the same run; another seed another", () => {
    const run = (seed: number): number[] => {
      const { model, data } = base();
      const s = new Solver(model, data, { updateRule: "adam", optimConfig: { learningRate: 1e-2 }, batchSize: 10, numEpochs: 2, seed });
      s.train();
      return [...s.lossHistory, ...s.trainAccHistory];
    };
    expect(run(5)).toEqual(run(5));
    expect(run(5)).not.toEqual(run(6));
  });

  it("a diverging run is recorded, not thrown, and accuracy is still measured", () => {
    const { model, data } = base();
    for (let i = 0; i < data.xTrain.size; i++) data.xTrain.data[i] = data.xTrain.data[i]! * 1e3;
    const solver = new Solver(model, data, { updateRule: "sgd", optimConfig: { learningRate: 1e300 }, batchSize: 16, numEpochs: 3, seed: 3 });
    expect(() => solver.train()).not.toThrow();
    expect(solver.lossHistory).toHaveLength(12);
    expect(solver.lossHistory.some((l) => !Number.isFinite(l))).toBe(true);
    expect(solver.trainAccHistory).toHaveLength(4);
    for (const a of [...solver.trainAccHistory, ...solver.valAccHistory]) expect(a >= 0 && a <= 1).toBe(true);
  });

  it("NaN scores predict class 0 (numpy's argmax takes the first NaN)", () => {
    const { model, data } = base();
    model.params.get("W")!.data.fill(Number.NaN);
    const solver = new Solver(model, data, { seed: 0 });
    const zeros = data.yVal.filter((c) => c === 0).length;
    expect(solver.checkAccuracy(data.xVal, data.yVal)).toBe(zeros / data.yVal.length);
  });

  it("rejects bad options, naming the option and the value", () => {
    const { model, data } = base();
    const bad = (o: Record<string, unknown>, re: RegExp): void => {
      expect(() => new Solver(model, data, o as SolverOptions)).toThrow(OptionError);
      expect(() => new Solver(model, data, o as SolverOptions)).toThrow(re);
    };
    bad({ batchSize: 0 }, /batchSize.*0/);
    bad({ batchSize: 2.5 }, /batchSize.*2\.5/);
    bad({ numEpochs: -1 }, /numEpochs.*-1/);
    bad({ lrDecay: Number.NaN }, /lrDecay.*NaN/);
    bad({ updateRule: "adagrad" }, /updateRule.*"adagrad"/);
    bad({ optimConfig: { learning_rate: 1e-3 } }, /optimConfig\.learning_rate/);
    bad({ optimConfig: { learningRate: -1 } }, /optimConfig\.learningRate.*-1/);
    bad({ updateRule: "adam", optimConfig: { m: new Float64Array(3) } }, /optimConfig\.m/);
    bad({ numTrainSamples: 0 }, /numTrainSamples.*0/);
    bad({ numValSamples: -5 }, /numValSamples.*-5/);
    bad({ batch_size: 10 }, /batch_size/);
    bad({ seed: -1 }, /seed.*-1/);
    const withData = (d: Partial<Dataset>, re: RegExp): void => {
      expect(() => new Solver(model, { ...data, ...d })).toThrow(re);
    };
    withData({ yTrain: new Int32Array(3) }, /data\.yTrain.*64 labels.*3 labels/);
    withData({ xVal: Tensor.zeros([40, 6], "float64") }, /data\.xVal.*\[40, 6\]/);
    withData({ xTrain: Tensor.zeros([64], "float64") }, /data\.xTrain/);
  });
});

describe("Solver with FullyConnectedNet", () => {
  it("a batch-norm net overfits 50 samples: train accuracy >= 0.9 within 20 epochs", () => {
    const rng = new RandomState(231);
    const D = 48;
    const xTrain = rng.randn(50, D).astype("float32");
    const yTrain = rng.randint(0, 10, 50); // random labels: only memorization fits them
    const xVal = rng.randn(20, D).astype("float32");
    const yVal = rng.randint(0, 10, 20);
    const model = new FullyConnectedNet({ hiddenDims: [100, 100, 100], inputDim: D, numClasses: 10, normalization: "batchnorm", weightScale: 2e-2, seed: 1 });
    const solver = new Solver(model, { xTrain, yTrain, xVal, yVal }, {
      updateRule: "adam",
      optimConfig: { learningRate: 1e-2 },
      batchSize: 25,
      numEpochs: 20,
      numTrainSamples: null,
      seed: 2,
    });
    solver.train();
    expect(solver.trainAccHistory.at(-1)!).toBeGreaterThanOrEqual(0.9);
    expect(solver.trainAccHistory[0]!).toBeLessThan(0.9);
  });
});

describe("skipSolverDraws consumes exactly the draws of train()", () => {
  /** Trains from RandomState(seed) and skips from another RandomState(seed); both states afterwards. */
  const compare = (data: Dataset, o: SolverOptions & { updateRule: string }, plan: Omit<SolverDrawPlan, "numTrain" | "numVal">) => {
    const model = new LinearSoftmax(data.xTrain.shape[1]!, 3, 0, new RandomState(11));
    const trained = new RandomState(5);
    trained.randn(3); // start mid-stream, with a cached normal
    const skipped = new RandomState(5);
    skipped.randn(3);
    const solver = new Solver(model, data, { ...o, rng: trained });
    solver.train();
    skipSolverDraws(skipped, { numTrain: data.xTrain.shape[0]!, numVal: data.xVal.shape[0]!, ...plan });
    return { solver, trained: trained.getState(), skipped: skipped.getState(), untouched: new RandomState(5) };
  };
  const rng = new RandomState(7);
  const data = blobs(rng, 64, 40, 5, 3);

  const cases: { name: string; o: Omit<SolverOptions, "rng">; checks: number }[] = [
    { name: "no subsampling (numTrainSamples 1000 > 64 rows)", o: { batchSize: 16, numEpochs: 3 }, checks: 4 },
    { name: "train and validation subsampled", o: { batchSize: 10, numEpochs: 2, numTrainSamples: 20, numValSamples: 15 }, checks: 3 },
    { name: "all rows (null) and a batch larger than the data", o: { batchSize: 100, numEpochs: 3, numTrainSamples: null, numValSamples: null }, checks: 3 },
    { name: "one epoch, subsample equal to N (no draw)", o: { batchSize: 32, numEpochs: 1, numTrainSamples: 64, numValSamples: 40 }, checks: 2 },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { batchSize, numEpochs, numTrainSamples, numValSamples } = c.o;
      const plan: Omit<SolverDrawPlan, "numTrain" | "numVal"> = {
        ...(batchSize !== undefined ? { batchSize } : {}),
        ...(numEpochs !== undefined ? { numEpochs } : {}),
        ...(numTrainSamples !== undefined ? { numTrainSamples } : {}),
        ...(numValSamples !== undefined ? { numValSamples } : {}),
      };
      const r = compare(data, { ...c.o, updateRule: "adam", optimConfig: { learningRate: 1e-2 } }, plan);
      expect(r.solver.trainAccHistory).toHaveLength(c.checks);
      expect(r.skipped).toEqual(r.trained);
      // The run drew something: the comparison is not between two untouched streams.
      const start = r.untouched;
      start.randn(3);
      expect(start.getState()).not.toEqual(r.trained);
    });
  }

  it("a diverging run draws the same as any other", () => {
    const wild: Dataset = { ...data, xTrain: new Tensor(data.xTrain.data.slice(), [...data.xTrain.shape]) };
    for (let i = 0; i < wild.xTrain.size; i++) wild.xTrain.data[i] = wild.xTrain.data[i]! * 1e3;
    const r = compare(wild, { updateRule: "sgd", optimConfig: { learningRate: 1e300 }, batchSize: 16, numEpochs: 3, numTrainSamples: 30 }, { batchSize: 16, numEpochs: 3, numTrainSamples: 30 });
    expect(r.solver.lossHistory.some((l) => !Number.isFinite(l))).toBe(true);
    expect(r.skipped).toEqual(r.trained);
  });

  it("the defaults are the Solver's, and a missing count is named", () => {
    const r = compare(data, { updateRule: "sgd" }, {});
    expect(r.solver.lossHistory).toHaveLength(10 * 1);
    expect(r.skipped).toEqual(r.trained);
    // A different schedule ends elsewhere.
    const other = new RandomState(5);
    other.randn(3);
    skipSolverDraws(other, { numTrain: 64, batchSize: 32 });
    expect(other.getState()).not.toEqual(r.trained);
    expect(() => skipSolverDraws(new RandomState(0), { numTrain: 64, numValSamples: 10 })).toThrow(/numVal/);
    expect(() => skipSolverDraws(new RandomState(0), { numTrain: 0 })).toThrow(/numTrain.*0/);
    expect(() => skipSolverDraws(new RandomState(0), { numTrain: 64, batchSize: 2.5 })).toThrow(/batchSize.*2\.5/);
  });
});
