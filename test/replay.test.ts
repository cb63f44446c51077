/**
 * End-to-end replay of notebook cell 6 against the assignment's numpy code
 * (bench/numpy_ref.py, driven by scripts/fixtures/replay.py → test/fixtures/replay.json):
 * with one RandomState(231) shared by both FullyConnectedNets and both Solvers, in the
 * notebook's order (bn_model, model, bn_solver.train(), solver.train()), float64, bnlab
 * reproduces every loss, the accuracy histories exactly, the best weights and the
 * position of the stream afterwards. Plus a dropout (keep 0.5) + layer-norm run.
 * Each kernel path available in this process is checked (the reference "ts" and the
 * WebAssembly default), so `BNLAB_KERNELS` need not be set.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { FullyConnectedNet, RandomState, Solver, Tensor, availableKernelPaths, getKernelPath, setKernelPath } from "../src/node.js";
import type { Dataset, KernelPath, Normalization } from "../src/node.js";
import { repoRoot } from "./helpers/env.js";

interface Checksum {
  sum: number;
  sumAbs: number;
  first: number[];
}
interface RunRecord {
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  params: Record<string, Checksum>;
}
interface ReplayFixture {
  seed: number;
  dataSeed: number;
  extraSeed: number;
  inputShape: number[];
  numTrain: number;
  numVal: number;
  numClasses: number;
  hiddenDims: number[];
  weightScale: number;
  solver: { learningRate: number; batchSize: number; numEpochs: number; numTrainSamples: number };
  data: { xTrain: Checksum; xVal: Checksum; yTrain: number[]; yVal: number[] };
  batchnorm: RunRecord;
  baseline: RunRecord;
  nextNormalAfterBoth: number;
  dropoutLayernorm: RunRecord & { dropoutKeepRatio: number; nextNormalAfter: number };
}

const fx = JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "replay.json"), "utf8")) as ReplayFixture;

/** Relative tolerance for losses and weights (the figure). */
const RTOL = 1e-10;

/** Largest |a−b| / max(|a|, |b|) over two equal-length lists (0 where both are 0). */
function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    const scale = Math.max(Math.abs(x), Math.abs(y));
    const d = scale === 0 ? 0 : Math.abs(x - y) / scale;
    m = Number.isNaN(d) ? Infinity : Math.max(m, d);
  }
  return m;
}

function checksum(data: ArrayLike<number>): Checksum {
  let sum = 0;
  let sumAbs = 0;
  for (let i = 0; i < data.length; i++) {
    sum += data[i]!;
    sumAbs += Math.abs(data[i]!);
  }
  return { sum, sumAbs, first: Array.from({ length: Math.min(5, data.length) }, (_, i) => data[i]!) };
}

/**
 * Compares checksums: the sum to rtol·sumAbs (a sum may cancel), sumAbs and the first
 * values to rtol relative. Returns the worst of those relative errors.
 */
function checksumError(got: Checksum, want: Checksum): number {
  return Math.max(
    Math.abs(got.sum - want.sum) / want.sumAbs,
    maxRelDiff([got.sumAbs], [want.sumAbs]),
    maxRelDiff(got.first, want.first),
  );
}

/**
 * The data as scripts/fixtures/replay.py draws them from RandomState(dataSeed):
 * labels (train, val), one mean image per class (C, D), then noise; X = noise + centers[y],
 * shaped (N, ...inputShape).
 */
function makeData(): Dataset {
  const rs = new RandomState(fx.dataSeed);
  const D = fx.inputShape.reduce((p, d) => p * d, 1);
  const yTrain = rs.randint(0, fx.numClasses, fx.numTrain);
  const yVal = rs.randint(0, fx.numClasses, fx.numVal);
  const centers = rs.randn(fx.numClasses, D).data;
  const withCenters = (noise: Tensor, y: Int32Array): Tensor => {
    const x = noise.data;
    for (let i = 0; i < y.length; i++) for (let k = 0; k < D; k++) x[i * D + k] = x[i * D + k]! + centers[y[i]! * D + k]!;
    return new Tensor(x, [y.length, ...fx.inputShape]);
  };
  const xTrain = withCenters(rs.randn(fx.numTrain, D), yTrain);
  const xVal = withCenters(rs.randn(fx.numVal, D), yVal);
  return { xTrain, yTrain, xVal, yVal };
}

