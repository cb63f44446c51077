/**
 * The measurements of Santurkar et al. (2018) on a model in training, each
 * leaving the model exactly as it found it (parameters, running statistics and,
 * through `StreamGuard`, any random stream a train-mode pass draws from):
 *
 * - `icsProbe`: internal covariate shift of every affine layer i: the gradient G
 *   of W_i on a batch, and G′ on the same batch after layers 1 … i−1 took the
 *   update step the optimizer would take (its state copied, not advanced).
 * - `landscapeProbe`: along the gradient direction, w − η·∇L(w) for each step
 *   size η: the loss, the gradient change ‖∇L(w) − ∇L(w − η∇L)‖ and the
 *   effective β-smoothness max ‖Δ∇L‖ / ‖Δw‖.
 *
 * Norms and dot products are accumulated in float64 whatever the model's dtype.
 */
import type { FloatArray, Labels, Tensor } from "../../core/tensor.js";
import type { Model } from "../../models/model.js";
import type { OptimConfig, UpdateRule } from "../../optim/index.js";

/** Saves and restores a random stream a train-mode pass draws from (noisy batch norm's noise). */
export interface StreamGuard {
  save(): unknown;
  restore(state: unknown): void;
}

/** The affine layer (1-based) a parameter belongs to: W3, b3, gamma3 and beta3 are layer 3. */
export function paramLayer(name: string): number {
  const m = /(\d+)$/.exec(name);
  if (m === null) throw new Error(`parameter "${name}" has no layer number`);
  return Number(m[1]);
}

/** A deep copy of an update rule's config: its state arrays (m, v, velocity, cache) copied, so a trial step does not advance them. */
export function copyOptimConfig(c: OptimConfig | undefined): OptimConfig {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(c ?? {})) out[k] = ArrayBuffer.isView(v) ? (v as FloatArray).slice() : v;
  return out as OptimConfig;
}

function sqNorm(a: FloatArray): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * a[k]!;
  return s;
}

function sqDiff(a: FloatArray, b: FloatArray): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) {
    const d = a[k]! - b[k]!;
    s += d * d;
  }
  return s;
}

function dot(a: FloatArray, b: FloatArray): number {
  let s = 0;
  for (let k = 0; k < a.length; k++) s += a[k]! * b[k]!;
  return s;
}

/** One train-mode pass from the saved state; the model and the stream are put back afterwards. */
function pass(model: Model, X: Tensor, y: Labels, noise: StreamGuard | undefined, noiseState: unknown): { loss: number; grads: Map<string, Tensor> } {
  noise?.restore(noiseState);
  return model.loss(X, y);
}

/** Internal covariate shift of one affine layer at one step. */
export interface IcsLayer {
  /** ‖G − G′‖ (exactly 0 for layer 1, which has no earlier layer). */
  l2: number;
  /** cos(G, G′) (NaN when G or G′ is all zeros). */
  cos: number;
  /** ‖G‖. */
  gNorm: number;
}

/**
 * Internal covariate shift of every affine layer on the batch (X, y), for a model
 * about to take the step `rule` with the per-parameter `configs` (copied).
 * Layer 1's G′ is recomputed like the others' (with no earlier layer changed it is G
 * bit for bit, which the tests check). Costs 2 + numLayers train-mode passes.
 */
export function icsProbe(
  model: Model,
  X: Tensor,
  y: Labels,
  rule: UpdateRule<OptimConfig>,
  configs: ReadonlyMap<string, OptimConfig>,
  noise?: StreamGuard,
): IcsLayer[] {
  const snap = model.snapshot();
  const noiseState = noise?.save();
  try {
    const G = pass(model, X, y, noise, noiseState).grads;
    model.restore(snap);
    // The step every parameter would take (on copies of the weights and of the rule's state).
    const stepped = new Map<string, FloatArray>();
    for (const [name, p] of model.params) {
      const w = p.data.slice();
      rule(w, G.get(name)!.data, copyOptimConfig(configs.get(name)));
      stepped.set(name, w);
    }
    const numLayers = Math.max(...[...model.params.keys()].map(paramLayer));
    const out: IcsLayer[] = [];
    for (let i = 1; i <= numLayers; i++) {
      model.restore(snap);
      for (const [name, p] of model.params) if (paramLayer(name) < i) p.data.set(stepped.get(name)!);
      const g = G.get(`W${i}`)!.data;
      const g2 = pass(model, X, y, noise, noiseState).grads.get(`W${i}`)!.data;
      const n1 = sqNorm(g);
      const n2 = sqNorm(g2);
      // NOTE: sqrt(n·n) is exactly n in IEEE arithmetic, so identical gradients give cos = 1 exactly.
      const cos = n1 === 0 || n2 === 0 ? NaN : Math.max(-1, Math.min(1, dot(g, g2) / Math.sqrt(n1 * n2)));
      out.push({ l2: Math.sqrt(sqDiff(g, g2)), cos, gNorm: Math.sqrt(n1) });
    }
    return out;
  } finally {
    model.restore(snap);
    noise?.restore(noiseState);
  }
}

/** The landscape along the gradient at one step. */
export interface LandscapeProbe {
  /** L(w) on the batch. */
  loss: number;
  /** ‖∇L(w)‖ over every parameter. */
  gradNorm: number;
  /** L(w − η∇L) per step size. */
  losses: number[];
  /** ‖∇L(w) − ∇L(w − η∇L)‖ per step size (gradient predictiveness: small is predictive). */
  gradDiffs: number[];
  /** ‖Δw‖ actually moved per step size (the stepped weights are rounded to the model's dtype). */
  distances: number[];
  /** Effective β-smoothness: the largest gradDiff / distance. */
  beta: number;
}

/** Probes the loss and gradient at w − η·∇L(w) for each η of `stepSizes` on the batch (X, y); 1 + |stepSizes| passes. */
export function landscapeProbe(model: Model, X: Tensor, y: Labels, stepSizes: readonly number[], noise?: StreamGuard): LandscapeProbe {
  const snap = model.snapshot();
  const noiseState = noise?.save();
  try {
    const base = pass(model, X, y, noise, noiseState);
    let g2 = 0;
    for (const g of base.grads.values()) g2 += sqNorm(g.data);
    const losses: number[] = [];
    const gradDiffs: number[] = [];
    const distances: number[] = [];
    let beta = 0;
    for (const eta of stepSizes) {
      model.restore(snap);
      let moved = 0;
      for (const [name, p] of model.params) {
        const w = p.data;
        const g = base.grads.get(name)!.data;
        const w0 = snap.params.get(name)!;
        for (let k = 0; k < w.length; k++) w[k] = w0[k]! - eta * g[k]!;
        moved += sqDiff(w, w0);
      }
      const r = pass(model, X, y, noise, noiseState);
      let d2 = 0;
      for (const [name, g] of base.grads) d2 += sqDiff(g.data, r.grads.get(name)!.data);
      const diff = Math.sqrt(d2);
      const dist = Math.sqrt(moved);
      losses.push(r.loss);
      gradDiffs.push(diff);
      distances.push(dist);
      // NOTE: a step too small to change any float32 weight moves 0: it says nothing about smoothness.
      if (dist > 0) beta = Math.max(beta, diff / dist);
    }
    return { loss: base.loss, gradNorm: Math.sqrt(g2), losses, gradDiffs, distances, beta };
  } finally {
    model.restore(snap);
    noise?.restore(noiseState);
  }
}
