/**
 * A fully connected network with optional batch or layer normalization and
 * dropout, as in the assignment's fc_net.py:
 *
 *   {affine – [norm] – relu – [dropout]} × (L − 1) – affine – softmax
 *
 * Parameters live in structured layer objects; the `params` name map (W1, b1,
 * gamma1, beta1, …) is a view of the same tensors, built once.
 */
import { OptionError } from "../core/errors.js";
import { RandomState } from "../core/random.js";
import { Tensor, allocFloat, shapeSize } from "../core/tensor.js";
import type { DType, FloatArray, Labels } from "../core/tensor.js";
import { affineBackward, affineForward, affineParamBackward } from "../layers/affine.js";
import type { AffineCache, AffineParamBuffers } from "../layers/affine.js";
import { batchnormBackwardAlt, batchnormForward, createRunningStats } from "../layers/batchnorm.js";
import type { RunningStats } from "../layers/batchnorm.js";
import { layernormBackward, layernormForward } from "../layers/layernorm.js";
import { dropoutBackward, dropoutForward } from "../layers/dropout.js";
import { allFiniteKernel, gemmComputesEveryProduct } from "../kernels/index.js";
import type { DropoutCache } from "../layers/dropout.js";
import { softmaxLoss } from "../layers/losses.js";
import { reluBackward, reluForward } from "../layers/relu.js";
import type { ReluCache } from "../layers/relu.js";
import { normBackward, normForward } from "../layers/sandwich.js";
import type { NormCache, NormSpec } from "../layers/sandwich.js";
import type { LossOptions, Model, ModelSnapshot } from "./model.js";

/** The normalization inserted before each hidden ReLU. */
export type Normalization = "batchnorm" | "layernorm" | null;

/**
 * Normalization layers a net may run instead of bnlab's own (the exercise's hook:
 * a learner's implementations, with bnlab's public signatures).
 */
export interface NetLayerImpls {
  batchnormForward: typeof batchnormForward;
  /** The batch-norm backward the net uses (bnlab's own: the closed form). */
  batchnormBackward: typeof batchnormBackwardAlt;
  layernormForward: typeof layernormForward;
  layernormBackward: typeof layernormBackward;
}

/** Options of `FullyConnectedNet` (defaults as in the assignment). */
export interface FullyConnectedNetOptions {
  /** Sizes of the hidden layers; at least one, positive integers. */
  hiddenDims: readonly number[];
  /** Features per input sample; default 3072 (3·32·32). */
  inputDim?: number;
  /** Default 10. */
  numClasses?: number;
  /** Probability of keeping a hidden unit, in (0, 1]; 1 (default) means no dropout. */
  dropoutKeepRatio?: number;
  /** Default null (none). */
  normalization?: Normalization;
  /** L2 strength: the loss adds 0.5·reg·ΣW² over the weights. Default 0. */
  reg?: number;
  /** Standard deviation of the initial weights. Default 1e-2. */
  weightScale?: number;
  /** Default "float32"; gradient checks use "float64". */
  dtype?: DType;
  /** Seeds the model's stream (weight init, then dropout masks). */
  seed?: number;
  /** The stream to draw from instead (wins over `seed`). */
  rng?: RandomState;
  /**
   * Replacements for bnlab's normalization layers (each absent one falls back to
   * bnlab's). They are called with bnlab's public arguments only (no workspace buffers).
   */
  layers?: Partial<NetLayerImpls>;
}

/** One affine layer and, for a hidden layer with normalization, its scale, shift and statistics. */
interface Layer {
  readonly W: Tensor;
  readonly b: Tensor;
  readonly norm: { readonly gamma: Tensor; readonly beta: Tensor; readonly running: RunningStats | null } | null;
  readonly names: { readonly W: string; readonly b: string; readonly gamma: string; readonly beta: string };
}

