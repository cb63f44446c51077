/**
 * A folder of per-job result files beside a plan (Node): the machinery under a sweep's
 * results folder (./sweep-store.ts) and a study's (./study-store.ts).
 *
 *   DIR/plan.json          { format, key, numJobs, … }: `key` is the SHA-256 of what decides
 *                          the results; every job file must carry it
 *   DIR/job-00007.json     { format, key, index, … }: one finished job
 *
 * Every file is written whole or not at all (temporary file, fsync, rename: a kill leaves
 * the old file or the new one, never half of one). A folder holding another plan is
 * refused, naming what differs, unless the caller replaces it.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { DataFormatError, OptionError } from "../core/errors.js";
import { decodeNonFinite, encodeNonFinite } from "../report/schema.js";
import { writeFileDurable } from "./checkpoint.js";

/** What every plan file holds. */
export interface JobPlan {
  format: string;
  key: string;
  numJobs: number;
}

/** How a store names and compares its plans. */
export interface PlanKind<P extends JobPlan> {
  /** The plan file's `format` (e.g. "bnlab-sweep-plan/1"). */
  planFormat: string;
  /** The job files' `format`. */
  jobFormat: string;
  /** What the jobs are of, in a message: "sweep", "study run". */
  what: string;
  /** Everything `key` hashes, as plain JSON (the fields a refusal compares). */
  keyed(plan: P): Record<string, unknown>;
  /** What a refusal compares, when not all of `keyed` (parts of it that repeat others). */
  compared?(plan: P): Record<string, unknown>;
}

/** What writing and reading job files needs of a kind. */
export type JobKind = Pick<PlanKind<JobPlan>, "jobFormat" | "what">;

/** The SHA-256 (hex) of `keyed`'s JSON. */
export function planKey(keyed: unknown): string {
  return createHash("sha256").update(JSON.stringify(keyed)).digest("hex");
}

/** The file of job `index` in `dir`. */
export function jobFile(dir: string, index: number): string {
  return join(dir, `job-${String(index).padStart(5, "0")}.json`);
}

const JOB_NAME = /^job-(\d{5,})\.json$/;

