/**
 * A study's grid on disk (Node): one JSON file per finished job, written atomically as the
 * job finishes, beside the run's plan (./job-store.ts, as a sweep's). What lets a study
 * survive a kill: `bnlab study NAME --resume` and `reproduce --extended --resume` skip
 * the finished jobs. docs/studies.md.
 *
 *   DIR/plan.json         bnlab-study-plan/1: the study, its options, seed, kernel path,
 *                         bnlab's version, the data (dtype, shape, SHA-256 of its bytes),
 *                         the jobs' labels, and `key` (SHA-256 of all of those)
 *   DIR/job-00007.json    bnlab-study-job/1: { key, index, label, seconds, part }
 *
 * A part is stored exactly: non-finite floats and −0 as strings ("NaN", "-0"), every other
 * number in JavaScript's shortest round-trip form, so the part read back is the part that
 * was computed, and the resumed result equals the uninterrupted run's bit for bit.
 */
import { createHash } from "node:crypto";
import { DataFormatError } from "../core/errors.js";
import { decodeNonFinite, encodeNonFinite } from "../report/schema.js";
import type { DoneStudyJob, StudyJob, StudyRunControl, StudyRunPlan } from "../studies/study.js";
import type { Dataset } from "../train/solver.js";
import { removeDeadTemps } from "./temp-files.js";
import { planKey, readJobFiles, readPlanOf, usePlanFile, writeJobFile, type JobPlan, type PlanKind } from "./job-store.js";

/** The `format` of a study run's plan.json; bumped only on an incompatible change. */
export const STUDY_PLAN_FORMAT = "bnlab-study-plan/1";
/** The `format` of a study run's job files. */
export const STUDY_JOB_FORMAT = "bnlab-study-job/1";

/** What decides a study run's result: everything `key` hashes. */
export interface StudyPlanFile extends JobPlan {
  format: typeof STUDY_PLAN_FORMAT;
  study: string;
  /** The options the run uses, encoded as a part is (see `encodeExact`). */
  options: unknown;
  seed: number;
  kernelPath: string;
  /** bnlab's version: another version's jobs are not mixed into this one's result. */
  version: string;
  /** The study's data: its dtype, shape and the SHA-256 of its bytes (inputs and labels). */
  data: { dtype: string; numTrain: number; numVal: number; inputDim: number; sha256: string };
  /** The jobs' labels, in result order. */
  labels: string[];
}

const KIND: PlanKind<StudyPlanFile> = {
  planFormat: STUDY_PLAN_FORMAT,
  jobFormat: STUDY_JOB_FORMAT,
  what: "study run",
  keyed: (p) => ({ study: p.study, options: p.options, seed: p.seed, kernelPath: p.kernelPath, version: p.version, data: p.data, numJobs: p.numJobs, labels: p.labels }),
  // NOTE: the labels follow from the options; listed, they would repeat each option that differs.
  compared: (p) => ({ study: p.study, options: p.options, seed: p.seed, kernelPath: p.kernelPath, version: p.version, data: p.data }),
};

/** Numbers to JSON exactly: NaN, ±Infinity and −0 as strings; undefined members dropped (as JSON does). */
export function encodeExact(value: unknown): unknown {
  return encodeNonFinite(value, { negativeZero: true });
}

/** The inverse of `encodeExact`. */
export function decodeExact(value: unknown): unknown {
  return decodeNonFinite(value, { negativeZero: true });
}

/** The SHA-256 of a dataset's bytes (inputs, then labels, training then validation). */
export function dataSha256(data: Dataset): string {
  const h = createHash("sha256");
  for (const a of [data.xTrain.data, data.yTrain, data.xVal.data, data.yVal]) h.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return h.digest("hex");
}

