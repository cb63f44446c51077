/**
 * The hidden layers' normalization in FullyConnectedNet: which kinds exist, their
 * net-level options, and the `NormSpec` each layer runs (the sandwich helpers'
 * `normForward`/`normBackward` dispatch on it). No math here.
 */
import { OptionError } from "../core/errors.js";
import type { Normalization } from "../core/names.js";
import type { RunningStats } from "../layers/batchnorm.js";
import type { NormSpec } from "../layers/sandwich.js";

/** The kinds of normalization a net inserts before each hidden activation (listed once, in src/core/names.ts). */
export type NetNormKind = Exclude<Normalization, null>;

/**
 * Group norm's default number of groups is the largest G ≤ 5 that divides every hidden
 * size: 5 for the notebook's nets (100 units in cell 6, 50 in the weight-scale sweep:
 * groups of 20 and 10 units), 4 for 64-unit layers, 1 (layer norm) when the sizes share
 * no divisor up to 5.
 */
export const MAX_DEFAULT_GROUPS = 5;

/** The default `groups` for these hidden sizes (see `MAX_DEFAULT_GROUPS`). */
export function defaultGroups(hiddenDims: readonly number[]): number {
  for (let G = MAX_DEFAULT_GROUPS; G > 1; G--) if (hiddenDims.every((d) => d % G === 0)) return G;
  return 1;
}
/** Batch renorm's default clipping bounds: the paper's final values (Ioffe 2017, §4). */
export const DEFAULT_R_MAX = 3;
export const DEFAULT_D_MAX = 5;

/** The net-level options of the normalization kinds that have any. */
export interface NetNormOptions {
  /** Group norm (normalization "groupnorm"): groups per hidden layer; divides every hidden size. Default: the largest G ≤ 5 that does (5 for the notebook's nets). */
  groups?: number;
  /** Batch renorm (normalization "batchrenorm"): r is clipped to [1/rMax, rMax]; ≥ 1. Default 3. */
  rMax?: number;
  /** Batch renorm (normalization "batchrenorm"): d is clipped to [−dMax, dMax]; ≥ 0. Default 5. */
  dMax?: number;
}

/** The resolved settings of a net's normalization (null fields: not this kind's). */
export interface NetNormSettings {
  readonly groups: number | null;
  readonly rMax: number | null;
  readonly dMax: number | null;
}

/**
 * The options of `o` that belong to `kind` (the others dropped): one set of flags can
 * then configure a list of nets of different kinds (a sweep over normalizations).
 */
export function netNormOptionsFor(kind: Normalization, o: NetNormOptions): NetNormOptions {
  if (kind === "groupnorm") return o.groups === undefined ? {} : { groups: o.groups };
  if (kind === "batchrenorm") return { ...(o.rMax === undefined ? {} : { rMax: o.rMax }), ...(o.dMax === undefined ? {} : { dMax: o.dMax }) };
  return {};
}

/** Whether a kind keeps running statistics (batch norm and batch renorm). */
export function hasRunningStats(kind: NetNormKind | null): boolean {
  return kind === "batchnorm" || kind === "batchrenorm";
}

/**
 * Checks the kind-specific options against the net's normalization and hidden sizes.
 * An option of another kind is an error (it would silently do nothing).
 */
export function resolveNetNorm(kind: NetNormKind | null, o: NetNormOptions, hiddenDims: readonly number[]): NetNormSettings {
  if (o.groups !== undefined && kind !== "groupnorm") throw new OptionError("groups", 'normalization "groupnorm"', kind);
  for (const k of ["rMax", "dMax"] as const) {
    if (o[k] !== undefined && kind !== "batchrenorm") throw new OptionError(k, 'normalization "batchrenorm"', kind);
  }
  if (kind === "groupnorm") {
    const G = o.groups ?? defaultGroups(hiddenDims);
    if (!Number.isInteger(G) || G < 1) throw new OptionError("groups", "a positive integer", G);
    if (!hiddenDims.every((d) => d % G === 0)) {
      throw new OptionError("groups", `a divisor of every hidden size (${hiddenDims.join(", ")})`, G);
    }
    return { groups: G, rMax: null, dMax: null };
  }
  if (kind === "batchrenorm") {
    const rMax = o.rMax ?? DEFAULT_R_MAX;
    const dMax = o.dMax ?? DEFAULT_D_MAX;
    if (!(rMax >= 1)) throw new OptionError("rMax", "a number ≥ 1", rMax);
    if (!(dMax >= 0)) throw new OptionError("dMax", "a number ≥ 0", dMax);
    return { groups: null, rMax, dMax };
  }
  return { groups: null, rMax: null, dMax: null };
}

/**
 * What a hidden layer's normalization runs, as a sandwich `NormSpec` (src/layers/sandwich.ts
 * dispatches forward and backward; batch norm's backward there is `batchnormBackwardAlt`).
 * @param running the layer's running statistics (batch norm, batch renorm), else null
 * @param updateRunning whether a train-mode pass moves the running statistics (a trace does not)
 */
export function netNormSpec(
  kind: NetNormKind,
  settings: NetNormSettings,
  running: RunningStats | null,
  mode: "train" | "test",
  updateRunning: boolean,
): NormSpec {
  switch (kind) {
    case "batchnorm": {
      if (running === null) throw new Error("FullyConnectedNet: a batch-norm layer without running statistics");
      // NOTE: a train-mode pass that must not move the statistics (a trace) passes none;
      // the batch's own statistics normalize either way, so the output is the same.
      return { kind, param: mode === "test" || updateRunning ? { mode, running } : { mode } };
    }
    case "batchrenorm": {
      if (running === null) throw new Error("FullyConnectedNet: a batch-renorm layer without running statistics");
      // NOTE: batch renorm reads the running statistics in train mode too (for r and d);
      // a pass that must not move them gives it a copy (2·D values).
      const r = mode === "train" && !updateRunning ? { mean: running.mean.slice(), var: running.var.slice() } : running;
      return { kind, param: { mode, running: r, rMax: settings.rMax!, dMax: settings.dMax! } };
    }
    case "layernorm":
      return { kind };
    case "groupnorm":
      return { kind, param: { groups: settings.groups! } };
  }
}
