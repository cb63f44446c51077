/**
 * A study: one experiment from the literature about *why* batch norm works, as a
 * unit of the product. It returns a plain result object (JSON-serialisable, with a
 * zod schema), Vega-Lite figures and findings written from the measured numbers,
 * and cites the paper it follows.
 *
 * A study's work is a list of jobs (`plan`), each a plain object that carries its
 * own seed and stream state, so the jobs can run in any order, on this thread
 * (`runStudy`, browser-safe) or on the worker pool (`runStudyParallel` in
 * ./pool.ts, Node only), and the result is the same for any number of workers.
 *
 * No Node imports here.
 */
import type { TopLevelSpec } from "vega-lite";
import type { z } from "zod";
import { OptionError } from "../core/errors.js";
import type { DatasetInfo } from "../experiments/types.js";
import { subsetData, type ProgressFn } from "../experiments/training.js";
import type { Dataset } from "../train/solver.js";

/** The paper a study follows. */
export interface Citation {
  authors: string[];
  title: string;
  venue: string;
  year: number;
  url?: string;
}

/** One finding: a sentence written from the result, and the numbers it cites (by name). */
export interface Finding {
  /** Stable name of what the sentence is about (e.g. "shift-reduced"), for tests and readers. */
  id: string;
  text: string;
  values: Record<string, number | null>;
}

/** A figure of a study: a file name (without extension), a caption and its Vega-Lite spec. */
export interface StudyFigure {
  name: string;
  caption: string;
  spec: TopLevelSpec;
}

/** A table of a study's report: a caption, column heads and rows of text cells. */
export interface StudyTable {
  caption: string;
  head: string[];
  rows: string[][];
}

/** Every job of a study carries these: its place in the result, a label and its size in work units. */
export interface StudyJob {
  index: number;
  label: string;
  /** Units of work (training iterations, usually) for the progress bar. */
  units: number;
}

/** What decides a study's plan besides its options: the data's shape (after the study's subset). */
export interface DataShape {
  numTrain: number;
  numVal: number;
  inputDim: number;
}

/** `Study.dataRows` of a study whose options name the rows it trains and validates on. */
export function optionRows(o: { numTrain: number; numVal: number }): { numTrain: number; numVal: number } {
  return { numTrain: o.numTrain, numVal: o.numVal };
}

/**
 * A study with options O, jobs J, per-job parts P and result R. Members are
 * methods, so a `Study<O, J, P, R>` is also an `AnyStudy` (the registry's type).
 * All of O, J, P and R are plain data: they cross thread boundaries and R goes to JSON.
 */
export interface Study<O, J extends StudyJob, P, R> {
  /** The command-line name (`bnlab study NAME`): lowercase words joined by "-". */
  readonly name: string;
  readonly title: string;
  /** One line for `bnlab study --list`. */
  readonly summary: string;
  readonly citation: Citation;
  /** `full` is the study as the paper runs it (scaled to the sample); `quick` a small version for a look and for tests. */
  readonly presets: { readonly quick: O; readonly full: O };
  /** Validates options given from outside (a JSON file, the page). */
  readonly optionsSchema: z.ZodType<O>;
  /** The schema of the result in JSON form (non-finite floats as strings, see ./json.ts). */
  readonly resultSchema: z.ZodType;
  /** Training and validation rows the study uses (the first rows of each split); e.g. `optionRows`. */
  dataRows(options: O): { numTrain: number; numVal: number };
  /** The jobs, in result order; each carries everything it draws from (seeds, stream states). */
  plan(options: O, seed: number, shape: DataShape): J[];
  /** Runs one job on the study's data (already subset); `onProgress(done)` in the job's units. */
  runJob(data: Dataset, options: O, job: J, onProgress?: (done: number) => void): P;
  /** The result from the parts, in job order. */
  assemble(options: O, seed: number, shape: DataShape, parts: P[]): R;
  figures(result: R): StudyFigure[];
  /** Sentences written from the result's numbers; different numbers give different text. */
  findings(result: R): Finding[];
  /** Optional summary tables for the report (after the findings). */
  tables?(result: R): StudyTable[];
}

