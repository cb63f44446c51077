/**
 * The Solver: trains a `Model` with minibatch gradient descent, with the
 * semantics of the assignment's solver.py.
 *
 * - Each iteration draws a minibatch with replacement, `rng.choice(numTrain, batchSize)`.
 * - iterationsPerEpoch = max(⌊numTrain / batchSize⌋, 1); numIterations = numEpochs · iterationsPerEpoch.
 * - Every parameter has its own copy of `optimConfig` (and its own state).
 * - At each epoch end the learning rate of every parameter's config is multiplied by `lrDecay`.
 * - After the first iteration, at each epoch end and after the last iteration the
 *   train accuracy (on `numTrainSamples` rows drawn with replacement, when there are
 *   more) and the validation accuracy (all rows, or `numValSamples` drawn) are measured.
 * - The best model by validation accuracy is kept and restored at the end —
 *   parameters AND batch-norm running statistics (via `snapshot`/`restore`; the
 *   assignment forgets the statistics).
 * - None of these draws depend on the training: `skipSolverDraws` advances a
 *   stream past one `train()` without training (the same helpers decide both).
 *
 * A diverging run is recorded, not thrown: a non-finite loss goes into
 * `lossHistory` as is, training continues and accuracy is still measured.
 * The Solver never prints; progress goes to `onProgress`.
 */
import { DataFormatError, OptionError } from "../core/errors.js";
import { RandomState } from "../core/random.js";
import { Tensor, shapeSize } from "../core/tensor.js";
import { allocResident, releaseResident } from "../kernels/index.js";
import type { FloatArray, Labels } from "../core/tensor.js";
import type { Model, ModelSnapshot } from "../models/model.js";
import { getUpdateRule, validateOptimConfig } from "../optim/index.js";
import type { OptimConfig, UpdateRule } from "../optim/index.js";
import { AccuracyCounter, InputPins, gatherRows } from "./accuracy.js";
import { InlineChecks, ProgressInOrder, ThreadedChecks, getBackgroundCheckerFactory } from "./checks.js";
import type { CheckResult, Checks } from "./checks.js";
import { checkResumable, copySnapshot, optimConfigOf, optimStateOf, type SolverState } from "./solver-state.js";

export { setBackgroundCheckerFactory } from "./checks.js";
export type { BackgroundChecker, BackgroundCheckerFactory, CheckOutcome } from "./checks.js";
export type { OptimState, SolverState, SolverStateSettings } from "./solver-state.js";

/** Training and validation data. X (N, d1, …, dk); y (N) integer labels. */
export interface Dataset {
  xTrain: Tensor;
  yTrain: Labels;
  xVal: Tensor;
  yVal: Labels;
}

/** What `onProgress` receives after every iteration. */
export interface SolverProgress {
  /** Iterations completed so far in this `train()` call (1 … numIterations). */
  iteration: number;
  numIterations: number;
  /** Epochs completed so far. */
  epoch: number;
  /** This iteration's minibatch loss (may be NaN or Infinity for a diverging run). */
  loss: number;
  /** Present when accuracy was measured after this iteration. */
  trainAcc?: number;
  valAcc?: number;
}

/** Solver options (defaults as in the assignment). */
export interface SolverOptions {
  /** "sgd" (default), "sgdMomentum", "rmsprop" or "adam". */
  updateRule?: string;
  /** Hyperparameters of the rule (e.g. `{ learningRate: 1e-3 }`); copied for each parameter. */
  optimConfig?: OptimConfig;
  /** Factor applied to the learning rate after each epoch. Default 1. */
  lrDecay?: number;
  /** Default 100. */
  batchSize?: number;
  /** Default 10. */
  numEpochs?: number;
  /** Training rows used to measure train accuracy (null: all). Default 1000. */
  numTrainSamples?: number | null;
  /** Validation rows used to measure validation accuracy (null, the default: all). */
  numValSamples?: number | null;
  /** Seeds the Solver's stream (minibatches and accuracy subsamples). */
  seed?: number;
  /** The stream to draw from instead (wins over `seed`); share one with the model to replay numpy's global stream. */
  rng?: RandomState;
  /** Called after every iteration, in order. */
  onProgress?: (p: SolverProgress) => void;
  /**
   * Measure accuracy on another thread while training goes on (see `BackgroundChecker`).
   * "auto" (the default): when a checker is registered (in Node, `enableBackgroundChecks()`
   * registers one; without it "auto" is inline), this is the process's main thread and the
   * machine has at least 2 cores. true: whenever a checker is registered. false: never.
   * Results are identical either way; only the timing differs.
   */
  backgroundChecks?: boolean | "auto";
  /**
   * Called with the whole state (`solver.state()`) at the end of every `checkpointEvery`-th
   * epoch and of the last one, after that epoch's check is recorded (a background check is
   * waited for first): what a checkpoint saves. `restoreState` of it continues the run.
   */
  onCheckpoint?: (state: SolverState) => void;
  /** Epochs between `onCheckpoint` calls. Default 1. */
  checkpointEvery?: number;
  /**
   * Where the inline checks keep their pinned rows (the rows scored whole, packed once for the
   * first layer's product; the same bits): by default the Solver's own, released at the end of
   * each `train()` call. Given one, the pins stay there for the next Solver that trains on the
   * same rows (the sweep's workers); its holder releases them and promises that the data does
   * not change until then.
   */
  inputPins?: InputPins;
}

