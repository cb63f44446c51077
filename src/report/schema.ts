/**
 * The shape of results.json (documented in docs/results-json.md), as a zod schema.
 *
 * JSON has no NaN or Infinity, and diverged runs produce both; every float is
 * therefore a JSON number or one of the strings "NaN", "Infinity", "-Infinity".
 * `toResultsJson` encodes and `fromResultsJson` validates and decodes.
 */
import { z } from "zod";
import { DataFormatError } from "../core/errors.js";
import { NORM_KINDS, type NormKind } from "../core/names.js";
import type { ReproduceResults } from "../experiments/types.js";
import { studyRecordSchema } from "../studies/record-schema.js";

/** The value of the `schema` field; bumped only on an incompatible change. */
export const RESULTS_SCHEMA_ID = "bnlab-results/1";

// NOTE: the enum's type is named: inferred, tsc's declaration output would print the key
// "-Infinity" as `[-Infinity]`, which no consumer's tsc accepts (dist/src/report/schema.d.ts).
type NonFiniteNames = { NaN: "NaN"; Infinity: "Infinity"; "-Infinity": "-Infinity" };
const nonFinite: z.ZodEnum<NonFiniteNames> = z.enum(["NaN", "Infinity", "-Infinity"]);
const num = z.union([z.number(), nonFinite]);
const nums = z.array(num);
const norm = z.enum(NORM_KINDS as [NormKind, ...NormKind[]]);
const int = z.number().int();
const stats = { means: nums, stds: nums };
const shape4 = z.strictObject({ N: int, D1: int, D2: int, D3: int });
const errTriple = { dxError: num, dgammaError: num, dbetaError: num };
const timing = z.strictObject({ medianMs: num, minMs: num, maxMs: num });

const trainSettings = {
  hiddenDims: z.array(int),
  numTrain: int,
  numVal: int,
  numEpochs: int,
  batchSize: int,
  updateRule: z.string(),
  learningRate: num,
};

const trainingRun = z.strictObject({
  normalization: norm,
  batchSize: int,
  weightScale: num,
  lossHistory: nums,
  trainAccHistory: nums,
  valAccHistory: nums,
  bestValAcc: num,
  iterationsPerEpoch: int,
  seconds: num,
});

const layerSignal = z.strictObject({ loss: num, affineStd: nums, preActStd: nums, deadFraction: nums, inputGradNorm: nums, outputGradNorm: nums, weightGradNorm: nums });

/** Per-layer signal probes of a run (src/experiments/signal.ts). */
export const signalProbesSchema = z.strictObject({ rows: int, init: layerSignal, end: layerSignal });

const sweepPoint = z.strictObject({
  weightScale: num,
  normalization: norm,
  bestValAcc: num,
  bestTrainAcc: num,
  finalLoss: num,
  diverged: z.boolean(),
  firstNonFiniteIteration: int.nullable(),
  trainAccHistory: nums,
  runSeed: int,
  seconds: num,
  signal: signalProbesSchema.optional(),
});

const scaleList = z.array(num);

const signalFact = z.strictObject({
  weightScale: num,
  normalization: norm,
  signalFirst: num,
  signalLast: num,
  signalDecades: num,
  gradLast: num,
  gradFirst: num,
  gradDecades: num,
  weightGradFirst: num,
});

const answerFacts = z.strictObject({
  chanceLoss: num,
  baselineStuckScales: scaleList,
  baselineExplodedScales: scaleList,
  baselineCompetitiveScales: scaleList,
  goodThreshold: num,
  bnGoodScales: scaleList,
  bnGoodRangeDecades: num,
  baselineGoodScales: scaleList,
  baselineGoodRangeDecades: num,
  bestBaseline: z.strictObject({ weightScale: num, bestValAcc: num }).nullable(),
  bestBatchnorm: z.strictObject({ weightScale: num, bestValAcc: num }).nullable(),
  unitGainScale: num,
  signal: z
    .strictObject({
      rows: int,
      hiddenLayers: int,
      smallest: z.array(signalFact),
      largest: z.array(signalFact),
    })
    .nullable()
    .optional(),
  speed: z
    .strictObject({
      target: num,
      runs: z.array(
        z.strictObject({
          normalization: norm,
          epoch: int.nullable(),
          iteration: int.nullable(),
          finalTrainAcc: num,
          bestValAcc: num,
        }),
      ),
    })
    .nullable(),
});

const figurePaths = z.strictObject({ svg: z.string(), png: z.string() });

