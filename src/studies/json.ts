/**
 * A study record as JSON: non-finite floats as strings (as results.json), the
 * envelope checked by `studyRecordSchema` and the result by the study's own schema.
 */
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

/** Validates a parsed record (envelope and, given its study, the result) and decodes non-finite strings. */
export function fromStudyJson(json: unknown, study?: AnyStudy): StudyRecord {
  const parsed = studyRecordSchema.parse(json);
  if (study !== undefined) checkStudyResult(study, parsed.result);
  return decodeNonFinite(parsed) as StudyRecord;
}
