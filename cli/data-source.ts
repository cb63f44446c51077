/**
 * Where the training commands (reproduce, train, sweep) get their data:
 * --synthetic, else --data DIR, else BNLAB_DATA or the cache, else a download;
 * when all of that fails, the no-data paragraph — as an error, or with
 * --fallback-synthetic as a warning followed by synthetic data.
 */
import { existsSync, statSync, accessSync, constants } from "node:fs";
import { resolve } from "node:path";
import { BnlabError, OptionError } from "../src/node.js";
import { NoDataError, downloadCifar10, getCifar10Data, loadCifar10At, noDataMessage, resolveDataDir, syntheticCifar } from "../src/node.js";
import type { Cifar10Data } from "../src/node.js";
import type { DatasetInfo } from "../src/node.js";
import type { DType } from "../src/node.js";
import type { Progress } from "./progress.js";

/** The data flags shared by the training commands. */
export interface DataFlags {
  data?: string;
  synthetic?: boolean;
  fallbackSynthetic?: boolean;
  /** Try downloading when nothing is found (default true). */
  download?: boolean;
  /** The dtype of the loaded images (--dtype; default float32). */
  dtype?: DType;
}

/** Loaded data and its description for titles and results.json. */
export interface LoadedData {
  data: Cifar10Data;
  info: DatasetInfo;
}

const SYNTHETIC_SIZES = { numTrain: 1000, numVal: 1000, numTest: 100 };

function synthetic(seed: number, warning: string | null, dtype: DType): LoadedData {
  const data = syntheticCifar({ ...SYNTHETIC_SIZES, seed, dtype });
  return {
    data,
    info: {
      source: "synthetic",
      dir: null,
      description: `synthetic CIFAR-shaped data, not CIFAR-10 (${SYNTHETIC_SIZES.numTrain} train / ${SYNTHETIC_SIZES.numVal} val, seed ${seed}${dtype === "float64" ? ", float64" : ""})`,
      numTrain: SYNTHETIC_SIZES.numTrain,
      numVal: SYNTHETIC_SIZES.numVal,
      numTest: SYNTHETIC_SIZES.numTest,
      warning,
    },
  };
}

/** The rows a command will use (train, sweep): they decide the hold-out on small data. */
export interface RowRequest {
  numTrain: number;
  numVal: number;
}

/** The notebook's validation split, and the test rows the report keeps. */
const HOLD_OUT = 1000;

/**
 * Validation rows held out of `haveTrain` training records: the notebook's 1000
 * (what the playground uses, so the same flags give the same rows) when they fit
 * beside the requested training rows; on smaller data, everything after the
 * training rows. Asking for more rows than there are is an OptionError naming the
 * CLI flags (never the library's numTraining / numValidation).
 */
export function holdOutRows(haveTrain: number, rows: RowRequest | undefined, where: string): number {
  if (rows === undefined) {
    if (haveTrain <= HOLD_OUT) throw new BnlabError(`${where} holds ${haveTrain} training records: too few to hold out ${HOLD_OUT} validation rows and train on the rest`, 1);
    return HOLD_OUT;
  }
  const { numTrain, numVal } = rows;
  if (numVal >= haveTrain) {
    throw new OptionError("--num-val", `at most ${haveTrain - 1} (${where} holds ${haveTrain} training records, and --num-train needs at least one)`, numVal);
  }
  if (numTrain + numVal > haveTrain) {
    throw new OptionError("--num-train", `at most ${haveTrain - numVal} with --num-val ${numVal} (${where} holds ${haveTrain} training records)`, numTrain);
  }
  const preferred = Math.max(HOLD_OUT, numVal);
  return numTrain + preferred <= haveTrain ? preferred : haveTrain - numTrain;
}

function cifar(dir: string | undefined, rows: RowRequest | undefined, dtype: DType): LoadedData {
  const found = resolveDataDir({ dir });
  if (found === null) throw new NoDataError();
  const raw = loadCifar10At(found.location);
  const numValidation = holdOutRows(raw.yTrain.length, rows, raw.location.path);
  const numTest = Math.min(HOLD_OUT, raw.yTest.length);
  const data = getCifar10Data({ raw, numTraining: "rest", numValidation, numTest, dtype });
  const c = data.source.counts;
  const where = data.source.dir ?? dir ?? "?";
  return {
    data,
    info: {
      source: "cifar10",
      dir: where,
      description: `CIFAR-10 (${data.source.kind === "cifar10-py" ? "python" : "binary"} layout) from ${where}: ${c.train} train / ${c.val} val / ${c.test} test records${dtype === "float64" ? ", float64" : ""}`,
      numTrain: c.train,
      numVal: c.val,
      numTest: c.test,
      warning: null,
    },
  };
}

/** Checks that --data names a readable folder before anything else runs. */
export function checkDataFlag(dir: string): void {
  if (dir.trim() === "") throw new OptionError("--data", "a path (not empty)", dir);
  const abs = resolve(dir);
  if (!existsSync(abs)) throw new OptionError("--data", "an existing folder holding CIFAR-10", dir);
  if (!statSync(abs).isDirectory()) throw new OptionError("--data", "a folder (not a file)", dir);
  try {
    accessSync(abs, constants.R_OK | constants.X_OK);
  } catch {
    throw new OptionError("--data", "a readable folder", dir);
  }
}

/** Finds or fetches the data as described in the module comment. */
export async function loadData(flags: DataFlags, seed: number, progress: Progress, rows?: RowRequest): Promise<LoadedData> {
  if (flags.synthetic === true && flags.data !== undefined) {
    throw new OptionError("--synthetic", "either --data DIR or --synthetic, not both", `--data ${flags.data} --synthetic`);
  }
  const dtype = flags.dtype ?? "float32";
  if (flags.synthetic === true) return synthetic(seed, null, dtype);
  if (flags.data !== undefined) {
    checkDataFlag(flags.data);
    return cifar(flags.data, rows, dtype);
  }
  const found = resolveDataDir({});
  if (found !== null) return cifar(found.dir, rows, dtype);
  let downloadProblem = "";
  if (flags.download !== false) {
    progress.log("No CIFAR-10 dataset found locally; trying to download the official archive (170 MB) …");
    try {
      let lastPct = -10;
      const result = await downloadCifar10({
        idleTimeoutMs: 20_000,
        onProgress: (p) => {
          if (p.phase !== "download" || p.total === null) return;
          const pct = Math.floor((100 * p.received) / p.total);
          if (pct >= lastPct + 10) {
            lastPct = pct;
            progress.log(`  downloaded ${pct}%`);
          }
        },
      });
      return cifar(resolve(result.location.path, ".."), rows, dtype);
    } catch (err) {
      if (!(err instanceof BnlabError) && !(err instanceof Error)) throw err;
      downloadProblem = ` (download failed: ${err.message})`;
    }
  }
  const paragraph = noDataMessage() + downloadProblem;
  if (flags.fallbackSynthetic === true) {
    progress.warn(`${paragraph}\nContinuing with synthetic data (--fallback-synthetic): the results below are NOT CIFAR-10 results.`);
    return synthetic(seed, paragraph, dtype);
  }
  throw new BnlabError(paragraph, 1);
}
