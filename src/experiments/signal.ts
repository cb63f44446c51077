/**
 * Per-layer signal measurements of a fully connected net (the "signal" study and
 * cell 7's per-run probes): how large the forward signal and the backward
 * gradient are in every hidden layer, measured with `FullyConnectedNet.trace` on a
 * fixed probe batch (the first rows of the training data), and how far each step
 * moves each layer's weights relative to their size.
 *
 * A probe is a train-mode trace that leaves the running statistics alone and, for
 * a net without dropout or bnNoise, draws nothing: training with probes is bit for
 * bit training without them (test/study-signal.test.ts checks it).
 *
 * Statistics are accumulated in float64 whatever the model's dtype. No Node imports.
 */
import type { FloatArray, Labels, Tensor } from "../core/tensor.js";
import type { FullyConnectedNet } from "../models/fc-net.js";
import type { Model } from "../models/model.js";
import type { Dataset } from "../train/solver.js";

/** Rows of the probe batch (the first training rows; fewer if the data has fewer). */
export const SIGNAL_PROBE_ROWS = 200;

/** One probe: per hidden layer i = 1 … L−1 (index 0 = layer 1). */
export interface LayerSignal {
  /** The train-mode loss on the probe batch. */
  loss: number;
  /** Standard deviation over all N·D values of the affine output a = h·W + b. */
  affineStd: number[];
  /** Standard deviation over all N·D values entering the activation (the normalization's output, or a without one). */
  preActStd: number[];
  /** Fraction of units whose activation input is ≤ 0 on every row of the probe batch (dead ReLUs). */
  deadFraction: number[];
  /** ‖∂L/∂h_{i−1}‖ (Frobenius): the gradient with respect to the layer's input (the data for layer 1). */
  inputGradNorm: number[];
  /** ‖∂L/∂h_i‖ (Frobenius): the gradient with respect to the layer's output (the activation's output, before dropout). */
  outputGradNorm: number[];
  /** ‖∂L/∂W_i‖ (Frobenius, regularization included). */
  weightGradNorm: number[];
}

/** A run's probes: before the first step and after the last. */
export interface SignalProbes {
  /** Rows of the probe batch. */
  rows: number;
  init: LayerSignal;
  end: LayerSignal;
}

/** Population standard deviation of all values (two passes, float64). */
export function stdOf(a: FloatArray): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]!;
  const m = s / a.length;
  let q = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k]! - m;
    q += d * d;
  }
  return Math.sqrt(q / a.length);
}

/** Frobenius norm (float64). */
export function normOf(a: FloatArray): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * a[k]!;
  return Math.sqrt(s);
}

/**
 * Fraction of the D columns of x (N, D) with no value above 0: units a ReLU
 * passes nothing through for on this batch. NOTE: a NaN is not above 0, so a
 * diverged layer counts as dead, as it passes no gradient either.
 */
export function deadFractionOf(x: Tensor): number {
  const [N, D] = x.shape as [number, number];
  const d = x.data;
  let dead = 0;
  for (let j = 0; j < D; j++) {
    let alive = false;
    for (let i = 0; i < N && !alive; i++) alive = d[i * D + j]! > 0;
    if (!alive) dead++;
  }
  return dead / D;
}

/** The probe batch: the first `rows` training rows (views, no copy). */
export function probeBatch(data: Dataset, rows = SIGNAL_PROBE_ROWS): { X: Tensor; y: Labels } {
  const n = Math.min(rows, data.xTrain.shape[0]!);
  return { X: data.xTrain.rows(0, n), y: data.yTrain.subarray(0, n) };
}

/** Per-layer statistics of one train-mode trace of `model` on (X, y); changes nothing. */
export function signalProbe(model: FullyConnectedNet, X: Tensor, y: Labels): LayerSignal {
  // NOTE: views: every statistic is taken before the model's next pass (no 2.4 MB copies of the
  // data and its gradient per probe).
  const t = model.trace(X, y, { mode: "train", updateRunningStats: false, views: true });
  const out: LayerSignal = { loss: t.loss, affineStd: [], preActStd: [], deadFraction: [], inputGradNorm: [], outputGradNorm: [], weightGradNorm: [] };
  for (const l of t.layers) {
    const pre = l.normalized ?? l.affine;
    out.affineStd.push(stdOf(l.affine.data));
    out.preActStd.push(stdOf(pre.data));
    out.deadFraction.push(deadFractionOf(pre));
    out.inputGradNorm.push(normOf(l.dInput.data));
    out.outputGradNorm.push(normOf(l.dActivated.data));
    out.weightGradNorm.push(normOf(l.dW.data));
  }
  return out;
}