/** Any registered study. */
export type AnyStudy = Study<unknown, StudyJob, unknown, unknown>;

/** The record of one study run: what `bnlab study` writes as results.json (see docs/studies.md). */
export interface StudyRecord {
  schema: "bnlab-study/1";
  study: string;
  title: string;
  citation: Citation;
  createdAt: string;
  settings: { seed: number; quick: boolean; jobs: number };
  options: unknown;
  dataset: DatasetInfo;
  versions: { bnlab: string; node: string; platform: string; kernelPath: string };
  /** Seconds: "total", "figures" (when drawn) and one entry per job label. */
  timings: Record<string, number>;
  result: unknown;
  findings: Finding[];
  /** Figure files relative to the output folder, by figure name (filled when written). */
  figures: Record<string, { svg: string; png: string }>;
}

/** A study run's plan, as a job store keys its files on it (src/node/study-store.ts). */
export interface StudyRunPlan {
  study: string;
  /** The options the run uses (validated, or the preset). */
  options: unknown;
  seed: number;
  shape: DataShape;
  /** The jobs, in result order. */
  jobs: readonly StudyJob[];
  /** The study's data (its first rows): what the jobs train on, for a fingerprint. */
  data: Dataset;
  kernelPath: string;
  version: string;
}

/** A job finished by an earlier run (read back from a job store): its part and its seconds. */
export interface DoneStudyJob {
  part: unknown;
  seconds: number;
}

/**
 * Which of a study's jobs are already done, and where each finished job goes: what lets a
 * study's grid survive a kill (`bnlab study --resume`; the Node job store is
 * `studyJobStore` in src/node/study-store.ts). The run never touches files itself.
 */
export interface StudyRunControl {
  /**
   * Checks that the store can hold this plan, before any work (reproduce checks every
   * study's before its first cell). Throws (an `OptionError`) when it cannot.
   */
  check?(plan: StudyRunPlan): void;
  /** Called once the jobs are planned, before any runs: the jobs already done, by index (not run again). */
  start?(plan: StudyRunPlan): ReadonlyMap<number, DoneStudyJob>;
  /** Called as each job that ran finishes (in the order they finish, on the calling thread); an exception stops the run. */
  onJob?(job: StudyJob, part: unknown, seconds: number): void;
}

/** Options of `runStudy` and `runStudyParallel`. */
export interface RunStudyOptions {
  data: Dataset;
  dataset: DatasetInfo;
  seed: number;
  quick?: boolean;
  /** Overrides the preset (validated with the study's optionsSchema). */
  options?: unknown;
  version: string;
  kernelPath: string;
  onProgress?: ProgressFn;
  /** Jobs already done and where finished jobs go (resume); default: every job runs, nothing is kept. */
  control?: StudyRunControl;
}

/** The data shape of a dataset. */
export function dataShape(data: Dataset): DataShape {
  const numTrain = data.xTrain.shape[0]!;
  return { numTrain, numVal: data.xVal.shape[0]!, inputDim: numTrain === 0 ? 0 : data.xTrain.size / numTrain };
}

