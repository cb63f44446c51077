/**
 * Every layer's backward pass and the fully connected net, checked against
 * centred-difference numerical gradients in float64 (`bnlab gradcheck`).
 * An entry passes when each element's relative error is below its threshold or
 * its absolute error below 1e-8 (a true gradient of 0 makes relative error meaningless).
 */
import { RandomState } from "../core/random.js";
import { Tensor } from "../core/tensor.js";
import { evalNumericalGradient, evalNumericalGradientArray, gradcheckReport, numericalModelGradients } from "../gradcheck/index.js";
import {
  affineBackward,
  affineForward,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  dropoutBackward,
  dropoutForward,
  layernormBackward,
  layernormForward,
  reluBackward,
  reluForward,
  softmaxLoss,
  svmLoss,
} from "../layers/index.js";
import { FullyConnectedNet } from "../models/fc-net.js";
import { DEFAULT_SEED } from "./checks.js";

/** One checked gradient. */
export interface GradcheckLine {
  /** What was checked, e.g. "batchnorm (staged)". */
  check: string;
  /** The gradient, e.g. "dx" or "W1". */
  name: string;
  relError: number;
  maxAbsError: number;
  threshold: number;
  ok: boolean;
}

/** The whole suite's outcome. */
export interface GradcheckSuiteResult {
  seed: number;
  ok: boolean;
  lines: GradcheckLine[];
}

const ABS_TOL = 1e-8;

type Grads = Map<string, Tensor>;

function compare(check: string, analytic: Grads, numeric: Grads, relTol: number | ((name: string) => number)): GradcheckLine[] {
  const report = gradcheckReport(analytic, numeric, { relTol, absTol: ABS_TOL });
  return report.entries.map((e) => ({ check, name: e.name, relError: e.relError, maxAbsError: e.maxAbsError, threshold: e.relTol, ok: e.ok }));
}

/** Numerical gradients of f's output contracted with dout, for each named input. */
function numericArrays(f: () => Tensor, inputs: Record<string, Tensor>, dout: Tensor): Grads {
  return new Map(Object.entries(inputs).map(([k, v]) => [k, evalNumericalGradientArray(f, v, dout)]));
}

/** Runs the suite with a fixed seed. */
export function gradcheckSuite(seed = DEFAULT_SEED): GradcheckSuiteResult {
  const rng = new RandomState(seed);
  const lines: GradcheckLine[] = [];

  {
    const x = rng.randn(4, 2, 3);
    const w = rng.randn(6, 5);
    const b = rng.randn(5);
    const dout = rng.randn(4, 5);
    const f = (): Tensor => affineForward(x, w, b).out;
    const g = affineBackward(dout, affineForward(x, w, b).cache);
    lines.push(...compare("affine", new Map([["dx", g.dx], ["dw", g.dw], ["db", g.db]]), numericArrays(f, { dx: x, dw: w, db: b }, dout), 1e-7));
  }
  {
    // NOTE: inputs kept away from 0, where ReLU has a kink the centred difference would straddle.
    const x = rng.randn(10, 10);
    for (let i = 0; i < x.data.length; i++) if (Math.abs(x.data[i]!) < 1e-3) x.data[i] = 0.5;
    const dout = rng.randn(10, 10);
    const f = (): Tensor => reluForward(x).out;
    const g = reluBackward(dout, reluForward(x).cache);
    lines.push(...compare("relu", new Map([["dx", g.dx]]), numericArrays(f, { dx: x }, dout), 1e-7));
  }
  {
    const x = rng.randn(4, 5);
    for (let i = 0; i < x.data.length; i++) x.data[i] = 5 * x.data[i]! + 12;
    const gamma = rng.randn(5);
    const beta = rng.randn(5);
    const dout = rng.randn(4, 5);
    const f = (): Tensor => batchnormForward(x, gamma, beta, { mode: "train" }).out;
    const numeric = numericArrays(f, { dx: x, dgamma: gamma, dbeta: beta }, dout);
    const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
    const s = batchnormBackward(dout, cache);
    const a = batchnormBackwardAlt(dout, cache);
    lines.push(...compare("batchnorm (staged)", new Map([["dx", s.dx], ["dgamma", s.dgamma], ["dbeta", s.dbeta]]), numeric, 1e-7));
    lines.push(...compare("batchnorm (alt)", new Map([["dx", a.dx], ["dgamma", a.dgamma], ["dbeta", a.dbeta]]), numeric, 1e-7));
  }
  {
    const x = rng.randn(4, 5);
    for (let i = 0; i < x.data.length; i++) x.data[i] = 5 * x.data[i]! + 12;
    const gamma = rng.randn(5);
    const beta = rng.randn(5);
    const dout = rng.randn(4, 5);
    const f = (): Tensor => layernormForward(x, gamma, beta, {}).out;
    const g = layernormBackward(dout, layernormForward(x, gamma, beta, {}).cache);
    lines.push(...compare("layernorm", new Map([["dx", g.dx], ["dgamma", g.dgamma], ["dbeta", g.dbeta]]), numericArrays(f, { dx: x, dgamma: gamma, dbeta: beta }, dout), 1e-7));
  }
  {
    const x = rng.randn(10, 10);
    for (let i = 0; i < x.data.length; i++) x.data[i] = x.data[i]! + 10;
    const dout = rng.randn(10, 10);
    // A fixed mask seed: every evaluation draws the same mask.
    const param = { mode: "train" as const, p: 0.2, seed: 123 };
    const f = (): Tensor => dropoutForward(x, param).out;
    const g = dropoutBackward(dout, dropoutForward(x, param).cache);
    lines.push(...compare("dropout (keep 0.2)", new Map([["dx", g.dx]]), numericArrays(f, { dx: x }, dout), 1e-7));
  }
  {
    const x = rng.randn(50, 10);
    for (let i = 0; i < x.data.length; i++) x.data[i] = 0.001 * x.data[i]!;
    const y = rng.randint(10, undefined, 50);
    const soft = new Map([["dx", softmaxLoss(x, y).dx]]);
    const svm = new Map([["dx", svmLoss(x, y).dx]]);
    lines.push(...compare("softmax loss", soft, new Map([["dx", evalNumericalGradient(() => softmaxLoss(x, y).loss, x)]]), 1e-7));
    // NOTE: the hinge has kinks; with scores ~1e-3 apart and margin 1 no pair sits on one.
    lines.push(...compare("svm loss", svm, new Map([["dx", evalNumericalGradient(() => svmLoss(x, y).loss, x)]]), 1e-7));
  }
  const N = 2;
  const D = 15;
  const X = rng.randn(N, D);
  const y = rng.randint(10, undefined, N);
  for (const normalization of [null, "batchnorm", "layernorm"] as const) {
    for (const reg of [0, 3.14]) {
      const model = new FullyConnectedNet({ hiddenDims: [20, 30], inputDim: D, numClasses: 10, reg, weightScale: 5e-2, dtype: "float64", normalization, rng });
      const { grads } = model.loss(X, y);
      const numeric = numericalModelGradients(model, X, y);
      const label = `FullyConnectedNet (${normalization ?? "no normalization"}, reg ${reg})`;
      lines.push(...compare(label, grads, numeric, (name) => (name.startsWith("W") ? 1e-3 : 1e-5)));
    }
  }
  return { seed, ok: lines.every((l) => l.ok), lines };
}
