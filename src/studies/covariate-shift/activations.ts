/**
 * Covariate shift in its original, distributional sense (Ioffe and Szegedy 2015;
 * Santurkar et al. 2018, figure 2): how the distribution of the value entering
 * each hidden layer's activation moves during training. On a fixed monitoring
 * batch, a traced train-mode pass gives, per hidden layer, every unit's mean and
 * standard deviation (and three percentiles of one unit); the shift between two
 * probes is the mean over units of |Δmean|, in units of the mean standard deviation.
 * The pass changes nothing: tracing leaves the running statistics alone and the
 * noise stream is put back.
 */
import type { Labels, Tensor } from "../../core/tensor.js";
import type { FullyConnectedNet } from "../../models/fc-net.js";
import type { StreamGuard } from "./probes.js";

/** One hidden layer's distribution on the monitoring batch. */
export interface LayerDistribution {
  /** Per unit: mean and (biased) standard deviation over the batch. */
  mean: Float64Array;
  std: Float64Array;
  /** The 15th, 50th and 85th percentiles of unit 1 (numpy's linear interpolation). */
  unit: [number, number, number];
}

/** The q-quantile of sorted values, numpy's default (linear) interpolation. */
export function quantileSorted(v: Float64Array, q: number): number {
  const pos = q * (v.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, v.length - 1);
  return v[lo]! + (pos - lo) * (v[hi]! - v[lo]!);
}

function columnStats(t: Tensor): LayerDistribution {
  const [N, D] = t.shape as [number, number];
  const x = t.data;
  const mean = new Float64Array(D);
  const std = new Float64Array(D);
  for (let j = 0; j < D; j++) {
    let s = 0;
    for (let i = 0; i < N; i++) s += x[i * D + j]!;
    const m = s / N;
    let q = 0;
    for (let i = 0; i < N; i++) q += (x[i * D + j]! - m) ** 2;
    mean[j] = m;
    std[j] = Math.sqrt(q / N);
  }
  const u = new Float64Array(N);
  for (let i = 0; i < N; i++) u[i] = x[i * D]!;
  u.sort();
  return { mean, std, unit: [quantileSorted(u, 0.15), quantileSorted(u, 0.5), quantileSorted(u, 0.85)] };
}

/** The distribution entering each hidden layer's activation (after normalization and noise, if any) on (X, y), train mode. */
export function activationProbe(model: FullyConnectedNet, X: Tensor, y: Labels, noise?: StreamGuard): LayerDistribution[] {
  const state = noise?.save();
  try {
    return model.trace(X, y, { mode: "train" }).layers.map((l) => columnStats(l.normalized ?? l.affine));
  } finally {
    noise?.restore(state);
  }
}

/** Mean over units of |mean − mean′|, divided by the mean standard deviation of `before` (NaN when that is 0). */
export function distributionShift(before: LayerDistribution, after: LayerDistribution): number {
  let d = 0;
  let s = 0;
  for (let j = 0; j < before.mean.length; j++) {
    d += Math.abs(after.mean[j]! - before.mean[j]!);
    s += before.std[j]!;
  }
  return s === 0 ? NaN : d / s;
}