/** The schema of results.json. */
export const resultsSchema = z.strictObject({
  schema: z.literal(RESULTS_SCHEMA_ID),
  title: z.string(),
  createdAt: z.string(),
  settings: z.strictObject({
    seed: int,
    quick: z.boolean(),
    extended: z.boolean(),
    jobs: int,
    seedScheme: z.string(),
  }),
  dataset: z.strictObject({
    source: z.enum(["cifar10", "synthetic"]),
    dir: z.string().nullable(),
    description: z.string(),
    numTrain: int,
    numVal: int,
    numTest: int,
    warning: z.string().nullable(),
  }),
  versions: z.strictObject({
    bnlab: z.string(),
    node: z.string(),
    platform: z.string(),
    kernelPath: z.string(),
  }),
  timings: z.record(z.string(), num),
  cells: z.strictObject({
    forwardTrain: z.strictObject({
      seed: int,
      shape: shape4,
      before: z.strictObject(stats),
      afterUnit: z.strictObject(stats),
      afterAffine: z.strictObject({ ...stats, gamma: nums, beta: nums }),
    }),
    forwardTest: z.strictObject({ seed: int, shape: shape4, warmupPasses: int, after: z.strictObject(stats) }),
    backwardCheck: z.strictObject({
      seed: int,
      shape: z.strictObject({ N: int, D: int }),
      ...errTriple,
      alt: z.strictObject(errTriple),
    }),
    backwardCompare: z.strictObject({
      seed: int,
      shape: z.strictObject({ N: int, D: int }),
      dxDifference: num,
      dgammaDifference: num,
      dbetaDifference: num,
      timing: z.strictObject({ warmupReps: int, reps: int, staged: timing, alt: timing, speedup: num }),
    }),
    netGradcheck: z.strictObject({
      seed: int,
      shape: z.strictObject({ N: int, D: int, H1: int, H2: int, C: int }),
      weightScale: num,
      checks: z.array(
        z.strictObject({
          reg: num,
          initialLoss: num,
          errors: z.array(z.strictObject({ name: z.string(), relError: num })),
        }),
      ),
    }),
    deepNet: z.strictObject({
      seed: int,
      settings: z.strictObject({ ...trainSettings, weightScale: num }),
      runs: z.array(trainingRun),
    }),
    sweep: z.strictObject({
      seed: int,
      settings: z.strictObject(trainSettings),
      weightScales: scaleList,
      normalizations: z.array(norm),
      input: z.strictObject({ dim: int, rms: num }),
      points: z.array(sweepPoint),
    }),
    batchSize: z
      .strictObject({
        seed: int,
        settings: z.strictObject({ ...trainSettings, weightScale: num, batchSizes: z.array(int) }),
        runs: z.array(trainingRun),
      })
      .nullable(),
    answer: z.strictObject({ observations: z.array(z.string()), reasons: z.array(z.string()), facts: answerFacts }),
  }),
  figures: z.record(z.string(), figurePaths),
  /** With --extended: the studies' records (each result checked by its study's schema when written, src/studies/json.ts). */
  studies: z.array(studyRecordSchema).optional(),
});

/** results.json as parsed (floats may be the strings "NaN", "Infinity", "-Infinity"). */
export type ResultsJson = z.infer<typeof resultsSchema>;

/**
 * Deep copy with non-finite numbers as the strings "NaN", "Infinity", "-Infinity" (JSON has none);
 * with `negativeZero`, −0 as "-0" too, for an exact round trip (the study store's job files).
 * Members that are undefined are dropped, as JSON does.
 */
export function encodeNonFinite(value: unknown, options: { negativeZero?: boolean } = {}): unknown {
  return encode(value, options.negativeZero === true);
}

function encode(value: unknown, negativeZero: boolean): unknown {
  if (typeof value === "number") {
    if (negativeZero && Object.is(value, -0)) return "-0";
    if (Number.isFinite(value)) return value;
    return Number.isNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity";
  }
  if (Array.isArray(value)) return value.map((v) => encode(v, negativeZero));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = encode(v, negativeZero);
    return out;
  }
  return value;
}

/** The inverse of `encodeNonFinite` (with the same `negativeZero`). */
export function decodeNonFinite(value: unknown, options: { negativeZero?: boolean } = {}): unknown {
  return decode(value, options.negativeZero === true);
}

function decode(value: unknown, negativeZero: boolean): unknown {
  if (negativeZero && value === "-0") return -0;
  if (value === "NaN") return NaN;
  if (value === "Infinity") return Infinity;
  if (value === "-Infinity") return -Infinity;
  if (Array.isArray(value)) return value.map((v) => decode(v, negativeZero));
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = decode(v, negativeZero);
    return out;
  }
  return value;
}

/**
 * Encodes results for results.json and checks them against the schema (a result
 * that does not fit is a bug: this throws with zod's description of where).
 */
export function toResultsJson(results: ReproduceResults): ResultsJson {
  return resultsSchema.parse(encodeNonFinite(results));
}

/** Pretty-printed results.json text. */
export function resultsJsonText(results: ReproduceResults): string {
  return `${JSON.stringify(toResultsJson(results), null, 2)}\n`;
}

/**
 * Validates parsed results.json and decodes the non-finite strings back to numbers.
 * A value that does not match the schema throws a `DataFormatError` naming `file`
 * and the first places that differ (zod's paths), like any other malformed file.
 */
export function fromResultsJson(json: unknown, file = "results.json"): ReproduceResults {
  const parsed = resultsSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const where = issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.join(".") : "(top level)"}: ${i.message}`);
    const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : "";
    throw new DataFormatError(file, `not a ${RESULTS_SCHEMA_ID} results file: ${where.join("; ")}${more}`);
  }
  return decodeNonFinite(parsed.data) as ReproduceResults;
}

/** Reads results.json text: `fromResultsJson` of its JSON; invalid JSON is a `DataFormatError` too. */
export function parseResultsJson(text: string, file = "results.json"): ReproduceResults {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DataFormatError(file, `not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return fromResultsJson(json, file);
}