const OPTION_KEYS = [
  "updateRule",
  "optimConfig",
  "lrDecay",
  "batchSize",
  "numEpochs",
  "numTrainSamples",
  "numValSamples",
  "seed",
  "rng",
  "onProgress",
  "backgroundChecks",
  "onCheckpoint",
  "checkpointEvery",
  "inputPins",
];


function positiveInteger(option: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v <= 0) throw new OptionError(option, "a positive integer", v);
  return v;
}

function optionalPositiveInteger(option: string, v: unknown): number | null {
  return v === null ? null : positiveInteger(option, v);
}

function checkSplit(name: "Train" | "Val", X: unknown, y: unknown): void {
  if (!(X instanceof Tensor) || X.ndim < 2) {
    throw new OptionError(`data.x${name}`, "a Tensor of shape (N, d1, ..., dk)", X instanceof Tensor ? [...X.shape] : X);
  }
  if (!(y instanceof Int32Array)) throw new OptionError(`data.y${name}`, "an Int32Array of labels", y);
  if (X.shape[0] === 0) throw new OptionError(`data.x${name}`, "at least one row", [...X.shape]);
  if (y.length !== X.shape[0]) {
    throw new OptionError(`data.y${name}`, `${X.shape[0]} labels (one per row of x${name})`, `${y.length} labels`);
  }
}


/** The options that decide the Solver's draws, validated, with the assignment's defaults. */
interface DrawSchedule {
  batchSize: number;
  numEpochs: number;
  numTrainSamples: number | null;
  numValSamples: number | null;
}

function drawSchedule(o: { batchSize?: number; numEpochs?: number; numTrainSamples?: number | null; numValSamples?: number | null }): DrawSchedule {
  return {
    batchSize: positiveInteger("batchSize", o.batchSize ?? 100),
    numEpochs: positiveInteger("numEpochs", o.numEpochs ?? 10),
    numTrainSamples: optionalPositiveInteger("numTrainSamples", o.numTrainSamples === undefined ? 1000 : o.numTrainSamples),
    numValSamples: optionalPositiveInteger("numValSamples", o.numValSamples ?? null),
  };
}

/** max(⌊numTrain / batchSize⌋, 1). */
function iterationsPerEpochOf(numTrain: number, batchSize: number): number {
  return Math.max(Math.floor(numTrain / batchSize), 1);
}

/** Whether accuracy is measured after iteration t (0-based): the first, each epoch end, the last. */
function isCheckIteration(t: number, perEpoch: number, numIterations: number): boolean {
  return t === 0 || t === numIterations - 1 || (t + 1) % perEpoch === 0;
}

/** A minibatch's row indices (batchSize), drawn with replacement as `np.random.choice(numTrain, batchSize)`. */
function drawMinibatch(rng: RandomState, numTrain: number, batchSize: number): Int32Array {
  return rng.choice(numTrain, batchSize);
}

/** The rows an accuracy check scores: numSamples drawn with replacement when N is larger, else null (all N, no draw). */
function drawSubsample(rng: RandomState, N: number, numSamples: number | null): Int32Array | null {
  return numSamples !== null && N > numSamples ? rng.choice(N, numSamples) : null;
}

/** Trains a model; see the module comment for the exact semantics. */
export class Solver {
  readonly model: Model;
  readonly data: Dataset;
  readonly updateRuleName: string;
  readonly lrDecay: number;
  readonly batchSize: number;
  readonly numEpochs: number;
  readonly numTrainSamples: number | null;
  readonly numValSamples: number | null;
  readonly rng: RandomState;

