/**
 * Per-layer statistics of a FullyConnectedNet on a probe batch, from the library's
 * model trace (`FullyConnectedNet.trace`: the net's own forward and backward code).
 * The net is not changed: batch norm runs in train mode on the probe's own
 * statistics and its running averages are not updated, and the random streams are
 * rewound after the pass, so the training is the same with or without probes.
 *
 * For hidden layer l the probe records the value entering its activation (after
 * normalization, if any) and the loss gradient with respect to that value.
 */
import type { Labels, Tensor } from "../../src/index.js";
import type { FullyConnectedNet } from "../../src/index.js";
import type { LayerStats, MeanStd, Percentiles } from "./protocol.js";

/** Raw probe output: the loss and, per hidden layer, the activation's input and its gradient, each (N, H). */
export interface ProbeResult {
  loss: number;
  layers: { pre: Tensor; grad: Tensor }[];
}

/**
 * A train-mode trace of `net` on X (N, inputDim) with labels y (N). NOTE: a net
 * with dropout or bnNoise draws its masks and noise for the trace; the streams are
 * put back afterwards so the next training step draws what it would have drawn.
 */
export function probeNet(net: FullyConnectedNet, X: Tensor, y: Labels): ProbeResult {
  const rng = net.rng.getState();
  const noise = net.noiseRng?.getState() ?? null;
  const t = net.trace(X, y);
  net.rng.setState(rng);
  if (noise !== null) net.noiseRng?.setState(noise);
  return { loss: t.loss, layers: t.layers.map((l) => ({ pre: l.normalized ?? l.affine, grad: l.dNormalized ?? l.dAffine })) };
}

/** Mean and (biased) standard deviation of the values, or of their absolute values. */
export function meanStd(a: ArrayLike<number>, absolute = false): MeanStd {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += absolute ? Math.abs(a[i]!) : a[i]!;
  const mean = s / a.length;
  let v = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (absolute ? Math.abs(a[i]!) : a[i]!) - mean;
    v += d * d;
  }
  return { mean, std: Math.sqrt(v / a.length) };
}

/** The q-th quantile (q in [0, 1]) of ascending values: numpy's default linear interpolation. */
function quantile(sorted: Float64Array, q: number): number {
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo]! + (pos - lo) * (sorted[hi]! - sorted[lo]!);
}

/** The 15th, 50th and 85th percentiles of column j of a row-major (N, H) array. */
export function columnPercentiles(a: ArrayLike<number>, H: number, j: number): Percentiles {
  const N = Math.floor(a.length / H);
  const col = new Float64Array(N);
  for (let n = 0; n < N; n++) col[n] = a[n * H + j]!;
  col.sort();
  return { p15: quantile(col, 0.15), p50: quantile(col, 0.5), p85: quantile(col, 0.85) };
}

/**
 * The probe summarized per hidden layer: activation input mean/std, |gradient| mean/std,
 * and the percentiles of the first unit's activation input.
 */
export function layerStats(net: FullyConnectedNet, X: Tensor, y: Labels): LayerStats[] {
  return probeNet(net, X, y).layers.map((l) => ({
    pre: meanStd(l.pre.data),
    grad: meanStd(l.grad.data, true),
    unit: columnPercentiles(l.pre.data, l.pre.shape[1]!, 0),
  }));
}
