/**
 * The hidden layers' normalization in FullyConnectedNet: which kinds exist, their
 * net-level options, and the `NormSpec` each layer runs (the sandwich helpers'
 * `normForward`/`normBackward` dispatch on it). No math here.
 */
import { OptionError } from "../core/errors.js";
import type { RunningStats } from "../layers/batchnorm.js";
import type { NormSpec } from "../layers/sandwich.js";

/** The kinds of normalization a net inserts before each hidden activation. */
export type NetNormKind = "batchnorm" | "layernorm" | "groupnorm" | "batchrenorm";

/**
 * Group norm's default number of groups: 5 divides the notebook's hidden sizes
 * (100 in cell 6, 50 in the weight-scale sweep), giving groups of 20 and 10 units.
 */
export const DEFAULT_GROUPS = 5;
/** Batch renorm's default clipping bounds: the paper's final values (Ioffe 2017, §4). */
export const DEFAULT_R_MAX = 3;
export const DEFAULT_D_MAX = 5;

/** The net-level options of the normalization kinds that have any. */
export interface NetNormOptions {
  /** Group norm (normalization "groupnorm"): groups per hidden layer; divides every hidden size. Default 5. */
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
    const G = o.groups ?? DEFAULT_GROUPS;
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
