/**
 * Per-layer statistics of a FullyConnectedNet on a probe batch, recomputed with
 * the layer functions from the net's parameters (the net itself is not touched:
 * batch norm runs in train mode on the probe's own statistics and its running
 * averages are not updated, and no random numbers are drawn).
 *
 * For hidden layer l the probe records the value entering its ReLU (after
 * normalization, if any) and the loss gradient with respect to that value.
 */
import type { Labels } from "../../src/index.js";
import { Tensor } from "../../src/index.js";
import { affineBackward, affineForward, type AffineCache } from "../../src/index.js";
import { softmaxLoss } from "../../src/index.js";
import { reluBackward, reluForward, type ReluCache } from "../../src/index.js";
import { normBackward, normForward, type NormCache, type NormSpec } from "../../src/index.js";
import type { FullyConnectedNet } from "../../src/index.js";
import type { LayerStats, MeanStd } from "./protocol.js";

/** Raw probe output: the data loss and, per hidden layer, the ReLU input and its gradient, each (N, H). */
export interface ProbeResult {
  loss: number;
  layers: { pre: Tensor; grad: Tensor }[];
}

function param(net: FullyConnectedNet, name: string): Tensor {
  const t = net.params.get(name);
  if (!t) throw new Error(`probe: the net has no parameter ${name}`);
  return t;
}

/**
 * Forward and backward pass of `net` on X (N, inputDim) with labels y (N), in
 * train mode, without dropout and without regularization.
 */
export function probeNet(net: FullyConnectedNet, X: Tensor, y: Labels): ProbeResult {
  const L = net.hiddenDims.length + 1;
  let h = X.dtype === net.dtype ? X : X.astype(net.dtype);
  h = h.reshape([h.shape[0]!, net.inputDim]);
  const caches: { fc: AffineCache; norm: NormCache | null; relu: ReluCache; pre: Tensor }[] = [];
  for (let i = 1; i < L; i++) {
    const a = affineForward(h, param(net, `W${i}`), param(net, `b${i}`));
    let z = a.out;
    let norm: NormCache | null = null;
    if (net.normalization !== null) {
      // NOTE: batch norm without `running`: train-mode statistics of the probe batch, nothing stored.
      const spec: NormSpec = net.normalization === "batchnorm" ? { kind: "batchnorm", param: { mode: "train" } } : { kind: "layernorm" };
      const n = normForward(z, param(net, `gamma${i}`), param(net, `beta${i}`), spec);
      z = n.out;
      norm = n.cache;
    }
    const r = reluForward(z);
    caches.push({ fc: a.cache, norm, relu: r.cache, pre: z });
    h = r.out;
  }
  const top = affineForward(h, param(net, `W${L}`), param(net, `b${L}`));
  const { loss, dx: dscores } = softmaxLoss(top.out, y);
  let dh = affineBackward(dscores, top.cache).dx;
  const layers: { pre: Tensor; grad: Tensor }[] = new Array(L - 1);
  for (let i = L - 2; i >= 0; i--) {
    const c = caches[i]!;
    const da = reluBackward(dh, c.relu).dx;
    layers[i] = { pre: c.pre, grad: da };
    if (i === 0) break;
    const dz = c.norm ? normBackward(da, c.norm).dx : da;
    dh = affineBackward(dz, c.fc).dx;
  }
  return { loss, layers };
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

/** The probe summarized per hidden layer: ReLU input mean/std, |gradient| mean/std. */
export function layerStats(net: FullyConnectedNet, X: Tensor, y: Labels): LayerStats[] {
  return probeNet(net, X, y).layers.map((l) => ({ pre: meanStd(l.pre.data), grad: meanStd(l.grad.data, true) }));
}
