/**
 * Everything a Solver needs to continue a `train()` call exactly where it stood: the
 * model's weights and statistics, every parameter's update-rule config (state buffers
 * and scalars, the decayed learning rate included), the random streams, the histories,
 * the counters and the best model so far. Plain data (typed arrays and JSON-able values):
 * src/node/checkpoint.ts writes it as a file; no Node APIs here.
 *
 * `checkResumable` compares a state with the Solver that would continue it and names
 * the first thing that differs (another architecture, dtype, update rule, schedule or
 * data shape), so a checkpoint of another run is refused rather than half applied.
 */
import { DataFormatError } from "../core/errors.js";
import type { RandomStateSnapshot } from "../core/random.js";
import { dtypeOf } from "../core/tensor.js";
import type { FloatArray } from "../core/tensor.js";
import type { ModelSnapshot, ModelSpec } from "../models/model.js";
import type { OptimConfig } from "../optim/index.js";

/** The settings a state can only be resumed under (compared by `checkResumable`). */
export interface SolverStateSettings {
  /** The update rule's canonical name ("sgd_momentum" is stored as "sgdMomentum"). */
  updateRule: string;
  /** The hyperparameters given (before defaults and state), as passed to the Solver. */
  optimConfig: Record<string, number>;
  lrDecay: number;
  batchSize: number;
  numEpochs: number;
  numTrainSamples: number | null;
  numValSamples: number | null;
  /** Rows of xTrain and xVal, and the features of one row. */
  numTrain: number;
  numVal: number;
  rowShape: number[];
}

/** One parameter's update-rule config: its numbers (learningRate, t, …) and its state buffers (m, v, velocity, cache). */
export interface OptimState {
  scalars: Record<string, number>;
  buffers: Record<string, FloatArray>;
}

/** A Solver's whole state at an epoch end (or between `train()` calls). */
export interface SolverState {
  /** `model.spec()` (null: the model cannot describe itself; then only parameter names and sizes are compared). */
  spec: ModelSpec | null;
  settings: SolverStateSettings;
  /** Each parameter's shape (W1 (D, H), b1 (H), …): what a reader of the file needs. */
  paramShapes: Map<string, number[]>;
  /** Parameters and running statistics now. */
  model: ModelSnapshot;
  /** The best model so far (null before the first check). */
  best: ModelSnapshot | null;
  bestValAcc: number;
  /** The iteration of the check that recorded `best` (0: none). */
  bestIteration: number;
  /** Per parameter, in the order of `model.params`. */
  optim: Map<string, OptimState>;
  /** The Solver's stream (minibatches, subsamples). */
  rng: RandomStateSnapshot;
  /** The model's own streams (`model.randomStreams()`: "rng" for dropout, "noise"). */
  modelStreams: Map<string, RandomStateSnapshot>;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  accIterations: number[];
  /** Epochs completed and iterations done (over all `train()` calls). */
  epoch: number;
  iteration: number;
  /** Iterations done in the current `train()` call: a resumed `train()` starts there (numIterations: finished). */
  iterationInCall: number;
}

/** Splits a config into its numbers and its buffers (copies of the buffers). */
export function optimStateOf(config: OptimConfig): OptimState {
  const scalars: Record<string, number> = {};
  const buffers: Record<string, FloatArray> = {};
  for (const [k, v] of Object.entries(config)) {
    if (typeof v === "number") scalars[k] = v;
    else if (v instanceof Float32Array || v instanceof Float64Array) buffers[k] = v.slice();
  }
  return { scalars, buffers };
}

/** A config from a saved state (copies of the buffers, so the state stays untouched). */
export function optimConfigOf(s: OptimState): OptimConfig {
  const c: Record<string, unknown> = { ...s.scalars };
  for (const [k, v] of Object.entries(s.buffers)) c[k] = v.slice();
  return c as OptimConfig;
}

/** A copy of a snapshot (the state must not alias the live model). */
export function copySnapshot(s: ModelSnapshot): ModelSnapshot {
  const copy = (m: ReadonlyMap<string, FloatArray>): Map<string, FloatArray> => new Map([...m].map(([k, v]) => [k, v.slice()]));
  return { params: copy(s.params), buffers: copy(s.buffers) };
}

const show = (v: unknown): string => JSON.stringify(v) ?? String(v);

