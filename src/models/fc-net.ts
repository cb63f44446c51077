/**
 * A fully connected network with optional batch or layer normalization and
 * dropout, as in the assignment's fc_net.py:
 *
 *   {affine – [norm – [bnNoise]] – activation – [dropout]} × (L − 1) – affine – softmax
 *
 * Parameters live in structured layer objects; the `params` name map (W1, b1,
 * gamma1, beta1, …) is a view of the same tensors, built once. `loss`, `scores`
 * and `trace` run the same forward and backward code (`forward`, `backward`).
 */
import { OptionError } from "../core/errors.js";
import { NORMALIZATION_EXPECTED, isNormalization, type Normalization } from "../core/names.js";
import { RandomState } from "../core/random.js";
import { Tensor, shapeSize } from "../core/tensor.js";
import type { DType, FloatArray, Labels } from "../core/tensor.js";
import { affineBackward, affineForward, affineParamBackward } from "../layers/affine.js";
import type { AffineParamBuffers } from "../layers/affine.js";
import { createRunningStats } from "../layers/batchnorm.js";
import type { RunningStats } from "../layers/batchnorm.js";
import { dropoutBackward, dropoutForward } from "../layers/dropout.js";
import { activeKernel, allFiniteReference, allocResident, gemmComputesEveryProduct, releaseResident } from "../kernels/index.js";
import type { DropoutCache } from "../layers/dropout.js";
import { softmaxLoss } from "../layers/losses.js";
import { normBackward, normForward } from "../layers/sandwich.js";
import type { NormCache } from "../layers/sandwich.js";
import { applyNoise, checkBnNoise, drawNoise, noiseBackward } from "./bn-noise.js";
import type { BnNoise, LayerNoise } from "./bn-noise.js";
import type { Activation } from "./fc-net-pass.js";
import type { LossOptions, Model, ModelSnapshot, ModelSpec } from "./model.js";
import { activationBackward, activationForward, tracePass } from "./fc-net-pass.js";
import type { ForwardCaches, HiddenCache, HiddenGrads, Pass } from "./fc-net-pass.js";
import type { ModelTrace, TraceOptions } from "./trace.js";
import { hasRunningStats, netNormSpec, resolveNetNorm } from "./net-norm.js";
import type { NetNormOptions, NetNormSettings } from "./net-norm.js";
import { Workspaces } from "./workspace.js";
import { givenLayers, type NetLayerImpls } from "./net-layers.js";
import type { Workspace } from "./workspace.js";

export type { BnNoise } from "./bn-noise.js";
export type { LayerTrace, ModelTrace, TraceOptions } from "./trace.js";

/** The normalization inserted before each hidden activation (the kinds are listed in src/core/names.ts). */
export type { Normalization };

export type { Activation } from "./fc-net-pass.js";
export type { NetLayerImpls } from "./net-layers.js";

/**
 * Options of `FullyConnectedNet` (defaults as in the assignment). `groups` (group norm),
 * `rMax` and `dMax` (batch renorm) are `NetNormOptions`, valid with their normalization only.
 */
export interface FullyConnectedNetOptions extends NetNormOptions {
  /** Sizes of the hidden layers; at least one, positive integers. */
  hiddenDims: readonly number[];
  /** Features per input sample; default 3072 (3·32·32). */
  inputDim?: number;
  /** Default 10. */
  numClasses?: number;
  /** Probability of keeping a hidden unit, in (0, 1]; 1 (default) means no dropout. */
  dropoutKeepRatio?: number;
  /** Default null (none); "batchnorm", "layernorm", "groupnorm" (Wu & He 2018) or "batchrenorm" (Ioffe 2017). */
  normalization?: Normalization;
  /** The hidden layers' nonlinearity; default "relu" (the assignment's). */
  activation?: Activation;
  /**
   * Noisy batch norm (Santurkar et al. 2018): in train mode, a random per-unit scale and shift
   * after each hidden batch-norm layer, drawn afresh at every train-mode forward pass from the
   * net's own stream `noiseRng` = RandomState(seed ?? 0), never from `rng` (see `BnNoise` for
   * the distribution). Requires normalization "batchnorm". shift = scale = 0 gives batch norm's
   * results bit for bit.
   */
  bnNoise?: BnNoise;
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
   * Replacements for bnlab's normalization layers (a learner's, in the exercise); each absent
   * one falls back to bnlab's. They get bnlab's public arguments only (no workspace buffers).
   */
  layers?: Partial<NetLayerImpls>;
}

