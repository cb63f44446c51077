/**
 * A study record as JSON: non-finite floats as strings (as results.json), the
 * envelope checked by `studyRecordSchema` and the result by the study's own schema.
 */
import { DataFormatError } from "../core/errors.js";
import { decodeNonFinite, encodeNonFinite } from "../report/schema.js";
import { studyRecordSchema } from "./record-schema.js";
import type { AnyStudy, StudyRecord } from "./study.js";

/**
 * Encodes a record for JSON and checks it (a record that does not fit is a bug:
 * this throws with zod's description of where).
 */
export function toStudyJson(record: StudyRecord, study: AnyStudy): unknown {
  const json = studyRecordSchema.parse(encodeNonFinite(record));
  checkStudyResult(study, json.result);
  return json;
}

/** Pretty-printed JSON text of a record. */
export function studyJsonText(record: StudyRecord, study: AnyStudy): string {
  return `${JSON.stringify(toStudyJson(record, study), null, 2)}\n`;
}

/** Checks a JSON-form result against its study's schema; throws with zod's description. */
export function checkStudyResult(study: AnyStudy, jsonResult: unknown): void {
  const r = study.resultSchema.safeParse(jsonResult);
  if (!r.success) throw new Error(`the result of study "${study.name}" does not match its schema: ${r.error.message}`);
}

/**
 * Validates a parsed record (envelope and, given its study, the result) and decodes
 * non-finite strings. A record that does not match throws a `DataFormatError`
 * naming `file` and the first places that differ, like any other malformed file.
 */
export function fromStudyJson(json: unknown, study?: AnyStudy, file = "results.json"): StudyRecord {
  const parsed = studyRecordSchema.safeParse(json);
  if (!parsed.success) throw new DataFormatError(file, `not a study record: ${zodWhere(parsed.error.issues)}`);
  if (study !== undefined) {
    const r = study.resultSchema.safeParse(parsed.data.result);
    if (!r.success) throw new DataFormatError(file, `the result of study "${study.name}" does not match its schema: ${zodWhere(r.error.issues)}`);
  }
  return decodeNonFinite(parsed.data) as StudyRecord;
}

/** Reads a record's JSON text: `fromStudyJson` of its JSON; text that is not JSON is a `DataFormatError` too. */
export function parseStudyJson(text: string, study?: AnyStudy, file = "results.json"): StudyRecord {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new DataFormatError(file, `not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return fromStudyJson(json, study, file);
}

function zodWhere(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  const where = issues.slice(0, 3).map((i) => `${i.path.length > 0 ? i.path.map(String).join(".") : "(top level)"}: ${i.message}`);
  return where.join("; ") + (issues.length > 3 ? ` (and ${issues.length - 3} more)` : "");
}
