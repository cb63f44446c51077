/**
 * Hand-made result objects for the report and answer tests: a sweep shaped like
 * the notebook's (or another shape) without training anything.
 */
import { writeAnswer } from "../src/experiments/answer.js";
import { logspace } from "../src/experiments/sweep.js";
import type { DeepNetResult, NormKind, ReproduceResults, SweepPoint, SweepResult, TrainingRun } from "../src/experiments/types.js";

const SETTINGS = { hiddenDims: [50, 50, 50, 50, 50, 50, 50], numTrain: 1000, numVal: 1000, numEpochs: 10, batchSize: 50, updateRule: "adam", learningRate: 1e-3 };

/** A sweep point; `loss` may be NaN for a diverged run. */
export function point(weightScale: number, normalization: NormKind, val: number, train: number, loss: number): SweepPoint {
  const diverged = !Number.isFinite(loss);
  return {
    weightScale,
    normalization,
    bestValAcc: val,
    bestTrainAcc: train,
    finalLoss: loss,
    diverged,
    firstNonFiniteIteration: diverged ? 37 : null,
    trainAccHistory: [0.1, train],
    runSeed: 1,
    seconds: 1,
  };
}

/** Builds a 20-scale sweep from a function giving (val, train, loss) per scale and method. */
export function makeSweep(f: (w: number, k: NormKind) => [number, number, number], normalizations: NormKind[] = ["batchnorm", "none"]): SweepResult {
  const weightScales = logspace(-4, 0, 20);
  return {
    seed: 231,
    settings: SETTINGS,
    weightScales,
    normalizations,
    input: { dim: 3072, rms: 60 },
    points: weightScales.flatMap((w) => normalizations.map((k) => point(w, k, ...f(w, k)))),
  };
}

/** The textbook outcome: baseline stuck below 1e-2, exploding above 3e-1, BN flat from 1e-3. */
export function classicSweep(): SweepResult {
  return makeSweep((w, k) => {
    if (k === "batchnorm") return w < 1e-3 ? [0.2, 0.25, 2.0] : [0.33, 0.5, 1.4];
    if (w < 1e-2) return [0.1, 0.11, 2.3026];
    if (w > 3e-1) return [0.09, 0.1, w > 0.6 ? NaN : 50];
    return [0.31, 0.4, 1.7];
  });
}

/** A different outcome: the baseline learns everywhere and never blows up. */
export function tameSweep(): SweepResult {
  return makeSweep((w, k) => (k === "batchnorm" ? [0.3, 0.45, 1.5] : [w > 1e-3 && w < 1e-1 ? 0.29 : 0.22, 0.35, 1.8]));
}

function run(normalization: NormKind, accs: number[]): TrainingRun {
  return {
    normalization,
    batchSize: 50,
    weightScale: 2e-2,
    lossHistory: Array.from({ length: 200 }, (_, i) => 2.3 - (normalization === "none" ? 0.3 : 0.9) * (i / 200)),
    trainAccHistory: accs,
    valAccHistory: accs.map((a) => 0.8 * a),
    bestValAcc: 0.8 * Math.max(...accs),
    iterationsPerEpoch: 20,
    seconds: 2,
  };
}

/** Cell 6 with given per-epoch training accuracies. */
export function makeDeepNet(bn: number[], base: number[]): DeepNetResult {
  return {
    seed: 231,
    settings: { ...SETTINGS, hiddenDims: [100, 100, 100, 100, 100], weightScale: 2e-2 },
    runs: [run("batchnorm", bn), run("none", base)],
  };
}

/** A whole ReproduceResults, hand-made. */
export function makeResults(sweep: SweepResult = classicSweep(), deep: DeepNetResult = makeDeepNet([0.1, 0.3, 0.45, 0.55], [0.1, 0.15, 0.2, 0.28])): ReproduceResults {
  const stats = { means: [0, 0, 0], stds: [1, 1, 1] };
  const shape4 = { N: 200, D1: 50, D2: 60, D3: 3 };
  return {
    schema: "bnlab-results/1",
    title: "Batch normalization, reproduced by bnlab on SYNTHETIC data (not CIFAR-10)",
    createdAt: new Date(0).toISOString(),
    settings: { seed: 231, quick: false, extended: false, jobs: 2, seedScheme: "test" },
    dataset: { source: "synthetic", dir: null, description: "synthetic test data", numTrain: 1000, numVal: 1000, numTest: 100, warning: "no data found" },
    versions: { bnlab: "0.0.0", node: "20", platform: "linux-x64", kernelPath: "ts" },
    timings: { total: 1 },
    cells: {
      forwardTrain: { seed: 231, shape: shape4, before: { means: [-2.38, -13.18, 1.92], stds: [27, 34, 37] }, afterUnit: stats, afterAffine: { ...stats, gamma: [1, 2, 3], beta: [11, 12, 13], means: [11, 12, 13], stds: [1, 2, 3] } },
      forwardTest: { seed: 231, shape: shape4, warmupPasses: 50, after: stats },
      backwardCheck: { seed: 231, shape: { N: 4, D: 5 }, dxError: 1e-9, dgammaError: 1e-12, dbetaError: 1e-12, alt: { dxError: 1e-9, dgammaError: 1e-12, dbetaError: 1e-12 } },
      backwardCompare: {
        seed: 231,
        shape: { N: 100, D: 500 },
        dxDifference: 1e-12,
        dgammaDifference: 0,
        dbetaDifference: 0,
        timing: { warmupReps: 5, reps: 21, staged: { medianMs: 1, minMs: 0.9, maxMs: 2 }, alt: { medianMs: 0.5, minMs: 0.4, maxMs: 1 }, speedup: 2 },
      },
      netGradcheck: { seed: 231, shape: { N: 2, D: 15, H1: 20, H2: 30, C: 10 }, weightScale: 0.05, checks: [{ reg: 0, initialLoss: 2.26, errors: [{ name: "W1", relError: 1e-5 }] }] },
      deepNet: deep,
      sweep,
      batchSize: null,
      answer: writeAnswer(deep, sweep),
    },
    figures: {},
  };
}