/**
 * The spec of a FullyConnectedNet. NOTE: every option except the initialization ones
 * (seed, rng, weightScale: the weights come from a snapshot) must be listed, so a new
 * option fails to compile here until `spec()` carries it (or returns null for it).
 */
export interface FullyConnectedNetSpec extends ModelSpec {
  readonly kind: "fc-net";
  readonly options: { readonly [K in Exclude<keyof FullyConnectedNetOptions, "seed" | "rng" | "weightScale">]: FullyConnectedNetOptions[K] };
}

/** One affine layer and, for a hidden layer with normalization, its scale, shift and statistics. */
interface Layer {
  readonly W: Tensor;
  readonly b: Tensor;
  readonly norm: { readonly gamma: Tensor; readonly beta: Tensor; readonly running: RunningStats | null } | null;
  readonly names: { readonly W: string; readonly b: string; readonly gamma: string; readonly beta: string };
}

/** Whether every element is finite: the active backend's check (SIMD on the wasm paths), else the reference. */
function allFinite(w: FloatArray): boolean {
  return (activeKernel("allFinite", w.length) ?? allFiniteReference)(w);
}

/** A layer's dw and db among the model's own gradients, or undefined (new arrays). */
function paramBuffers(own: Map<string, Tensor> | null, layer: Layer): AffineParamBuffers | undefined {
  return own === null ? undefined : { dw: own.get(layer.names.W)!.data, db: own.get(layer.names.b)!.data };
}

function isPositiveInteger(v: unknown): v is number {
  return typeof v === "number" && Number.isInteger(v) && v > 0;
}

/**
 * dst[k] = s·src[k] (rounded to dst's type): a function of its own, so that the engine optimizes it
 * across models (a loop in the constructor, run once per model, stayed in the interpreter: 4–7 ms
 * for the first layer's 153,600 weights).
 */
function scaleInto(dst: FloatArray, src: FloatArray, s: number): void {
  for (let k = 0; k < src.length; k++) dst[k] = s * src[k]!;
}