/**
 * Per affine layer (W1 … WL), ‖ΔW‖/‖W‖ of each step: call `record()` after every
 * step; it compares the weights with their copy from the previous call (or from
 * construction) and keeps the geometric mean over windows of `every` steps.
 */
export class UpdateRatioTracker {
  /** The step count at the end of each window. */
  readonly steps: number[] = [];
  /** ratios[i][k]: layer i+1's geometric-mean ratio over window k (NaN if any was non-finite or zero). */
  readonly ratios: number[][];
  private readonly weights: FloatArray[];
  private readonly prev: FloatArray[];
  private readonly logSum: Float64Array;
  private step = 0;

  constructor(
    model: Model,
    private readonly every: number,
  ) {
    const names = [...model.params.keys()].filter((n) => /^W\d+$/.test(n)).sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    this.weights = names.map((n) => model.params.get(n)!.data);
    this.prev = this.weights.map((w) => w.slice());
    this.ratios = names.map(() => []);
    this.logSum = new Float64Array(names.length);
  }

  /** After a step: this step's ratios into the window; a full window is recorded. */
  record(): void {
    this.step++;
    this.weights.forEach((w, i) => {
      const p = this.prev[i]!;
      let d2 = 0;
      let w2 = 0;
      for (let k = 0; k < w.length; k++) {
        const d = w[k]! - p[k]!;
        d2 += d * d;
        w2 += p[k]! * p[k]!;
      }
      // NOTE: log of 0 (a step that moved nothing) is -Infinity and NaN stays NaN: the window is then not drawn.
      this.logSum[i] = this.logSum[i]! + Math.log(Math.sqrt(d2) / Math.sqrt(w2));
      p.set(w);
    });
    if (this.step % this.every === 0) {
      this.steps.push(this.step);
      this.ratios.forEach((r, i) => {
        const g = Math.exp(this.logSum[i]! / this.every);
        r.push(Number.isFinite(g) && g > 0 ? g : NaN);
        this.logSum[i] = 0;
      });
    }
  }
}

/** How the signal and the gradient change through depth in one probe. */
export interface DepthChange {
  /** Std of the value entering the activation in hidden layer 1 and in the last hidden layer. */
  signalFirst: number;
  signalLast: number;
  /** log10(signalLast / signalFirst): negative when the signal shrinks on its way up. */
  signalDecades: number;
  /** ‖∂L/∂h‖ of the last hidden layer's output and of hidden layer 1's. */
  gradLast: number;
  gradFirst: number;
  /** log10(gradFirst / gradLast): negative when the gradient shrinks on its way down. */
  gradDecades: number;
}

/** The first and last hidden layers of a probe, and the orders of magnitude between them. */
export function depthChange(s: LayerSignal): DepthChange {
  const L = s.preActStd.length;
  const signalFirst = s.preActStd[0]!;
  const signalLast = s.preActStd[L - 1]!;
  // NOTE: the gradient with respect to the layers' outputs, not inputs: layer 1's input is the data, whose scale is not the net's.
  const gradFirst = s.outputGradNorm[0]!;
  const gradLast = s.outputGradNorm[L - 1]!;
  return { signalFirst, signalLast, signalDecades: Math.log10(signalLast / signalFirst), gradLast, gradFirst, gradDecades: Math.log10(gradFirst / gradLast) };
}

/** "shrank by 20.2 orders of magnitude" / "grew by 4.2 …" / "stayed within 0.05 …", by the sign of `decades`. */
export function ordersText(decades: number): string {
  if (!Number.isFinite(decades)) return `changed by ${String(decades)} orders of magnitude`;
  const d = Math.abs(decades).toFixed(1);
  if (d === "0.0") return "stayed within 0.05 orders of magnitude";
  return `${decades < 0 ? "shrank" : "grew"} by ${d} orders of magnitude`;
}