  /** Epochs completed. */
  epoch = 0;
  /** Best validation accuracy seen (0 before any check). */
  bestValAcc = 0;
  /** One minibatch loss per iteration, non-finite values included. */
  readonly lossHistory: number[] = [];
  /** Train accuracy at each check. */
  readonly trainAccHistory: number[] = [];
  /** Validation accuracy at each check. */
  readonly valAccHistory: number[] = [];
  /** The iteration (1-based, counted over all `train()` calls) after which each check was made. */
  readonly accIterations: number[] = [];
  /** Per-parameter rule configs (with state), by parameter name. */
  readonly optimConfigs = new Map<string, OptimConfig>();

  private readonly rule: UpdateRule<OptimConfig>;
  private readonly onProgress: ((p: SolverProgress) => void) | undefined;
  private best: ModelSnapshot | null = null;
  private bestSet = false;
  private bestIteration = 0;
  private itersDone = 0;
  /** Iterations done in the current `train()` call; a restored state's count until `train()` starts from it. */
  private callIteration = 0;
  private readonly optimConfig: OptimConfig;
  private readonly onCheckpoint: ((state: SolverState) => void) | undefined;
  private readonly checkpointEvery: number;
  // Buffers allocated once and reused by every iteration and accuracy check.
  private readonly xBatch: Tensor;
  private readonly yBatch: Int32Array;
  private readonly counter = new AccuracyCounter();
  private readonly inputPins: InputPins | undefined;
  private disposed = false;
  /** Measures the accuracy checks: inline, or on another thread. */
  private readonly checks: Checks;

  constructor(model: Model, data: Dataset, options: SolverOptions = {}) {
    for (const key of Object.keys(options)) {
      if (!OPTION_KEYS.includes(key)) throw new OptionError(`Solver option "${key}"`, `one of ${OPTION_KEYS.join(", ")}`, key);
    }
    checkSplit("Train", data.xTrain, data.yTrain);
    checkSplit("Val", data.xVal, data.yVal);
    const rowShape = data.xTrain.shape.slice(1);
    if (shapeSize(data.xVal.shape.slice(1)) !== shapeSize(rowShape)) {
      throw new OptionError("data.xVal", `rows of ${shapeSize(rowShape)} features like xTrain [${data.xTrain.shape.join(", ")}]`, [...data.xVal.shape]);
    }
    const o = options;
    this.updateRuleName = o.updateRule ?? "sgd";
    this.rule = getUpdateRule(this.updateRuleName);
    const optimConfig = o.optimConfig ?? {};
    if (typeof optimConfig !== "object" || optimConfig === null) throw new OptionError("optimConfig", "an object", optimConfig);
    validateOptimConfig(this.updateRuleName, optimConfig, { allowState: false });
    this.optimConfig = { ...optimConfig };
    const lrDecay = o.lrDecay ?? 1;
    if (typeof lrDecay !== "number" || !Number.isFinite(lrDecay) || lrDecay <= 0) throw new OptionError("lrDecay", "a finite number > 0", lrDecay);
    this.lrDecay = lrDecay;
    const schedule = drawSchedule(o);
    this.batchSize = schedule.batchSize;
    this.numEpochs = schedule.numEpochs;
    this.numTrainSamples = schedule.numTrainSamples;
    this.numValSamples = schedule.numValSamples;
    if (o.rng !== undefined && !(o.rng instanceof RandomState)) throw new OptionError("rng", "a RandomState", o.rng);
    this.rng = o.rng ?? new RandomState(o.seed);
    if (o.onProgress !== undefined && typeof o.onProgress !== "function") throw new OptionError("onProgress", "a function", o.onProgress);
    this.onProgress = o.onProgress;
    if (o.onCheckpoint !== undefined && typeof o.onCheckpoint !== "function") throw new OptionError("onCheckpoint", "a function", o.onCheckpoint);
    this.onCheckpoint = o.onCheckpoint;
    this.checkpointEvery = positiveInteger("checkpointEvery", o.checkpointEvery ?? 1);
    if (o.inputPins !== undefined && !(o.inputPins instanceof InputPins)) throw new OptionError("inputPins", "an InputPins", o.inputPins);
    this.inputPins = o.inputPins;
    this.model = model;
    this.data = data;
    const bg = o.backgroundChecks ?? "auto";
    if (bg !== true && bg !== false && bg !== "auto") throw new OptionError("backgroundChecks", 'true, false or "auto"', bg);
    const factory = getBackgroundCheckerFactory();
    const checker = bg === false || factory === null ? null : factory(model, data, bg === true);
    const inline = new InlineChecks(data, (X, y, mask) => this.accuracy(X, y, mask));
    this.checks = checker === null ? inline : new ThreadedChecks(checker, model, inline);

    for (const name of model.params.keys()) this.optimConfigs.set(name, { ...optimConfig });
    // NOTE: resident (src/kernels/wasm.ts): the first layer's products read the batch in place.
    this.xBatch = new Tensor(allocResident(this.batchSize * shapeSize(rowShape), model.dtype), [this.batchSize, ...rowShape]);
    this.yBatch = new Int32Array(this.batchSize);
  }