function makeNet(rng: RandomState, normalization: Normalization, dropoutKeepRatio = 1): FullyConnectedNet {
  return new FullyConnectedNet({
    hiddenDims: fx.hiddenDims,
    inputDim: fx.inputShape.reduce((p, d) => p * d, 1),
    numClasses: fx.numClasses,
    weightScale: fx.weightScale,
    normalization,
    dropoutKeepRatio,
    dtype: "float64",
    rng,
  });
}

function makeSolver(model: FullyConnectedNet, data: Dataset, rng: RandomState): Solver {
  return new Solver(model, data, {
    updateRule: "adam",
    optimConfig: { learningRate: fx.solver.learningRate },
    batchSize: fx.solver.batchSize,
    numEpochs: fx.solver.numEpochs,
    numTrainSamples: fx.solver.numTrainSamples,
    rng,
  });
}

/** Asserts one run against its record: losses and best weights to RTOL, accuracies exactly. */
function expectRun(label: string, solver: Solver, model: FullyConnectedNet, want: RunRecord): void {
  expect(solver.lossHistory.length, `${label}: iterations`).toBe(want.lossHistory.length);
  const lossErr = maxRelDiff(solver.lossHistory, want.lossHistory);
  expect(lossErr, `${label}: max relative loss error`).toBeLessThanOrEqual(RTOL);
  expect(solver.trainAccHistory, `${label}: train accuracy history`).toEqual(want.trainAccHistory);
  expect(solver.valAccHistory, `${label}: val accuracy history`).toEqual(want.valAccHistory);
  expect(solver.bestValAcc, `${label}: best val accuracy`).toBe(want.bestValAcc);
  for (const [name, sums] of Object.entries(want.params)) {
    const p = model.params.get(name);
    expect(p, `${label}: parameter ${name}`).toBeDefined();
    const err = checksumError(checksum(p!.data), sums);
    expect(err, `${label}: best ${name} checksum relative error`).toBeLessThanOrEqual(RTOL);
  }
}

const initialPath = getKernelPath();
const kernelPaths = [...new Set<KernelPath>(["ts", initialPath, ...availableKernelPaths().filter((p) => p !== "wasm-relaxed")])];
afterAll(() => setKernelPath(initialPath));

describe("replay of the assignment's numpy code (test/fixtures/replay.json)", () => {
  const data = makeData();

  it("draws the same data as numpy from RandomState(dataSeed)", () => {
    expect(Array.from(data.yTrain)).toEqual(fx.data.yTrain);
    expect(Array.from(data.yVal)).toEqual(fx.data.yVal);
    // normals may differ from glibc's numpy by 1–2 ulp (see RandomState), hence not bit-exact
    expect(checksumError(checksum(data.xTrain.data), fx.data.xTrain)).toBeLessThanOrEqual(1e-14);
    expect(checksumError(checksum(data.xVal.data), fx.data.xVal)).toBeLessThanOrEqual(1e-14);
  });

  describe.each(kernelPaths)("kernel path %s", (path) => {
    it("cell 6: batch-norm and baseline nets on one RandomState(231), float64", () => {
      setKernelPath(path);
      const rng = new RandomState(fx.seed);
      const bnModel = makeNet(rng, "batchnorm");
      const model = makeNet(rng, null);
      const bnSolver = makeSolver(bnModel, data, rng);
      bnSolver.train();
      const solver = makeSolver(model, data, rng);
      solver.train();
      expectRun("batchnorm", bnSolver, bnModel, fx.batchnorm);
      expectRun("baseline", solver, model, fx.baseline);
      // every draw consumed in numpy's order: the stream stands at the same place
      expect(maxRelDiff([rng.standardNormal()], [fx.nextNormalAfterBoth])).toBeLessThanOrEqual(1e-15);
    });

    it("dropout (keep 0.5) + layer norm, masks drawn from the shared stream", () => {
      setKernelPath(path);
      const want = fx.dropoutLayernorm;
      const rng = new RandomState(fx.extraSeed);
      const model = makeNet(rng, "layernorm", want.dropoutKeepRatio);
      const solver = makeSolver(model, data, rng);
      solver.train();
      expectRun("dropout+layernorm", solver, model, want);
      expect(maxRelDiff([rng.standardNormal()], [want.nextNormalAfter])).toBeLessThanOrEqual(1e-15);
    });
  });
});
