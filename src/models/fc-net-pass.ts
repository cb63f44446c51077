/**
 * The pieces of FullyConnectedNet's forward and backward pass that are data, not
 * the network: the hidden layers' caches, the activation chosen by name, and the
 * copy of a pass that `trace` returns.
 */
import type { FloatArray, Tensor } from "../core/tensor.js";
import { sigmoidBackward, sigmoidForward, tanhBackward, tanhForward } from "../layers/activations.js";
import type { SmoothActivationCache } from "../layers/activations.js";
import type { AffineCache } from "../layers/affine.js";
import type { DropoutCache } from "../layers/dropout.js";
import { reluBackward, reluForward } from "../layers/relu.js";
import type { ReluCache } from "../layers/relu.js";
import type { NormCache } from "../layers/sandwich.js";
import type { LayerNoise } from "./bn-noise.js";
import type { LayerTrace, ModelTrace } from "./trace.js";

/** The nonlinearity of the hidden layers. */
export type Activation = "relu" | "sigmoid" | "tanh";

/** An activation's cache, tagged with its kind. */
export type ActivationCache = { kind: "relu"; cache: ReluCache } | { kind: "sigmoid" | "tanh"; cache: SmoothActivationCache };

/** One hidden layer's forward values (workspace buffers, untouched until the next forward) and caches. */
export interface HiddenCache {
  input: Tensor;
  fc: AffineCache;
  /** The affine output x·W + b. */
  a: Tensor;
  norm: NormCache | null;
  noise: LayerNoise | null;
  /** The value entering the activation when there is a normalization. */
  normalized: Tensor | null;
  act: ActivationCache;
  /** The activation's output, before dropout. */
  activated: Tensor;
  dropout: DropoutCache | null;
}

/** One hidden layer's backward values (workspace buffers or new arrays). */
export interface HiddenGrads {
  /** Null for the first layer unless asked for (nobody else needs the data's gradient). */
  dInput: Tensor | null;
  dAffine: Tensor;
  dNormalized: Tensor | null;
  dActivated: Tensor;
}

/** What a forward pass leaves for the backward pass. */
export interface ForwardCaches {
  hidden: HiddenCache[];
  last: AffineCache;
}

/** A forward and backward pass: the loss, the gradients (in the order of `params`), the scores and every layer. */
export interface Pass {
  loss: number;
  grads: Map<string, Tensor>;
  scores: Tensor;
  caches: ForwardCaches;
  hiddenGrads: HiddenGrads[];
}

export function activationForward(kind: Activation, x: Tensor, out: FloatArray): { out: Tensor; cache: ActivationCache } {
  if (kind === "relu") {
    const r = reluForward(x, out);
    return { out: r.out, cache: { kind, cache: r.cache } };
  }
  const r = kind === "sigmoid" ? sigmoidForward(x, out) : tanhForward(x, out);
  return { out: r.out, cache: { kind, cache: r.cache } };
}

export function activationBackward(dout: Tensor, c: ActivationCache, dx: FloatArray): Tensor {
  if (c.kind === "relu") return reluBackward(dout, c.cache, dx).dx;
  return (c.kind === "sigmoid" ? sigmoidBackward(dout, c.cache, dx) : tanhBackward(dout, c.cache, dx)).dx;
}

/** A layer's parameter names. */
interface LayerNames {
  readonly W: string;
  readonly b: string;
  readonly gamma: string;
  readonly beta: string;
}

/**
 * The trace of a pass run with the first layer's input gradient: copies of every
 * workspace value (the values themselves with `views`); the parameter gradients (new
 * arrays already) as they are.
 */
export function tracePass(p: Pass, names: readonly LayerNames[], views = false): ModelTrace {
  const grad = (name: string): Tensor | null => p.grads.get(name) ?? null;
  const keep = (t: Tensor): Tensor => (views ? t : t.clone());
  const layers: LayerTrace[] = p.caches.hidden.map((c, i) => {
    const g = p.hiddenGrads[i]!;
    const n = names[i]!;
    if (g.dInput === null) throw new Error("tracePass: the pass did not compute the first layer's input gradient");
    return {
      input: keep(c.input),
      affine: keep(c.a),
      normalized: c.normalized === null ? null : keep(c.normalized),
      activated: keep(c.activated),
      dInput: keep(g.dInput),
      dAffine: keep(g.dAffine),
      dNormalized: g.dNormalized === null ? null : keep(g.dNormalized),
      dActivated: keep(g.dActivated),
      dW: p.grads.get(n.W)!,
      db: p.grads.get(n.b)!,
      dgamma: grad(n.gamma),
      dbeta: grad(n.beta),
    };
  });
  return { loss: p.loss, scores: keep(p.scores), layers, grads: p.grads };
}
