/**
 * The zod pieces of a study's JSON: floats that may be non-finite (as in
 * results.json: a JSON number or "NaN", "Infinity", "-Infinity") and the record
 * every study run writes. zod only, so src/report/schema.ts can import it
 * (results.json's `studies`) without an import cycle.
 */
import { z } from "zod";
import { UPDATE_RULE_NAMES, type UpdateRuleName } from "../core/names.js";

/** The value of a study record's `schema` field; bumped only on an incompatible change. */
export const STUDY_SCHEMA_ID = "bnlab-study/1";

// NOTE: the enum's type is named: inferred, tsc's declaration output would print the key
// "-Infinity" as `[-Infinity]`, which no consumer's tsc accepts (see src/report/schema.ts).
type NonFiniteNames = { NaN: "NaN"; Infinity: "Infinity"; "-Infinity": "-Infinity" };
const nonFinite: z.ZodEnum<NonFiniteNames> = z.enum(["NaN", "Infinity", "-Infinity"]);
/** A float: a JSON number or one of "NaN", "Infinity", "-Infinity". */
export const jsonNum = z.union([z.number(), nonFinite]);
/** An array of `jsonNum` floats. */
export const jsonNums = z.array(jsonNum);
/** An integer (a JSON number without a fraction). */
export const jsonInt = z.number().int();
/** A study option: an integer > 0. */
export const positiveInt = z.number().int().positive();
/** A study option: a finite number > 0. */
export const positive = z.number().positive().finite();
/** Whether a list has no repeated value (for `.refine` on list options). */
export const distinct = <T>(a: readonly T[]): boolean => new Set(a).size === a.length;
/** A study option: the name of an update rule. */
export const updateRuleOption = z.enum(UPDATE_RULE_NAMES as [UpdateRuleName, ...UpdateRuleName[]]);

/** The options every study's training has, in this order (spread into a study's options schema). */
export const trainingOptionFields = {
  hiddenDims: z.array(positiveInt).min(1),
  numTrain: positiveInt,
  numVal: positiveInt,
  numEpochs: positiveInt,
};

/** The same fields as a study result records them (spread into its `settings` schema). */
export const trainingSettingFields = {
  hiddenDims: z.array(jsonInt),
  numTrain: jsonInt,
  numVal: jsonInt,
  numEpochs: jsonInt,
};

export const citationSchema = z.strictObject({
  authors: z.array(z.string()).min(1),
  title: z.string(),
  venue: z.string(),
  year: jsonInt,
  url: z.string().optional(),
});

export const findingSchema = z.strictObject({
  id: z.string(),
  text: z.string(),
  values: z.record(z.string(), jsonNum.nullable()),
});

const datasetSchema = z.strictObject({
  source: z.enum(["cifar10", "synthetic"]),
  dir: z.string().nullable(),
  description: z.string(),
  numTrain: jsonInt,
  numVal: jsonInt,
  numTest: jsonInt,
  warning: z.string().nullable(),
});

/**
 * A study record with its result and options left open (`unknown`); each
 * study's own `resultSchema` checks the result (see ./json.ts).
 */
export const studyRecordSchema = z.strictObject({
  schema: z.literal(STUDY_SCHEMA_ID),
  study: z.string(),
  title: z.string(),
  citation: citationSchema,
  createdAt: z.string(),
  settings: z.strictObject({ seed: jsonInt, quick: z.boolean(), jobs: jsonInt }),
  options: z.unknown(),
  dataset: datasetSchema,
  versions: z.strictObject({ bnlab: z.string(), node: z.string(), platform: z.string(), kernelPath: z.string() }),
  timings: z.record(z.string(), jsonNum),
  result: z.unknown(),
  findings: z.array(findingSchema),
  figures: z.record(z.string(), z.strictObject({ svg: z.string(), png: z.string() })),
});