/** The options a run uses: the given ones (validated) or the preset. */
export function studyOptions(study: AnyStudy, quick: boolean, given?: unknown): unknown {
  if (given === undefined) return quick ? study.presets.quick : study.presets.full;
  const parsed = study.optionsSchema.safeParse(given);
  if (!parsed.success) throw new OptionError(`options of study "${study.name}"`, "options matching the study's schema", parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; "));
  return parsed.data;
}

/** A study's options, data and jobs, as a run prepares them. */
export interface PreparedStudy {
  options: unknown;
  data: Dataset;
  shape: DataShape;
  jobs: StudyJob[];
}

/** The study's data (first rows) and its plan: shared by the sequential and the parallel runner. */
export function prepareStudy(study: AnyStudy, o: RunStudyOptions): PreparedStudy {
  const options = studyOptions(study, o.quick ?? false, o.options);
  const rows = study.dataRows(options);
  const data = subsetData(o.data, rows.numTrain, rows.numVal);
  const shape = dataShape(data);
  return { options, data, shape, jobs: study.plan(options, o.seed, shape) };
}

/** The plan a control sees (see `StudyRunControl`). */
export function studyRunPlan(study: AnyStudy, o: RunStudyOptions, prepared: PreparedStudy = prepareStudy(study, o)): StudyRunPlan {
  return { study: study.name, options: prepared.options, seed: o.seed, shape: prepared.shape, jobs: prepared.jobs, data: prepared.data, kernelPath: o.kernelPath, version: o.version };
}

/**
 * The jobs `o.control` has already done (their parts and seconds put in place, their
 * progress reported whole) and the jobs left to run, in order.
 */
export function resumeStudy(
  study: AnyStudy,
  o: RunStudyOptions,
  prepared: PreparedStudy,
  parts: unknown[],
  timings: Record<string, number>,
  report: (index: number, done: number) => void,
): StudyJob[] {
  const done = o.control?.start?.(studyRunPlan(study, o, prepared)) ?? new Map<number, DoneStudyJob>();
  const left: StudyJob[] = [];
  for (const job of prepared.jobs) {
    const d = done.get(job.index);
    if (d === undefined) {
      left.push(job);
      continue;
    }
    parts[job.index] = d.part;
    timings[job.label] = d.seconds;
    report(job.index, job.units);
  }
  return left;
}

/** Builds the record from a finished run's parts. */
export function finishStudy(
  study: AnyStudy,
  o: RunStudyOptions,
  prepared: { options: unknown; shape: DataShape },
  parts: unknown[],
  timings: Record<string, number>,
  jobs: number,
): StudyRecord {
  const result = study.assemble(prepared.options, o.seed, prepared.shape, parts);
  const proc = (globalThis as { process?: { versions?: { node?: string }; platform?: string; arch?: string } }).process;
  return {
    schema: "bnlab-study/1",
    study: study.name,
    title: study.title,
    citation: study.citation,
    createdAt: new Date().toISOString(),
    settings: { seed: o.seed, quick: o.quick ?? false, jobs },
    options: prepared.options,
    dataset: o.dataset,
    versions: {
      bnlab: o.version,
      node: proc?.versions?.node ?? "none",
      platform: proc?.platform !== undefined ? `${proc.platform}-${proc.arch ?? ""}` : "browser",
      kernelPath: o.kernelPath,
    },
    timings,
    result,
    findings: study.findings(result),
    figures: {},
  };
}

/** Reports a job's progress as the run's: `done` of all jobs' units. */
export function progressReporter(study: AnyStudy, jobs: readonly StudyJob[], onProgress?: ProgressFn): (index: number, done: number) => void {
  const total = jobs.reduce((s, j) => s + j.units, 0);
  const doneByJob = new Float64Array(jobs.length);
  let sum = 0;
  return (index, done) => {
    sum += done - doneByJob[index]!;
    doneByJob[index] = done;
    onProgress?.({ step: study.name, done: sum, total, detail: jobs[index]!.label });
  };
}

/** Runs a study on the calling thread, job after job (browser-safe). */
export function runStudy(study: AnyStudy, o: RunStudyOptions): StudyRecord {
  const t0 = performance.now();
  const prepared = prepareStudy(study, o);
  const report = progressReporter(study, prepared.jobs, o.onProgress);
  const timings: Record<string, number> = {};
  const parts: unknown[] = new Array(prepared.jobs.length);
  for (const job of resumeStudy(study, o, prepared, parts, timings, report)) {
    const t = performance.now();
    const part = study.runJob(prepared.data, prepared.options, job, (done) => report(job.index, done));
    const seconds = (performance.now() - t) / 1000;
    parts[job.index] = part;
    timings[job.label] = seconds;
    o.control?.onJob?.(job, part, seconds);
  }
  timings.total = (performance.now() - t0) / 1000;
  return finishStudy(study, o, prepared, parts, timings, 1);
}
