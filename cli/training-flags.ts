/**
 * Flags shared by `bnlab train` and `bnlab sweep`: data, solver and output.
 */
import type { Command } from "commander";
import { OptionError, UPDATE_RULE_NAMES } from "../src/node.js";
import type { NetNormOptions, NormKind } from "../src/node.js";
import type { LoadedData } from "./data-source.js";
import { DTYPE_HELP, dtypeOption, intOption, numberOption, pathOption, seedOption } from "./options.js";
import type { DType } from "../src/node.js";
import type { DataFlags } from "./data-source.js";

const UPDATE_RULES: readonly string[] = UPDATE_RULE_NAMES;

export function updateRuleOption(value: string): string {
  if (!UPDATE_RULES.includes(value)) throw new OptionError("--update-rule", `one of ${UPDATE_RULES.join(", ")}`, value);
  return value;
}

/** The parsed shared flags. */
export interface TrainingFlags extends DataFlags {
  download: boolean;
  lr: number;
  updateRule: string;
  epochs: number;
  batchSize: number;
  numTrain: number;
  numVal: number;
  seed: number;
  out: string;
  json?: boolean;
  dtype: DType;
  groups?: number;
  rMax?: number;
  dMax?: number;
}

/** Adds the shared flags with the notebook's defaults. */
export function addTrainingFlags(cmd: Command, defaultOut: string): Command {
  return cmd
    .option("--data <DIR>", "CIFAR-10 folder (default: BNLAB_DATA, the cache, or a download)", pathOption("--data"))
    .option("--synthetic", "use generated CIFAR-shaped data instead of CIFAR-10")
    .option("--fallback-synthetic", "when no CIFAR-10 is found or downloadable, warn and use synthetic data")
    .option("--no-download", "do not try to download CIFAR-10 when none is found")
    .option("--lr <RATE>", "learning rate", numberOption("--lr", 0, 10), 1e-3)
    .option("--update-rule <RULE>", `update rule: ${UPDATE_RULES.join(", ")}`, updateRuleOption, "adam")
    .option("--epochs <N>", "epochs", intOption("--epochs", 1, 10_000), 10)
    .option("--batch-size <N>", "minibatch size", intOption("--batch-size", 1, 100_000), 50)
    .option("--num-train <N>", "training rows used (the first N of the training split)", intOption("--num-train", 1, 1_000_000), 1000)
    .option("--num-val <N>", "validation rows used", intOption("--num-val", 1, 1_000_000), 1000)
    .option("--seed <S>", "seed of the random stream", seedOption, 231)
    .option("--dtype <T>", DTYPE_HELP, dtypeOption, "float32" as DType)
    .option("--groups <G>", "group norm: groups per hidden layer, dividing every hidden size (default: the largest of 5, 4, 3, 2, 1 that does)", intOption("--groups", 1, 100_000))
    .option("--r-max <R>", "batch renorm: r is clipped to [1/R, R] (default 3)", numberOption("--r-max", 1, 1e6, true))
    .option("--d-max <D>", "batch renorm: d is clipped to [-D, D] (default 5)", numberOption("--d-max", 0, 1e6, true))
    .option("--out <DIR>", "output folder", pathOption("--out"), defaultOut)
    .option("--json", "print the result as JSON to stdout");
}

/**
 * --num-train and --num-val may not ask for more rows than the data has: a
 * silent cut would train on fewer examples than the user asked for.
 */
export function checkRowFlags(flags: Pick<TrainingFlags, "numTrain" | "numVal">, loaded: LoadedData): void {
  const have: [string, number, number, string][] = [
    ["--num-train", flags.numTrain, loaded.data.xTrain.shape[0]!, "training"],
    ["--num-val", flags.numVal, loaded.data.xVal.shape[0]!, "validation"],
  ];
  const of = loaded.info.source === "synthetic" ? "the synthetic set" : `CIFAR-10 in ${loaded.info.dir ?? "?"}`;
  for (const [flag, asked, rows, split] of have) {
    if (asked > rows) throw new OptionError(flag, `at most ${rows}, the ${split} rows of ${of}`, asked);
  }
}

/**
 * The normalization flags as the nets' options. Each flag needs its normalization among
 * `kinds` (else it would do nothing), and --groups must divide every hidden size.
 */
export function normOptionsFromFlags(flags: Pick<TrainingFlags, "groups" | "rMax" | "dMax">, kinds: readonly NormKind[], hidden: readonly number[]): NetNormOptions {
  const need: [string, number | undefined, NormKind][] = [
    ["--groups", flags.groups, "groupnorm"],
    ["--r-max", flags.rMax, "batchrenorm"],
    ["--d-max", flags.dMax, "batchrenorm"],
  ];
  for (const [flag, v, kind] of need) {
    if (v !== undefined && !kinds.includes(kind)) throw new OptionError(flag, `a ${kind} net (--normalization ${kind})`, String(v));
  }
  const G = flags.groups;
  if (G !== undefined && !hidden.every((d) => d % G === 0)) {
    throw new OptionError("--groups", `a divisor of every --hidden size (${hidden.join(", ")})`, String(G));
  }
  return {
    ...(G === undefined ? {} : { groups: G }),
    ...(flags.rMax === undefined ? {} : { rMax: flags.rMax }),
    ...(flags.dMax === undefined ? {} : { dMax: flags.dMax }),
  };
}