interface HiddenCache {
  fc: AffineCache;
  /** The affine output x·W + b (a workspace buffer, untouched until the next forward). */
  a: FloatArray;
  norm: NormCache | null;
  relu: ReluCache;
  dropout: DropoutCache | null;
}

/**
 * Whether every element is finite (a sum of w·0 is NaN exactly when some w is ±Inf or NaN);
 * on the WebAssembly paths a SIMD pass over large arrays (the same answer).
 */
function allFinite(w: FloatArray): boolean {
  const kernel = allFiniteKernel(w.length);
  if (kernel !== null) return kernel(w);
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  const n4 = w.length & ~3;
  for (let k = 0; k < n4; k += 4) {
    s0 += w[k]! * 0;
    s1 += w[k + 1]! * 0;
    s2 += w[k + 2]! * 0;
    s3 += w[k + 3]! * 0;
  }
  for (let k = n4; k < w.length; k++) s0 += w[k]! * 0;
  return s0 + s1 + s2 + s3 === 0;
}

/** A layer's dw and db among the model's own gradients, or undefined (new arrays). */
function paramBuffers(own: Map<string, Tensor> | null, layer: Layer): AffineParamBuffers | undefined {
  return own === null ? undefined : { dw: own.get(layer.names.W)!.data, db: own.get(layer.names.b)!.data };
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

/**
 * Buffers proportional to the batch (activations, their gradients), reused by
 * every `loss` and `scores` call with the same batch size, so a training step
 * allocates nothing proportional to the batch after the first one. The returned
 * scores and gradients are never workspace buffers: callers may keep them.
 */
class Workspace {
  private readonly bufs = new Map<string, FloatArray>();
  constructor(private readonly dtype: DType) {}
  /** The buffer named `name` of n elements (created on first use). */
  get(name: string, n: number): FloatArray {
    let b = this.bufs.get(name);
    if (b === undefined || b.length !== n) {
      b = allocFloat(n, this.dtype);
      this.bufs.set(name, b);
    }
    return b;
  }
}

/** Batch sizes whose workspaces are kept (training, accuracy checks and a remainder batch). */
const MAX_WORKSPACES = 4;

/** The fully connected network of the assignment. Implements `Model`. */
export class FullyConnectedNet implements Model {
  readonly dtype: DType;
  readonly params: ReadonlyMap<string, Tensor>;
  readonly hiddenDims: readonly number[];
  readonly inputDim: number;
  readonly numClasses: number;
  readonly normalization: Normalization;
  readonly dropoutKeepRatio: number;
  readonly reg: number;
  /**
   * Test mode treats rows independently (batch norm uses the running statistics, dropout
   * is the identity, layer norm is per row), and no kernel's per-element arithmetic
   * depends on the number of rows (test/kernels.test.ts checks gemm for every path):
   * the Solver may score many rows per call. Not claimed for a net with given `layers`.
   */
  readonly rowwiseScores: boolean;
  /** Whether the `layers` option replaced some of bnlab's normalization layers (such a net checks accuracy inline). */
  readonly customLayers: boolean;
  /** The model's random stream: weights were drawn from it; dropout masks are. */
  readonly rng: RandomState;
  private readonly layers: readonly Layer[];
  /** The `layers` option (null: bnlab's own normalization layers, with workspace buffers). */
  private readonly layerImpls: Partial<NetLayerImpls> | null;
  private readonly workspaces = new Map<number, Workspace>();
  /** The gradients of `loss(X, y, { reuseGradients: true })` (created on first use), in the order of `params`. */
  private ownGrads: Map<string, Tensor> | null = null;

  constructor(options: FullyConnectedNetOptions) {
    const o = options;
    const hiddenDims = o.hiddenDims as unknown;
    if (!Array.isArray(hiddenDims) || hiddenDims.length === 0 || !hiddenDims.every(isPositiveInteger)) {
      throw new OptionError("hiddenDims", "a non-empty array of positive integers", hiddenDims);
    }
    const inputDim = o.inputDim ?? 3072;
    const numClasses = o.numClasses ?? 10;
    if (!isPositiveInteger(inputDim)) throw new OptionError("inputDim", "a positive integer", inputDim);
    if (!isPositiveInteger(numClasses)) throw new OptionError("numClasses", "a positive integer", numClasses);
    const normalization = o.normalization ?? null;
    if (normalization !== null && normalization !== "batchnorm" && normalization !== "layernorm") {
      throw new OptionError("normalization", 'null, "batchnorm" or "layernorm"', normalization);
    }
    const dtype = o.dtype ?? "float32";
    if (dtype !== "float32" && dtype !== "float64") throw new OptionError("dtype", '"float32" or "float64"', dtype);
    const reg = o.reg ?? 0;
    if (!(reg >= 0) || !Number.isFinite(reg)) throw new OptionError("reg", "a finite number >= 0", reg);
    const weightScale = o.weightScale ?? 1e-2;
    if (!(weightScale >= 0) || !Number.isFinite(weightScale)) {
      throw new OptionError("weightScale", "a finite number >= 0", weightScale);
    }
    const keep = o.dropoutKeepRatio ?? 1;
    if (!(keep > 0 && keep <= 1)) throw new OptionError("dropoutKeepRatio", "a keep probability in (0, 1]", keep);
    if (o.rng === undefined && o.seed !== undefined && !(Number.isInteger(o.seed) && o.seed >= 0 && o.seed < 2 ** 32)) {
      throw new OptionError("seed", "an integer in [0, 2^32)", o.seed);
    }
    this.dtype = dtype;
    this.hiddenDims = Object.freeze([...(hiddenDims as number[])]);
    this.inputDim = inputDim;
    this.numClasses = numClasses;
    this.normalization = normalization;
    this.dropoutKeepRatio = keep;
    this.reg = reg;
    this.rng = o.rng ?? (o.seed !== undefined ? new RandomState(o.seed) : new RandomState());
    this.layerImpls = o.layers !== undefined && Object.keys(o.layers).length > 0 ? { ...o.layers } : null;
    this.customLayers = this.layerImpls !== null;
    this.rowwiseScores = !this.customLayers;

    // NOTE: only the weights draw from the stream, layer by layer, so the
    // weights equal numpy's `weight_scale * np.random.randn(d_in, d_out)` for the same seed.
    const dims = [inputDim, ...this.hiddenDims, numClasses];
    const layers: Layer[] = [];
    for (let i = 0; i + 1 < dims.length; i++) {
      const din = dims[i]!;
      const dout = dims[i + 1]!;
      const z = this.rng.randn(din, dout).data;
      const w = allocFloat(din * dout, dtype);
      for (let k = 0; k < z.length; k++) w[k] = weightScale * z[k]!;
      const hidden = i + 1 < dims.length - 1;
      const n = i + 1;
      layers.push({
        W: new Tensor(w, [din, dout]),
        b: Tensor.zeros([dout], dtype),
        norm:
          hidden && normalization !== null
            ? {
                gamma: Tensor.full([dout], 1, dtype),
                beta: Tensor.zeros([dout], dtype),
                running: normalization === "batchnorm" ? createRunningStats(dout, dtype) : null,
              }
            : null,
        names: { W: `W${n}`, b: `b${n}`, gamma: `gamma${n}`, beta: `beta${n}` },
      });
    }
    this.layers = layers;
    const params = new Map<string, Tensor>();
    for (const l of layers) {
      params.set(l.names.W, l.W);
      params.set(l.names.b, l.b);
      if (l.norm) {
        params.set(l.names.gamma, l.norm.gamma);
        params.set(l.names.beta, l.norm.beta);
      }
    }
    this.params = params;
  }

  /** Number of affine layers (hidden layers + 1). */
  get numLayers(): number {
    return this.layers.length;
  }

  /**
   * Test mode: class scores, with batch norm using the running statistics and no dropout.
   * @param X (N, d1, …, dk) with d1·…·dk = inputDim (converted to the model's dtype if needed)
   * @returns scores (N, numClasses)
   */
  scores(X: Tensor): Tensor {
    const x = this.prepareInput(X);
    return this.forward(x, "test", this.workspace(x.shape[0]!), false).scores;
  }

  /**
   * Train mode: the softmax loss plus 0.5·reg·ΣW², and its gradient with respect
   * to every parameter (same names as `params`). Updates the batch-norm running
   * statistics and draws dropout masks from `rng`.
   * @param X (N, d1, …, dk) with d1·…·dk = inputDim
   * @param y labels (N), each in [0, numClasses)
   * @param options `reuseGradients: true` writes the gradients into buffers the model owns
   *   (the same map and tensors every time, overwritten by the next such call; the same values)
   */
  loss(X: Tensor, y: Labels, options?: LossOptions): { loss: number; grads: Map<string, Tensor> } {
    const x = this.prepareInput(X);
    const N = x.shape[0]!;
    this.checkLabels(y, N);
    const own = options?.reuseGradients === true ? this.ownGradients() : null;
    const ws = this.workspace(N);
    const { scores, caches } = this.forward(x, "train", ws, true);
    const { loss: dataLoss, dx: dscores } = softmaxLoss(scores, y, ws.get("dscores", scores.size));

    const grads = new Map<string, Tensor>();
    const L = this.layers.length;
    const last = this.layers[L - 1]!;
    const top = affineBackward(dscores, caches.last, ws.get(`dh${L - 2}`, N * this.hiddenDims[L - 2]!), paramBuffers(own, last));
    grads.set(last.names.W, top.dw);
    grads.set(last.names.b, top.db);
    let dh = top.dx;
    for (let i = L - 2; i >= 0; i--) {
      const layer = this.layers[i]!;
      const c = caches.hidden[i]!;
      const size = N * this.hiddenDims[i]!;
      if (c.dropout) dh = dropoutBackward(dh, c.dropout).dx;
      let da = reluBackward(dh, c.relu, ws.get(`drelu${i}`, size)).dx;
      if (c.norm && layer.norm) {
        const n = this.layerImpls === null ? normBackward(da, c.norm, ws.get(`dnorm${i}`, size)) : this.givenNormBackward(da, c.norm);
        if (own !== null) {
          // The norm layers return new (D-sized) arrays: copied into the model's own.
          own.get(layer.names.gamma)!.data.set(n.dgamma.data);
          own.get(layer.names.beta)!.data.set(n.dbeta.data);
        } else {
          grads.set(layer.names.gamma, n.dgamma);
          grads.set(layer.names.beta, n.dbeta);
        }
        da = n.dx;
      }
      // NOTE: the first layer's input is the data: nobody needs its gradient, so skip that product.
      if (i > 0) {
        const g = affineBackward(da, c.fc, ws.get(`dh${i - 1}`, N * this.hiddenDims[i - 1]!), paramBuffers(own, layer));
        dh = g.dx;
        grads.set(layer.names.W, g.dw);
        grads.set(layer.names.b, g.db);
      } else {
        const g = affineParamBackward(da, c.fc, paramBuffers(own, layer));
        grads.set(layer.names.W, g.dw);
        grads.set(layer.names.b, g.db);
      }
    }

    let regLoss = 0;
    for (let i = 0; i < L; i++) {
      const layer = this.layers[i]!;
      const w = layer.W.data;
      const dw = grads.get(layer.names.W)!.data;
      // NOTE: with reg = 0 the regularization adds 0·ΣW² and 0·W, which is a no-op
      // exactly when every weight is finite (0·Inf and 0·NaN are NaN, as in numpy).
      // One read-only pass with four partial sums decides; the exact loop runs otherwise.
      // Where the forward product computed every x·w (the WebAssembly paths), a
      // non-finite weight made its whole output column non-finite, so a finite output
      // (N·M values, not D·M) already proves the weights finite; W is unchanged since.
      if (this.reg === 0) {
        const [D, M] = layer.W.shape as [number, number];
        const out = i < L - 1 ? caches.hidden[i]!.a : scores.data;
        if (gemmComputesEveryProduct(N * M * D) && allFinite(out)) continue;
        if (allFinite(w)) continue;
      }
      let s = 0;
      for (let k = 0; k < w.length; k++) {
        s += w[k]! * w[k]!;
        dw[k] = dw[k]! + this.reg * w[k]!;
      }
      regLoss += 0.5 * this.reg * s;
    }
    if (own !== null) return { loss: dataLoss + regLoss, grads: own };
    // Return the gradients in the order of `params`.
    const ordered = new Map<string, Tensor>();
    for (const name of this.params.keys()) ordered.set(name, grads.get(name)!);
    return { loss: dataLoss + regLoss, grads: ordered };
  }

  /** The model's own gradient tensors, one per parameter, same names and order as `params`. */
  private ownGradients(): Map<string, Tensor> {
    if (this.ownGrads === null) {
      const g = new Map<string, Tensor>();
      for (const [name, t] of this.params) g.set(name, Tensor.zeros(t.shape, this.dtype));
      this.ownGrads = g;
    }
    return this.ownGrads;
  }

  /** Deep copy of the parameters and the batch-norm running statistics. */
  snapshot(): ModelSnapshot {
    const params = new Map<string, FloatArray>();
    for (const [name, t] of this.params) params.set(name, t.data.slice());
    const buffers = new Map<string, FloatArray>();
    for (const [name, a] of this.buffers()) buffers.set(name, a.slice());
    return { params, buffers };
  }

  /** Copies a snapshot (of this architecture) back into the model's own buffers. */
  restore(s: ModelSnapshot): void {
    const copy = (kind: string, name: string, dst: FloatArray, src: FloatArray | undefined): void => {
      if (src === undefined || src.length !== dst.length) {
        throw new OptionError(`snapshot ${kind} "${name}"`, `${dst.length} values`, src === undefined ? "nothing" : `${src.length} values`);
      }
      dst.set(src);
    };
    for (const [name, t] of this.params) copy("parameter", name, t.data, s.params.get(name));
    for (const [name, a] of this.buffers()) copy("buffer", name, a, s.buffers.get(name));
  }

  /** The non-learned state: runningMean1, runningVar1, … (batch norm only). */
  private buffers(): [string, FloatArray][] {
    const out: [string, FloatArray][] = [];
    this.layers.forEach((l, i) => {
      const r = l.norm?.running;
      if (r) out.push([`runningMean${i + 1}`, r.mean], [`runningVar${i + 1}`, r.var]);
    });
    return out;
  }

  /**
   * @param ws the batch size's workspace for the activations
   * @param scoresInWorkspace whether the scores may live in the workspace (not when returned to a caller)
   */
  private forward(
    x: Tensor,
    mode: "train" | "test",
    ws: Workspace,
    scoresInWorkspace: boolean,
  ): { scores: Tensor; caches: { hidden: HiddenCache[]; last: AffineCache } } {
    const hidden: HiddenCache[] = [];
    let h = x;
    const N = x.shape[0]!;
    const L = this.layers.length;
    for (let i = 0; i < L - 1; i++) {
      const layer = this.layers[i]!;
      const size = N * this.hiddenDims[i]!;
      const a = affineForward(h, layer.W, layer.b, ws.get(`a${i}`, size));
      let z = a.out;
      let norm: NormCache | null = null;
      if (layer.norm) {
        const spec: NormSpec =
          layer.norm.running !== null
            ? { kind: "batchnorm", param: { mode, running: layer.norm.running } }
            : { kind: "layernorm" };
        const bufs = { out: ws.get(`norm${i}`, size), xhat: ws.get(`xhat${i}`, size), xmu: ws.get(`xmu${i}`, size) };
        const n = this.layerImpls === null ? normForward(z, layer.norm.gamma, layer.norm.beta, spec, bufs) : this.givenNormForward(z, layer.norm.gamma, layer.norm.beta, spec);
        z = n.out;
        norm = n.cache;
      }
      const r = reluForward(z, ws.get(`h${i}`, size));
      h = r.out;
      let dropout: DropoutCache | null = null;
      if (this.dropoutKeepRatio < 1) {
        const d = dropoutForward(h, { p: this.dropoutKeepRatio, mode, rng: this.rng });
        h = d.out;
        dropout = d.cache;
      }
      hidden.push({ fc: a.cache, a: a.out.data, norm, relu: r.cache, dropout });
    }
    const last = this.layers[L - 1]!;
    const top = affineForward(h, last.W, last.b, scoresInWorkspace ? ws.get("scores", N * this.numClasses) : undefined);
    return { scores: top.out, caches: { hidden, last: top.cache } };
  }

  /** normForward with the `layers` option's functions where given (no buffers: the caller's code owns its outputs). */
  private givenNormForward(x: Tensor, gamma: Tensor, beta: Tensor, spec: NormSpec): { out: Tensor; cache: NormCache } {
    const L = this.layerImpls!;
    if (spec.kind === "batchnorm") {
      const n = (L.batchnormForward ?? batchnormForward)(x, gamma, beta, spec.param);
      return { out: n.out, cache: { kind: "batchnorm", cache: n.cache } };
    }
    const n = (L.layernormForward ?? layernormForward)(x, gamma, beta, spec.param ?? {});
    return { out: n.out, cache: { kind: "layernorm", cache: n.cache } };
  }

  /** normBackward with the `layers` option's functions where given. */
  private givenNormBackward(dout: Tensor, c: NormCache): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
    const L = this.layerImpls!;
    return c.kind === "batchnorm" ? (L.batchnormBackward ?? batchnormBackwardAlt)(dout, c.cache) : (L.layernormBackward ?? layernormBackward)(dout, c.cache);
  }

  /** The workspace for batch size N (the least recently created one is dropped past MAX_WORKSPACES). */
  private workspace(N: number): Workspace {
    let ws = this.workspaces.get(N);
    if (ws === undefined) {
      if (this.workspaces.size >= MAX_WORKSPACES) this.workspaces.delete(this.workspaces.keys().next().value!);
      ws = new Workspace(this.dtype);
      this.workspaces.set(N, ws);
    }
    return ws;
  }

  private prepareInput(X: Tensor): Tensor {
    const N = X.shape[0];
    const D = shapeSize(X.shape.slice(1));
    if (N === undefined || N === 0 || D !== this.inputDim) {
      throw new OptionError("X", `shape (N, ${this.inputDim}) with N >= 1 (or (N, d1, ..., dk) with ${this.inputDim} features)`, [...X.shape]);
    }
    // NOTE: inputs of the other dtype are converted (a copy, into the workspace) so
    // that every layer computes in the model's dtype.
    if (X.dtype === this.dtype) return X.reshape([N, D]);
    const buf = this.workspace(N).get("x", N * D);
    buf.set(X.data);
    return new Tensor(buf, [N, D]);
  }

  private checkLabels(y: Labels, N: number): void {
    if (y.length !== N) throw new OptionError("y", `${N} labels (one per row of X)`, y.length);
    for (let i = 0; i < N; i++) {
      const c = y[i]!;
      if (!(Number.isInteger(c) && c >= 0 && c < this.numClasses)) {
        throw new OptionError(`y[${i}]`, `a class index in [0, ${this.numClasses})`, c);
      }
    }
  }
}