  /** max(⌊numTrain / batchSize⌋, 1). */
  get iterationsPerEpoch(): number {
    return iterationsPerEpochOf(this.data.xTrain.shape[0]!, this.batchSize);
  }

  /** numEpochs · iterationsPerEpoch (per `train()` call). */
  get numIterations(): number {
    return this.numEpochs * this.iterationsPerEpoch;
  }

  /**
   * Hands the Solver's resident memory (`allocResident`) back to the backend now, rather than
   * when the Solver is garbage: its minibatch buffer, its accuracy checks' gather buffer and the
   * update rules' state buffers in `optimConfigs`. Not the model's (`FullyConnectedNet.dispose`)
   * nor the pins of an `inputPins` option. The Solver must not be used afterwards, nor those
   * state buffers; a later `step` or `train` throws.
   */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    const arrays: FloatArray[] = [this.xBatch.data];
    const chunk = this.counter.takeBuffer();
    if (chunk !== null) arrays.push(chunk);
    for (const c of this.optimConfigs.values()) {
      for (const v of Object.values(c)) if (v instanceof Float32Array || v instanceof Float64Array) arrays.push(v);
    }
    this.optimConfigs.clear();
    releaseResident(arrays);
  }

  private checkLive(): void {
    if (this.disposed) throw new Error("Solver: used after dispose()");
  }

  /** One gradient step on a minibatch drawn with replacement; returns its loss. */
  step(): number {
    this.checkLive();
    const numTrain = this.data.xTrain.shape[0]!;
    const mask = drawMinibatch(this.rng, numTrain, this.batchSize);
    gatherRows(this.data.xTrain, mask, 0, this.batchSize, this.xBatch.data);
    for (let i = 0; i < this.batchSize; i++) this.yBatch[i] = this.data.yTrain[mask[i]!]!;
    // NOTE: the gradients are consumed right away by the update rule, so the model may reuse its buffers.
    const { loss, grads } = this.model.loss(this.xBatch, this.yBatch, { reuseGradients: true });
    this.lossHistory.push(loss);
    for (const [name, param] of this.model.params) {
      const grad = grads.get(name);
      if (grad === undefined) throw new Error(`the model returned no gradient for parameter "${name}"`);
      this.optimConfigs.set(name, this.rule(param.data, grad.data, this.optimConfigs.get(name)));
    }
    return loss;
  }

  /**
   * Accuracy of `model.scores` on X (N, …) against y. When N > numSamples, rows
   * are first drawn with replacement (`rng.choice(N, numSamples)`), as the assignment does.
   */
  checkAccuracy(X: Tensor, y: Labels, numSamples: number | null = null): number {
    return this.accuracy(X, y, drawSubsample(this.rng, X.shape[0]!, numSamples));
  }

  /**
   * Runs numEpochs epochs, then restores the model with the best validation accuracy.
   *
   * Each check is handed to the Solver's `Checks`: measured at once (inline), or sent with
   * a snapshot of the model to another thread while training goes on. Results are recorded
   * in the order of the checks and `onProgress` calls come in iteration order, each check's
   * accuracies included; the histories, the best model and every draw are the same either way.
   */
  train(): void {
    this.checkLive();
    const perEpoch = this.iterationsPerEpoch;
    const numIterations = this.numIterations;
    const reports = new ProgressInOrder(this.onProgress);
    // NOTE: a restored state continues its `train()` call where it stood (an epoch end).
    const start = this.callIteration;
    // The checks' unsubsampled rows are packed once per call for the first layer (same bits).
    // NOTE: this relies on the data not changing during the call (as the background checks,
    // which copy it once per call, do too).
    this.counter.beginPinning(this.inputPins);
    try {
      for (let t = start; t < numIterations; t++) {
        const loss = this.step();
        this.itersDone++;
        this.callIteration = t + 1;
        const epochEnd = (t + 1) % perEpoch === 0;
        if (epochEnd) this.endEpoch();
        const progress: SolverProgress = { iteration: t + 1, numIterations, epoch: this.epoch, loss };
        if (isCheckIteration(t, perEpoch, numIterations)) {
          const trainMask = drawSubsample(this.rng, this.data.xTrain.shape[0]!, this.numTrainSamples);
          const valMask = drawSubsample(this.rng, this.data.xVal.shape[0]!, this.numValSamples);
          this.checks.submit({ trainMask, valMask, iteration: this.itersDone, progress, last: t === numIterations - 1 });
          reports.checkSubmitted();
        }
        this.recordChecks(reports, false);
        reports.report(progress);
        const last = t === numIterations - 1;
        if (this.onCheckpoint !== undefined && epochEnd && (this.epoch % this.checkpointEvery === 0 || last)) {
          // The state includes this epoch's check: settle it (and any before it) first.
          this.recordChecks(reports, true);
          this.onCheckpoint(this.state());
        }
      }
      this.recordChecks(reports, true);
    } finally {
      this.checks.end();
      this.counter.endPinning();
    }
    this.callIteration = 0;
    if (this.best !== null) this.model.restore(this.best);
  }

  /**
   * The whole state as plain data (copies): model, update-rule configs, streams, histories,
   * counters and best model. Taken inside `train()` (by `onCheckpoint`) it continues that
   * call; taken between calls, the next one.
   */
  state(): SolverState {
    const optim = new Map<string, ReturnType<typeof optimStateOf>>();
    for (const [name, c] of this.optimConfigs) optim.set(name, optimStateOf(c));
    const modelStreams = new Map([...(this.model.randomStreams?.() ?? new Map())].map(([k, r]) => [k, r.getState()] as const));
    const numTrain = this.data.xTrain.shape[0]!;
    return {
      spec: this.model.spec?.() ?? null,
      settings: {
        updateRule: canonicalRuleName(this.updateRuleName),
        optimConfig: { ...(this.optimConfig as Record<string, number>) },
        lrDecay: this.lrDecay,
        batchSize: this.batchSize,
        numEpochs: this.numEpochs,
        numTrainSamples: this.numTrainSamples,
        numValSamples: this.numValSamples,
        numTrain,
        numVal: this.data.xVal.shape[0]!,
        rowShape: this.data.xTrain.shape.slice(1),
      },
      paramShapes: new Map([...this.model.params].map(([k, t]) => [k, [...t.shape]])),
      model: this.model.snapshot(),
      best: this.best === null ? null : copySnapshot(this.best),
      bestValAcc: this.bestValAcc,
      bestIteration: this.bestIteration,
      optim,
      rng: this.rng.getState(),
      modelStreams,
      lossHistory: [...this.lossHistory],
      trainAccHistory: [...this.trainAccHistory],
      valAccHistory: [...this.valAccHistory],
      accIterations: [...this.accIterations],
      epoch: this.epoch,
      iteration: this.itersDone,
      iterationInCall: this.callIteration,
    };
  }

  /**
   * Puts this Solver (and its model and streams) where `s` stood; the next `train()`
   * continues from there and ends bit-identical to the run that was never stopped.
   * Call it before `train()`, on a Solver built like the one that saved `s`. Throws
   * DataFormatError naming `source` and what differs when `s` is of another model,
   * dtype, update rule, schedule or data shape (nothing is changed then).
   */
  restoreState(s: SolverState, source = "solver state"): void {
    checkResumable(source, s, this.state());
    for (const [name, o] of s.optim) {
      const config = optimConfigOf(o);
      try {
        validateOptimConfig(this.updateRuleName, config, { allowState: true });
      } catch (err) {
        throw new DataFormatError(source, `update-rule state of ${name}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    this.model.restore(s.model);
    const streams = this.model.randomStreams?.();
    for (const [k, st] of s.modelStreams) streams?.get(k)?.setState(st);
    // NOTE: after the model's streams: the Solver's stream may be the model's own (one shared stream).
    this.rng.setState(s.rng);
    this.optimConfigs.clear();
    for (const [name, o] of s.optim) this.optimConfigs.set(name, optimConfigOf(o));
    const refill = (dst: number[], src: readonly number[]): void => {
      dst.length = 0;
      for (const v of src) dst.push(v);
    };
    refill(this.lossHistory, s.lossHistory);
    refill(this.trainAccHistory, s.trainAccHistory);
    refill(this.valAccHistory, s.valAccHistory);
    refill(this.accIterations, s.accIterations);
    this.best = s.best === null ? null : copySnapshot(s.best);
    this.bestSet = s.best !== null;
    this.bestValAcc = s.bestValAcc;
    this.bestIteration = s.bestIteration;
    this.epoch = s.epoch;
    this.itersDone = s.iteration;
    this.callIteration = s.iterationInCall;
  }

  /** An epoch ends: the learning rate of every parameter's config decays. */
  private endEpoch(): void {
    this.epoch++;
    for (const c of this.optimConfigs.values()) {
      if (c.learningRate !== undefined) c.learningRate *= this.lrDecay;
    }
  }

  /** Records the checks measured so far, in order (with `wait`: all of them, waiting for each). */
  private recordChecks(reports: ProgressInOrder, wait: boolean): void {
    for (let r = this.checks.take(wait); r !== null; r = this.checks.take(wait)) {
      this.recordCheck(r);
      reports.checkRecorded();
    }
  }

  /** The model's accuracy on rows `mask` of X (null: all rows). */
  private accuracy(X: Tensor, y: Labels, mask: Int32Array | null): number {
    return this.counter.count(this.model, X, y, mask) / (mask === null ? X.shape[0]! : mask.length);
  }

  /** Records one check's result; its `snapshot` is the model at the check (null: the model as it is now). */
  private recordCheck(r: CheckResult): void {
    const { trainAcc, valAcc, snapshot } = r;
    const { iteration, progress } = r.check;
    this.trainAccHistory.push(trainAcc);
    this.valAccHistory.push(valAcc);
    this.accIterations.push(iteration);
    progress.trainAcc = trainAcc;
    progress.valAcc = valAcc;
    // NOTE: the first check always records a best model (the assignment's starts at 0
    // and would restore nothing if validation accuracy never rose above it).
    if (!this.bestSet || valAcc > this.bestValAcc) {
      this.bestSet = true;
      this.bestValAcc = valAcc;
      this.best = snapshot ?? this.model.snapshot();
      this.bestIteration = iteration;
    }
  }
}

/** The rule's canonical name (the alias "sgd_momentum" is "sgdMomentum"). */
function canonicalRuleName(name: string): string {
  return name === "sgd_momentum" ? "sgdMomentum" : name;
}

/** What decides the draws of one `train()` call: the data's sizes and the Solver's schedule options. */
export interface SolverDrawPlan {
  /** Training rows. */
  numTrain: number;
  /** Validation rows; needed only when `numValSamples` is set. */
  numVal?: number;
  /** As in SolverOptions, with the same defaults. */
  batchSize?: number;
  numEpochs?: number;
  numTrainSamples?: number | null;
  numValSamples?: number | null;
}

/**
 * Advances `rng` exactly as one `Solver.train()` with these sizes and options
 * advances its stream, without training: the same helpers as `train()` decide
 * what is drawn (a minibatch each iteration; at each check the train subsample,
 * then the validation subsample, when those are drawn). None of the Solver's
 * draws depend on the training results, so a diverging run draws the same.
 * Lets a caller compute where a shared stream stands after a training run (the
 * parallel sweep replays numpy's single global stream this way).
 * NOTE: only the Solver's own draws: a model that draws in `loss` (dropout)
 * must draw from another stream for the two to agree.
 */
export function skipSolverDraws(rng: RandomState, plan: SolverDrawPlan): void {
  const numTrain = positiveInteger("numTrain", plan.numTrain);
  const s = drawSchedule(plan);
  let numVal = 0;
  if (s.numValSamples !== null) {
    if (plan.numVal === undefined) throw new OptionError("numVal", "the number of validation rows (needed when numValSamples is set)", plan.numVal);
    numVal = positiveInteger("numVal", plan.numVal);
  }
  const perEpoch = iterationsPerEpochOf(numTrain, s.batchSize);
  const numIterations = s.numEpochs * perEpoch;
  for (let t = 0; t < numIterations; t++) {
    drawMinibatch(rng, numTrain, s.batchSize);
    if (isCheckIteration(t, perEpoch, numIterations)) {
      drawSubsample(rng, numTrain, s.numTrainSamples);
      drawSubsample(rng, numVal, s.numValSamples);
    }
  }
}