/** Parsed JSON of `file`; a `DataFormatError` naming it when it cannot be read or parsed. */
export function readJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new DataFormatError(file, err instanceof SyntaxError ? "not valid JSON" : `cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
}

/** The plan file in `dir` of any kind (non-finite strings decoded), or null when there is none. */
export function readAnyPlan(dir: string): (JobPlan & Record<string, unknown>) | null {
  const file = join(dir, "plan.json");
  if (!existsSync(file)) return null;
  const j = decodeNonFinite(readJsonFile(file)) as Partial<JobPlan> | null;
  if (typeof j !== "object" || j === null || Array.isArray(j) || typeof j.format !== "string" || typeof j.key !== "string" || !Number.isInteger(j.numJobs)) {
    throw new DataFormatError(file, "not a plan file of bnlab's (format, key, numJobs)");
  }
  return j as JobPlan & Record<string, unknown>;
}

/** The plan of `kind` in `dir`, or null when there is none; a plan of another kind is a `DataFormatError`. */
export function readPlanOf<P extends JobPlan>(dir: string, kind: PlanKind<P>): P | null {
  const j = readAnyPlan(dir);
  if (j === null) return null;
  if (j.format !== kind.planFormat) throw new DataFormatError(join(dir, "plan.json"), `not a ${kind.planFormat} file`);
  return j as unknown as P;
}

/**
 * The leaves where `have` and `want` differ, as "path (A there, B here)", at most `max`
 * (then "and N more"). Values compare as JSON (non-finite floats as strings).
 */
export function planDifferences(have: unknown, want: unknown, max = 4): string[] {
  const out: string[] = [];
  const show = (v: unknown): string => {
    const t = v === undefined ? "none" : JSON.stringify(v);
    return t.length > 48 ? `${t.slice(0, 45)}…` : t;
  };
  const walk = (a: unknown, b: unknown, path: string): void => {
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    if (isObj(a) && isObj(b)) {
      for (const k of new Set([...Object.keys(b), ...Object.keys(a)])) walk(a[k], b[k], path === "" ? k : `${path}.${k}`);
      return;
    }
    if (JSON.stringify(a) !== JSON.stringify(b)) out.push(`${path === "" ? "(the plan)" : path} (${show(a)} there, ${show(b)} here)`);
  };
  walk(encodeNonFinite(have), encodeNonFinite(want), "");
  return out.length > max ? [...out.slice(0, max), `and ${out.length - max} more`] : out;
}

/** Options of `usePlanFile`. */
export interface UsePlanOptions {
  /** Drop another plan's job files and write this one (a fresh run); otherwise refuse (a resume, a shard). */
  replace?: boolean;
  /** The option a refusal names (default "--out"). */
  option?: string;
}

/**
 * Makes `dir` hold `plan`: writes it when absent. When another plan is there, `replace`
 * drops its job files and writes this one; otherwise an `OptionError` naming the folder
 * and what differs (shards of one sweep share a folder; a resumed run must find its own).
 */
export function usePlanFile<P extends JobPlan>(dir: string, plan: P, kind: PlanKind<P>, { replace = false, option = "--out" }: UsePlanOptions = {}): void {
  mkdirSync(dir, { recursive: true });
  const have = readAnyPlan(dir);
  if (have !== null && have.format === plan.format && have.key === plan.key) return;
  if (have !== null && !replace) {
    let diff: string;
    if (have.format !== plan.format) diff = `a ${have.format} plan, not a ${plan.format} one`;
    else {
      let found: string[] = [];
      try {
        const view = kind.compared ?? kind.keyed;
        found = planDifferences(view(have as unknown as P), view(plan));
      } catch {
        // A plan file of the right format but another shape: said below without details.
      }
      diff = found.length > 0 ? found.join(", ") : "other options, seed, data or kernel path";
    }
    throw new OptionError(option, `a folder for this ${kind.what} (${dir} holds the jobs of another ${kind.what}, which differs in ${diff})`, dir);
  }
  if (have !== null) for (const name of readdirSync(dir)) if (JOB_NAME.test(name)) rmSync(join(dir, name), { force: true });
  writeFileDurable(join(dir, "plan.json"), Buffer.from(`${JSON.stringify(encodeNonFinite(plan), null, 2)}\n`));
}

/** Writes one job's file (atomically): `{ format, key, index, ...body }`. */
export function writeJobFile(dir: string, kind: JobKind, plan: JobPlan, index: number, body: Record<string, unknown>): void {
  const j = { format: kind.jobFormat, key: plan.key, index, ...body };
  writeFileDurable(jobFile(dir, index), Buffer.from(`${JSON.stringify(j, null, 2)}\n`));
}

/**
 * The job files in `dir` of `plan`, by index, each parsed and decoded (non-finite strings
 * back to numbers) with its file name; a file of another kind or plan, or whose index does
 * not fit, is a `DataFormatError` naming it.
 */
export function readJobFiles(dir: string, kind: JobKind, plan: JobPlan): Map<number, { file: string; job: Record<string, unknown> }> {
  const out = new Map<number, { file: string; job: Record<string, unknown> }>();
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir).sort()) {
    const m = JOB_NAME.exec(name);
    if (m === null) continue;
    const file = join(dir, name);
    const j = decodeNonFinite(readJsonFile(file)) as Record<string, unknown> | null;
    if (typeof j !== "object" || j === null || j["format"] !== kind.jobFormat) throw new DataFormatError(file, `not a ${kind.jobFormat} file`);
    if (j["key"] !== plan.key) throw new DataFormatError(file, `a job of another ${kind.what} (its key differs from plan.json's)`);
    const index = Number(m[1]);
    if (j["index"] !== index || index >= plan.numJobs) throw new DataFormatError(file, `job index ${String(j["index"])} (the file name says ${index}; the plan has ${plan.numJobs} jobs)`);
    out.set(index, { file, job: j });
  }
  return out;
}
