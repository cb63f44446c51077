/**
 * The playground's settings and their URL form. Every setting lives in the query
 * string, so a link reproduces a run: `?depth=5&width=100&scale=0.02&a=none&b=batchnorm…`.
 * Parsing never throws: a missing or unusable value falls back to its default and
 * is reported in `problems`, so a hand-edited link still opens.
 */
import { NORM_KINDS, UPDATE_RULE_NAMES, type NormKind, type UpdateRuleName } from "../../src/index.js";
import { KERNEL_PATHS, type KernelPath } from "../../src/index.js";

export type { NormKind };
export type Optimizer = UpdateRuleName;
export type DataSource = "served" | "synthetic" | "file";
export type KernelChoice = "auto" | KernelPath;
export type Tab = "train" | "sweep" | "implement";

export const NORMS: readonly NormKind[] = NORM_KINDS;
export const OPTIMIZERS: readonly Optimizer[] = UPDATE_RULE_NAMES;
export const DATA_SOURCES: readonly DataSource[] = ["served", "synthetic", "file"];
export const KERNELS: readonly KernelChoice[] = ["auto", ...KERNEL_PATHS];

export interface Settings {
  /** Number of hidden layers. */
  depth: number;
  /** Units per hidden layer. */
  width: number;
  /** Standard deviation of the initial weights (1e-4 … 1). */
  weightScale: number;
  /** Normalization of the left network and of the right one. */
  normA: NormKind;
  normB: NormKind;
  optimizer: Optimizer;
  learningRate: number;
  batchSize: number;
  epochs: number;
  /** Training samples the solver draws minibatches from. */
  numTrain: number;
  seed: number;
  data: DataSource;
  kernel: KernelChoice;
  /** Weight scales in the sweep (logspace(-4, 0, n)). */
  sweepScales: number;
  tab: Tab;
}

/** The notebook's deep-network experiment (cell 6) with batch norm on the right. */
export const DEFAULTS: Readonly<Settings> = Object.freeze({
  depth: 5,
  width: 100,
  weightScale: 2e-2,
  normA: "none",
  normB: "batchnorm",
  optimizer: "adam",
  learningRate: 1e-3,
  batchSize: 50,
  epochs: 10,
  numTrain: 1000,
  seed: 231,
  data: "served",
  kernel: "auto",
  sweepScales: 20,
  tab: "train",
});

interface IntSpec {
  kind: "int";
  key: string;
  min: number;
  max: number;
}
interface NumSpec {
  kind: "num";
  key: string;
  min: number;
  max: number;
}
interface EnumSpec {
  kind: "enum";
  key: string;
  values: readonly string[];
}
type FieldSpec = IntSpec | NumSpec | EnumSpec;

/** URL key and allowed range of every setting. */
export const FIELDS: Readonly<Record<keyof Settings, FieldSpec>> = {
  depth: { kind: "int", key: "depth", min: 1, max: 12 },
  width: { kind: "int", key: "width", min: 2, max: 1024 },
  weightScale: { kind: "num", key: "scale", min: 1e-4, max: 1 },
  normA: { kind: "enum", key: "a", values: NORMS },
  normB: { kind: "enum", key: "b", values: NORMS },
  optimizer: { kind: "enum", key: "opt", values: OPTIMIZERS },
  learningRate: { kind: "num", key: "lr", min: 1e-7, max: 10 },
  batchSize: { kind: "int", key: "batch", min: 1, max: 2000 },
  epochs: { kind: "int", key: "epochs", min: 1, max: 200 },
  numTrain: { kind: "int", key: "ntrain", min: 10, max: 50000 },
  seed: { kind: "int", key: "seed", min: 0, max: 2 ** 32 - 1 },
  data: { kind: "enum", key: "data", values: DATA_SOURCES },
  kernel: { kind: "enum", key: "kernel", values: KERNELS },
  sweepScales: { kind: "int", key: "scales", min: 2, max: 40 },
  tab: { kind: "enum", key: "tab", values: ["train", "sweep", "implement"] },
};

const KEYS = Object.keys(FIELDS) as (keyof Settings)[];

/** Reads settings from a query string; unusable values keep their default and are listed in `problems`. */
export function parseSettings(query: string): { settings: Settings; problems: string[] } {
  const params = new URLSearchParams(query);
  const settings: Settings = { ...DEFAULTS };
  const problems: string[] = [];
  const out = settings as unknown as Record<string, string | number>;
  for (const name of KEYS) {
    const spec = FIELDS[name];
    const raw = params.get(spec.key);
    if (raw === null || raw === "") continue;
    if (spec.kind === "enum") {
      if (spec.values.includes(raw)) out[name] = raw;
      else problems.push(`${spec.key}: expected one of ${spec.values.join(", ")}, got ${JSON.stringify(raw)}`);
      continue;
    }
    // NOTE: as the CLI's flags: decimal only (Number() would also read "0x10", " 5", "1e3" for an integer).
    const written = spec.kind === "int" ? /^-?\d+$/.test(raw) : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(raw);
    const v = Number(raw);
    const ok = written && Number.isFinite(v) && (spec.kind === "num" || Number.isInteger(v)) && v >= spec.min && v <= spec.max;
    if (ok) out[name] = v;
    else problems.push(`${spec.key}: expected ${spec.kind === "int" ? "an integer" : "a number"} in [${spec.min}, ${spec.max}], got ${JSON.stringify(raw)}`);
  }
  return { settings, problems };
}

/** The query string (without "?") holding every setting that differs from its default… plus the seed, always. */
export function settingsToQuery(s: Settings): string {
  const params = new URLSearchParams();
  for (const name of KEYS) {
    if (s[name] === DEFAULTS[name] && name !== "seed") continue;
    params.set(FIELDS[name].key, String(s[name]));
  }
  return params.toString();
}

/** Hidden layer sizes of the network the settings describe. */
export function hiddenDims(s: Pick<Settings, "depth" | "width">): number[] {
  return Array.from({ length: s.depth }, () => s.width);
}

/** Position (0 … 1000) of a weight scale on the log slider over 1e-4 … 1, and back. */
export function scaleToSlider(scale: number): number {
  return Math.round(((Math.log10(scale) + 4) / 4) * 1000);
}
export function sliderToScale(pos: number): number {
  // Round to three significant digits so the URL stays readable.
  return Number((10 ** (-4 + (4 * pos) / 1000)).toPrecision(3));
}