/** The fully connected network of the assignment. Implements `Model`. */
export class FullyConnectedNet implements Model {
  readonly dtype: DType;
  readonly params: ReadonlyMap<string, Tensor>;
  readonly hiddenDims: readonly number[];
  readonly inputDim: number;
  readonly numClasses: number;
  readonly normalization: Normalization;
  /** The normalization's own settings (group norm's `groups`, batch renorm's `rMax`, `dMax`; null fields otherwise). */
  readonly normSettings: NetNormSettings;
  readonly dropoutKeepRatio: number;
  readonly reg: number;
  readonly activation: Activation;
  /** The noisy-batch-norm option (frozen), or null. */
  readonly bnNoise: Readonly<BnNoise> | null;
  /**
   * The stream bnNoise draws from (RandomState(bnNoise.seed ?? 0)), or null without bnNoise.
   * Its `getState`/`setState` replay a draw (e.g. the same noise for every evaluation of a
   * numerical gradient).
   */
  readonly noiseRng: RandomState | null;
  /**
   * Test mode treats rows independently (batch norm uses the running statistics, dropout
   * is the identity, layer norm is per row), and no kernel's per-element arithmetic
   * depends on the number of rows (test/kernels.test.ts checks gemm for every path):
   * the Solver may score many rows per call. Not claimed with given `layers`.
   */
  readonly rowwiseScores: boolean;
  /** Whether `layers` replaced some of bnlab's normalization layers (such a net checks accuracy inline). */
  readonly customLayers: boolean;
  /** The `layers` option, or null (bnlab's own normalization layers). */
  private readonly layerImpls: Partial<NetLayerImpls> | null;
  /** The model's random stream: weights were drawn from it; dropout masks are. */
  readonly rng: RandomState;
  private readonly layers: readonly Layer[];
  private readonly workspaces: Workspaces;
  /** The gradients of `loss(X, y, { reuseGradients: true })` (created on first use), in the order of `params`. */
  private ownGrads: Map<string, Tensor> | null = null;
  private disposed = false;

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
    if (!isNormalization(normalization)) throw new OptionError("normalization", NORMALIZATION_EXPECTED, normalization);
    const normSettings = resolveNetNorm(normalization, o, hiddenDims as number[]);
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
    const activation = o.activation ?? "relu";
    if (activation !== "relu" && activation !== "sigmoid" && activation !== "tanh") {
      throw new OptionError("activation", '"relu", "sigmoid" or "tanh"', activation);
    }
    const bnNoise = o.bnNoise === undefined ? null : checkBnNoise(o.bnNoise);
    if (bnNoise !== null && normalization !== "batchnorm") {
      throw new OptionError("bnNoise", 'normalization "batchnorm" (noise follows a batch-norm layer)', normalization);
    }
    if (o.rng === undefined && o.seed !== undefined && !(Number.isInteger(o.seed) && o.seed >= 0 && o.seed < 2 ** 32)) {
      throw new OptionError("seed", "an integer in [0, 2^32)", o.seed);
    }
    this.dtype = dtype;
    this.hiddenDims = Object.freeze([...(hiddenDims as number[])]);
    this.inputDim = inputDim;
    this.numClasses = numClasses;
    this.normalization = normalization;
    this.normSettings = normSettings;
    this.dropoutKeepRatio = keep;
    this.reg = reg;
    this.activation = activation;
    this.bnNoise = bnNoise;
    this.noiseRng = bnNoise === null ? null : new RandomState(bnNoise.seed ?? 0);
    this.workspaces = new Workspaces(dtype);
    this.rng = o.rng ?? (o.seed !== undefined ? new RandomState(o.seed) : new RandomState());
    this.layerImpls = givenLayers(o.layers);
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
      // NOTE: resident (src/kernels/wasm.ts): the products and the update read it in place.
      const w = allocResident(din * dout, dtype);
      scaleInto(w, z, weightScale);
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
                running: hasRunningStats(normalization) ? createRunningStats(dout, dtype) : null,
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
    return this.forward(x, "test", false, this.workspaces.forBatch(x.shape[0]!), false).scores;
  }

  /**
   * Train mode: the softmax loss plus 0.5·reg·ΣW², and its gradient with respect
   * to every parameter (same names as `params`). Updates the batch-norm running
   * statistics, draws dropout masks from `rng` and bnNoise from `noiseRng`.
   * @param X (N, d1, …, dk) with d1·…·dk = inputDim
   * @param y labels (N), each in [0, numClasses)
   * @param options `reuseGradients: true` writes the gradients into buffers the model owns
   *   (the same map and tensors every time, overwritten by the next such call; the same values)
   */
  loss(X: Tensor, y: Labels, options?: LossOptions): { loss: number; grads: Map<string, Tensor> } {
    const x = this.prepareInput(X);
    this.checkLabels(y, x.shape[0]!);
    const own = options?.reuseGradients === true ? this.ownGradients() : null;
    const { loss, grads } = this.pass(x, y, "train", true, own, false);
    return { loss, grads };
  }

  /**
   * One forward and backward pass, recorded: per hidden layer its input, affine output,
   * normalized value, activation output and the loss gradient with respect to each, with
   * the parameter gradients; the loss, scores and gradients are those `loss` computes
   * (the same code, bit for bit). Every tensor is a copy.
   *
   * Tracing changes no parameter and, unless `updateRunningStats`, no running statistic.
   * In train mode it draws what `loss` draws (dropout masks from `rng`, bnNoise from
   * `noiseRng`); in test mode nothing. The loss includes the regularization.
   * @param X (N, d1, …, dk) with d1·…·dk = inputDim; y labels (N)
   */
  trace(X: Tensor, y: Labels, options: TraceOptions = {}): ModelTrace {
    const mode = options.mode ?? "train";
    if (mode !== "train" && mode !== "test") throw new OptionError("mode", '"train" or "test"', mode);
    const update = options.updateRunningStats ?? false;
    if (typeof update !== "boolean") throw new OptionError("updateRunningStats", "a boolean", update);
    const views = options.views ?? false;
    if (typeof views !== "boolean") throw new OptionError("views", "a boolean", views);
    const x = this.prepareInput(X);
    this.checkLabels(y, x.shape[0]!);
    const p = this.pass(x, y, mode, mode === "train" && update, null, true);
    return tracePass(p, this.layers.map((l) => l.names), views);
  }

  /**
   * The shared pass of `loss` and `trace`: forward, softmax loss, backward, regularization.
   * @param updateRunning whether a train-mode batch norm moves its running statistics
   * @param own the model's own gradient buffers to write into, or null (new arrays)
   * @param inputGrad whether to compute the first layer's input gradient too
   */
  private pass(x: Tensor, y: Labels, mode: "train" | "test", updateRunning: boolean, own: Map<string, Tensor> | null, inputGrad: boolean): Pass {
    const N = x.shape[0]!;
    const ws = this.workspaces.forBatch(N);
    const { scores, caches } = this.forward(x, mode, updateRunning, ws, true);
    const { loss: dataLoss, dx: dscores } = softmaxLoss(scores, y, ws.get("dscores", scores.size));
    const { grads, hiddenGrads } = this.backward(dscores, caches, ws, own, inputGrad);

    const L = this.layers.length;
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
        const out = i < L - 1 ? caches.hidden[i]!.a.data : scores.data;
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
    const loss = dataLoss + regLoss;
    if (own !== null) return { loss, grads: own, scores, caches, hiddenGrads };
    // Return the gradients in the order of `params`.
    const ordered = new Map<string, Tensor>();
    for (const name of this.params.keys()) ordered.set(name, grads.get(name)!);
    return { loss, grads: ordered, scores, caches, hiddenGrads };
  }

  /**
   * Backward from dscores through every layer.
   * @returns the parameter gradients (in `own` when given) and each hidden layer's backward values
   */
  private backward(
    dscores: Tensor,
    caches: ForwardCaches,
    ws: Workspace,
    own: Map<string, Tensor> | null,
    inputGrad: boolean,
  ): { grads: Map<string, Tensor>; hiddenGrads: HiddenGrads[] } {
    const N = dscores.shape[0]!;
    const grads = new Map<string, Tensor>();
    const L = this.layers.length;
    const last = this.layers[L - 1]!;
    const top = affineBackward(dscores, caches.last, ws.get(`dh${L - 2}`, N * this.hiddenDims[L - 2]!), paramBuffers(own, last));
    grads.set(last.names.W, top.dw);
    grads.set(last.names.b, top.db);
    const hiddenGrads: HiddenGrads[] = new Array<HiddenGrads>(L - 1);
    let dh = top.dx;
    for (let i = L - 2; i >= 0; i--) {
      const layer = this.layers[i]!;
      const c = caches.hidden[i]!;
      const size = N * this.hiddenDims[i]!;
      const dActivated = c.dropout ? dropoutBackward(dh, c.dropout).dx : dh;
      let dAffine = activationBackward(dActivated, c.act, ws.get(`drelu${i}`, size));
      let dNormalized: Tensor | null = null;
      if (c.norm && layer.norm) {
        dNormalized = dAffine;
        // NOTE: the noise is a constant of the step: its backward only scales by s.
        const dn = c.noise ? noiseBackward(dNormalized, c.noise, ws.get(`dnoise${i}`, size)).dx : dNormalized;
        const n = this.normBackward(dn, c.norm, ws.get(`dnorm${i}`, size));
        if (own !== null) {
          // The norm layers return new (D-sized) arrays: copied into the model's own.
          own.get(layer.names.gamma)!.data.set(n.dgamma.data);
          own.get(layer.names.beta)!.data.set(n.dbeta.data);
        } else {
          grads.set(layer.names.gamma, n.dgamma);
          grads.set(layer.names.beta, n.dbeta);
        }
        dAffine = n.dx;
      }
      // NOTE: the first layer's input is the data: nobody but a trace needs its gradient, so skip that product.
      let dInput: Tensor | null = null;
      if (i > 0 || inputGrad) {
        const dxBuffer = i > 0 ? ws.get(`dh${i - 1}`, N * this.hiddenDims[i - 1]!) : ws.get("dinput", N * this.inputDim);
        const g = affineBackward(dAffine, c.fc, dxBuffer, paramBuffers(own, layer));
        dh = dInput = g.dx;
        grads.set(layer.names.W, g.dw);
        grads.set(layer.names.b, g.db);
      } else {
        const g = affineParamBackward(dAffine, c.fc, paramBuffers(own, layer));
        grads.set(layer.names.W, g.dw);
        grads.set(layer.names.b, g.db);
      }
      hiddenGrads[i] = { dInput, dAffine, dNormalized, dActivated };
    }
    return { grads, hiddenGrads };
  }

  /**
   * Hands the net's resident memory (`allocResident`: its weights, its own gradient buffers and
   * its workspaces) back to the backend now, rather than when the net is garbage, so that the
   * next net reuses those pages (the sweep does it after each run). The net must not be used
   * afterwards, nor any array it gave out (its params' data, gradients, trace views): their
   * memory becomes the next resident array's. A later pass, snapshot or restore throws.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const arrays: FloatArray[] = [...this.workspaces.takeAll()];
    for (const t of this.params.values()) arrays.push(t.data);
    for (const t of this.ownGrads?.values() ?? []) arrays.push(t.data);
    for (const [, a] of this.buffers()) arrays.push(a);
    this.ownGrads = null;
    releaseResident(arrays);
  }

  private checkLive(): void {
    if (this.disposed) throw new Error("FullyConnectedNet: used after dispose()");
  }

  /** The model's own gradient tensors, one per parameter, same names and order as `params`. */
  private ownGradients(): Map<string, Tensor> {
    if (this.ownGrads === null) {
      const g = new Map<string, Tensor>();
      for (const [name, t] of this.params) g.set(name, new Tensor(allocResident(t.size, this.dtype), t.shape));
      this.ownGrads = g;
    }
    return this.ownGrads;
  }

  /**
   * The options that rebuild this net (not its weights); null for a subclass (its overrides are not
   * data) and for a net with given `layers` (functions, a learner's code, cannot be sent to another thread).
   */
  spec(): FullyConnectedNetSpec | null {
    if (Object.getPrototypeOf(this) !== FullyConnectedNet.prototype || this.customLayers) return null;
    return {
      kind: "fc-net",
      options: {
        hiddenDims: [...this.hiddenDims],
        inputDim: this.inputDim,
        numClasses: this.numClasses,
        normalization: this.normalization,
        activation: this.activation,
        // Test-mode scores never draw noise; carried so the rebuilt net is the same net.
        bnNoise: this.bnNoise === null ? undefined : { ...this.bnNoise },
        groups: this.normSettings.groups ?? undefined,
        rMax: this.normSettings.rMax ?? undefined,
        dMax: this.normSettings.dMax ?? undefined,
        dropoutKeepRatio: this.dropoutKeepRatio,
        reg: this.reg,
        dtype: this.dtype,
        layers: undefined,
      },
    };
  }

  /** The streams training draws from: "rng" (dropout masks) and, with bnNoise, "noise". */
  randomStreams(): ReadonlyMap<string, RandomState> {
    const m = new Map<string, RandomState>([["rng", this.rng]]);
    if (this.noiseRng !== null) m.set("noise", this.noiseRng);
    return m;
  }

  /** Deep copy of the parameters and the running statistics (batch norm, batch renorm). */
  snapshot(): ModelSnapshot {
    this.checkLive();
    const params = new Map<string, FloatArray>();
    for (const [name, t] of this.params) params.set(name, t.data.slice());
    const buffers = new Map<string, FloatArray>();
    for (const [name, a] of this.buffers()) buffers.set(name, a.slice());
    return { params, buffers };
  }

  /** Copies a snapshot (of this architecture) back into the model's own buffers. */
  restore(s: ModelSnapshot): void {
    this.checkLive();
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
   * @param updateRunning whether a train-mode batch norm moves its running statistics
   * @param ws the batch size's workspace for the activations
   * @param scoresInWorkspace whether the scores may live in the workspace (not when returned to a caller)
   */
  private forward(
    x: Tensor,
    mode: "train" | "test",
    updateRunning: boolean,
    ws: Workspace,
    scoresInWorkspace: boolean,
  ): { scores: Tensor; caches: ForwardCaches } {
    const hidden: HiddenCache[] = [];
    let h = x;
    const N = x.shape[0]!;
    const L = this.layers.length;
    for (let i = 0; i < L - 1; i++) {
      const layer = this.layers[i]!;
      const size = N * this.hiddenDims[i]!;
      const input = h;
      const a = affineForward(h, layer.W, layer.b, ws.get(`a${i}`, size));
      let z = a.out;
      let norm: NormCache | null = null;
      let noise: LayerNoise | null = null;
      let normalized: Tensor | null = null;
      if (layer.norm) {
        const n = this.normForward(layer.norm, z, mode, updateRunning, ws, i);
        z = n.out;
        norm = n.cache;
        if (this.noiseRng !== null && this.bnNoise !== null && mode === "train") {
          noise = drawNoise(this.noiseRng, this.hiddenDims[i]!, this.bnNoise);
          applyNoise(z, noise);
        }
        normalized = z;
      }
      const r = activationForward(this.activation, z, ws.get(`h${i}`, size));
      h = r.out;
      let dropout: DropoutCache | null = null;
      if (this.dropoutKeepRatio < 1) {
        const d = dropoutForward(h, { p: this.dropoutKeepRatio, mode, rng: this.rng });
        h = d.out;
        dropout = d.cache;
      }
      hidden.push({ input, fc: a.cache, a: a.out, norm, noise, normalized, act: r.cache, activated: r.out, dropout });
    }
    const last = this.layers[L - 1]!;
    const top = affineForward(h, last.W, last.b, scoresInWorkspace ? ws.get("scores", N * this.numClasses) : undefined);
    return { scores: top.out, caches: { hidden, last: top.cache } };
  }

  /**
   * The one place the hidden layers' normalization runs forward: the kind of
   * `this.normalization` as a sandwich `NormSpec` (src/models/net-norm.ts); batch norm's
   * and batch renorm's output and intermediates in the workspace.
   */
  private normForward(
    norm: NonNullable<Layer["norm"]>,
    z: Tensor,
    mode: "train" | "test",
    updateRunning: boolean,
    ws: Workspace,
    i: number,
  ): { out: Tensor; cache: NormCache } {
    const kind = this.normalization!;
    const spec = netNormSpec(kind, this.normSettings, norm.running, mode, updateRunning);
    // NOTE: given layers (the exercise's) get bnlab's public arguments only, no workspace buffers.
    const L = this.layerImpls;
    if (spec.kind === "batchnorm" && L?.batchnormForward !== undefined) {
      const n = L.batchnormForward(z, norm.gamma, norm.beta, spec.param);
      return { out: n.out, cache: { kind: "batchnorm", cache: n.cache } };
    }
    if (spec.kind === "layernorm" && L?.layernormForward !== undefined) {
      const n = L.layernormForward(z, norm.gamma, norm.beta, spec.param ?? {});
      return { out: n.out, cache: { kind: "layernorm", cache: n.cache } };
    }
    const size = z.size;
    const bufs = hasRunningStats(kind) ? { out: ws.get(`norm${i}`, size), xhat: ws.get(`xhat${i}`, size), xmu: ws.get(`xmu${i}`, size) } : undefined;
    return normForward(z, norm.gamma, norm.beta, spec, bufs);
  }

  /** The one place the normalization runs backward (batch norm: the closed form `batchnormBackwardAlt`). */
  private normBackward(dout: Tensor, cache: NormCache, dxBuffer: FloatArray): { dx: Tensor; dgamma: Tensor; dbeta: Tensor } {
    const L = this.layerImpls;
    if (cache.kind === "batchnorm" && L?.batchnormBackward !== undefined) return L.batchnormBackward(dout, cache.cache);
    if (cache.kind === "layernorm" && L?.layernormBackward !== undefined) return L.layernormBackward(dout, cache.cache);
    return normBackward(dout, cache, dxBuffer);
  }

  private prepareInput(X: Tensor): Tensor {
    this.checkLive();
    const N = X.shape[0];
    const D = shapeSize(X.shape.slice(1));
    if (N === undefined || N === 0 || D !== this.inputDim) {
      throw new OptionError("X", `shape (N, ${this.inputDim}) with N >= 1 (or (N, d1, ..., dk) with ${this.inputDim} features)`, [...X.shape]);
    }
    // NOTE: inputs of the other dtype are converted (a copy, into the workspace) so
    // that every layer computes in the model's dtype.
    if (X.dtype === this.dtype) return X.reshape([N, D]);
    const buf = this.workspaces.forBatch(N).get("x", N * D);
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