/** The plan file of a run's plan (its key computed). */
export function makeStudyPlan(p: StudyRunPlan): StudyPlanFile {
  const plan: StudyPlanFile = {
    format: STUDY_PLAN_FORMAT,
    key: "",
    study: p.study,
    options: encodeExact(p.options),
    seed: p.seed,
    kernelPath: p.kernelPath,
    version: p.version,
    data: { dtype: p.data.xTrain.dtype, numTrain: p.shape.numTrain, numVal: p.shape.numVal, inputDim: p.shape.inputDim, sha256: dataSha256(p.data) },
    numJobs: p.jobs.length,
    labels: p.jobs.map((j) => j.label),
  };
  return { ...plan, key: planKey(KIND.keyed(plan)) };
}

/** The study plan in `dir`, or null when there is none. */
export function readStudyPlan(dir: string): StudyPlanFile | null {
  return readPlanOf(dir, KIND);
}

/** Writes one finished job (atomically). */
export function writeStudyJob(dir: string, plan: StudyPlanFile, job: StudyJob, part: unknown, seconds: number): void {
  const encoded = encodeExact(part);
  writeJobFile(dir, KIND, plan, job.index, { label: job.label, seconds, part: encoded, partSha256: partDigest(encoded) });
}

/**
 * The SHA-256 of a job's encoded result: a job file whose result was edited or damaged but is
 * still valid JSON is refused by name, instead of reaching the study's code as a malformed result.
 */
function partDigest(encoded: unknown): string {
  return createHash("sha256").update(JSON.stringify(encoded)).digest("hex");
}

/** The finished jobs in `dir` of `plan`, by index (a job file of another run is refused, naming it). */
export function readStudyJobs(dir: string, plan: StudyPlanFile): Map<number, DoneStudyJob> {
  const out = new Map<number, DoneStudyJob>();
  for (const [index, { file, job }] of readJobFiles(dir, KIND, plan)) {
    // NOTE: readJobFiles decoded "NaN" etc. already; "-0" is left for decodeExact (a no-op on the rest).
    const seconds = job["seconds"];
    if (job["label"] !== plan.labels[index] || typeof seconds !== "number" || typeof job["part"] !== "object" || job["part"] === null) {
      throw new DataFormatError(file, `not a finished job ${index} ("${plan.labels[index]}") of this study run`);
    }
    const part = decodeExact(job["part"]);
    if (job["partSha256"] !== partDigest(encodeExact(part))) {
      throw new DataFormatError(file, `job ${index}'s result does not match the checksum it was written with (edited or damaged); delete the file to run the job again`);
    }
    out.set(index, { part, seconds });
  }
  return out;
}


/** Options of `studyJobStore`. */
export interface StudyJobStoreOptions {
  /** Read the finished jobs and skip them; the folder must hold this run's plan (or none). Default: a fresh run, which replaces another run's jobs. */
  resume?: boolean;
  /** The option a refusal names (default "--resume" when resuming, else "--out"). */
  option?: string;
  /** Told once the folder is ready: how many of the jobs were done already. */
  onStart?: (info: { dir: string; done: number; total: number }) => void;
}

/**
 * A `StudyRunControl` that keeps a study run's finished jobs in `dir` (created when
 * missing): each job's file is written as the job finishes; with `resume`, the jobs
 * already there are not run again. A folder holding another run's jobs is refused
 * when resuming (an `OptionError` naming what differs) and replaced otherwise.
 */
export function studyJobStore(dir: string, o: StudyJobStoreOptions = {}): StudyRunControl {
  const resume = o.resume ?? false;
  const option = o.option ?? (resume ? "--resume" : "--out");
  let plan: StudyPlanFile | null = null;
  const use = (p: StudyRunPlan): StudyPlanFile => {
    const file = makeStudyPlan(p);
    usePlanFile(dir, file, KIND, { replace: !resume, option });
    return file;
  };
  return {
    check: (p) => void use(p),
    start: (p) => {
      const file = use(p);
      plan = file;
      removeDeadTemps(dir);
      const done = resume ? readStudyJobs(dir, file) : new Map<number, DoneStudyJob>();
      o.onStart?.({ dir, done: done.size, total: file.numJobs });
      return done;
    },
    onJob: (job, part, seconds) => {
      if (plan === null) throw new Error("studyJobStore: onJob before start");
      writeStudyJob(dir, plan, job, part, seconds);
    },
  };
}