/** The first option of two specs that differs, as "key: A in the checkpoint, B here". */
function specDifference(saved: ModelSpec, here: ModelSpec): string | null {
  if (saved.kind !== here.kind) return `another model: ${show(saved.kind)} in the checkpoint, ${show(here.kind)} here`;
  const keys = [...new Set([...Object.keys(saved.options), ...Object.keys(here.options)])];
  for (const k of keys) {
    const a = show(saved.options[k]);
    const b = show(here.options[k]);
    if (a !== b) {
      const what = k === "dtype" ? "another dtype" : "another architecture";
      return `${what}: ${k} ${a} in the checkpoint, ${b} here`;
    }
  }
  return null;
}

/** The snapshot's arrays must match the model's names, lengths and dtypes. */
function checkSnapshot(file: string, what: string, saved: ModelSnapshot, here: ModelSnapshot): void {
  for (const kind of ["params", "buffers"] as const) {
    const a = saved[kind];
    const b = here[kind];
    const names = (m: ReadonlyMap<string, FloatArray>): string => [...m.keys()].join(", ");
    if (names(a) !== names(b)) {
      throw new DataFormatError(file, `another architecture: ${what} ${kind} [${names(a)}] in the checkpoint, [${names(b)}] here`);
    }
    for (const [name, arr] of a) {
      const live = b.get(name)!;
      if (arr.length !== live.length) throw new DataFormatError(file, `another architecture: ${what} ${name} has ${arr.length} values in the checkpoint, ${live.length} here`);
      if (dtypeOf(arr) !== dtypeOf(live)) throw new DataFormatError(file, `another dtype: ${what} ${name} is ${dtypeOf(arr)} in the checkpoint, ${dtypeOf(live)} here`);
    }
  }
}

/**
 * Throws DataFormatError(file, what differs) unless `saved` can be resumed by a Solver
 * whose own state (taken before training) is `here`: same model spec, parameters,
 * update rule, schedule and data shape; update-rule state of the parameters' sizes.
 */
export function checkResumable(file: string, saved: SolverState, here: SolverState): void {
  const a = saved.settings;
  const b = here.settings;
  if (a.updateRule !== b.updateRule) throw new DataFormatError(file, `another update rule: ${a.updateRule} in the checkpoint, ${b.updateRule} here`);
  if (saved.spec !== null && here.spec !== null) {
    const d = specDifference(saved.spec, here.spec);
    if (d !== null) throw new DataFormatError(file, d);
  }
  checkSnapshot(file, "model", saved.model, here.model);
  if (saved.best !== null) checkSnapshot(file, "best model", saved.best, here.model);
  for (const k of Object.keys(b) as (keyof SolverStateSettings)[]) {
    if (show(a[k]) !== show(b[k])) throw new DataFormatError(file, `other training settings: ${k} ${show(a[k])} in the checkpoint, ${show(b[k])} here`);
  }
  const streams = (m: Map<string, RandomStateSnapshot>): string => [...m.keys()].join(", ");
  if (streams(saved.modelStreams) !== streams(here.modelStreams)) {
    throw new DataFormatError(file, `another model: random streams [${streams(saved.modelStreams)}] in the checkpoint, [${streams(here.modelStreams)}] here`);
  }
  for (const [name, p] of here.model.params) {
    const o = saved.optim.get(name);
    if (o === undefined) throw new DataFormatError(file, `no update-rule state for parameter ${name}`);
    for (const [k, buf] of Object.entries(o.buffers)) {
      if (buf.length !== p.length || dtypeOf(buf) !== dtypeOf(p)) {
        throw new DataFormatError(file, `update-rule state ${name}.${k}: ${buf.length} ${dtypeOf(buf)} values, the parameter has ${p.length} ${dtypeOf(p)}`);
      }
    }
  }
  if (saved.optim.size !== here.model.params.size) throw new DataFormatError(file, `update-rule state for ${saved.optim.size} parameters, the model has ${here.model.params.size}`);
  const perEpoch = Math.max(Math.floor(b.numTrain / b.batchSize), 1);
  if (!(saved.iterationInCall >= 0 && saved.iterationInCall <= b.numEpochs * perEpoch)) {
    throw new DataFormatError(file, `iterationInCall ${saved.iterationInCall} outside 0..${b.numEpochs * perEpoch}`);
  }
}
