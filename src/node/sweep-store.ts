/**
 * A sweep's results folder (Node): one JSON file per finished job, written atomically as
 * the job finishes, beside the sweep's plan. What lets a sweep survive a kill (`--resume`
 * skips the finished jobs) and run in shards on many machines (each writes its jobs into
 * the shared folder; `bnlab sweep merge` assembles them). docs/cluster.md.
 *
 *   DIR/jobs/plan.json          bnlab-sweep-plan/1: the options, seed, dataset, kernel path,
 *                               the result without points, the number of jobs, and `key`
 *                               (SHA-256 of all of those): every job file must carry it
 *   DIR/jobs/job-00007.json     bnlab-sweep-job/1: { key, index, shard, point }
 *
 * Every job carries its own stream states (SEED_SCHEME), so a point does not depend on
 * which jobs ran beside it: the assembled result equals the single-machine run's but for
 * each point's `seconds`.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { BnlabError, DataFormatError, OptionError } from "../core/errors.js";
import type { SweepOptions } from "../experiments/sweep.js";
import type { DatasetInfo, SweepPoint, SweepResult } from "../experiments/types.js";
import { encodeNonFinite } from "../report/schema.js";
import { planKey, readJobFiles, readJsonFile, readPlanOf, usePlanFile, writeJobFile, type PlanKind } from "./job-store.js";

export const PLAN_FORMAT = "bnlab-sweep-plan/1";
export const JOB_FORMAT = "bnlab-sweep-job/1";

/** What decides a sweep's results: everything `key` hashes. */
export interface SweepPlan {
  format: typeof PLAN_FORMAT;
  key: string;
  options: SweepOptions;
  seed: number;
  kernelPath: string;
  /** The data's dtype (float32, or float64 with --dtype float64). */
  dtype: string;
  /** Where the data came from (the first writer's; `dir` may differ between machines and is not in the key). */
  dataset: DatasetInfo;
  /** The result with no points (settings and the input's size and RMS, which fingerprint the data). */
  skeleton: SweepResult;
  numJobs: number;
}

/** A shard: this process runs the jobs whose index ≡ index (mod count). */
export interface Shard {
  index: number;
  count: number;
}

/** The folder of the job files under a sweep's output folder. */
export function jobsDir(outDir: string): string {
  return join(outDir, "jobs");
}

const SWEEP: PlanKind<SweepPlan> = {
  planFormat: PLAN_FORMAT,
  jobFormat: JOB_FORMAT,
  what: "sweep",
  keyed: (p) => {
    const { dir: _dir, description: _d, ...data } = p.dataset;
    return { options: p.options, seed: p.seed, kernelPath: p.kernelPath, dtype: p.dtype, data, skeleton: encodeNonFinite(p.skeleton), numJobs: p.numJobs };
  },
  // NOTE: the skeleton repeats the options (settings, scales, normalizations); its `input` fingerprints the data.
  compared: (p) => {
    const { skeleton, ...rest } = SWEEP.keyed(p);
    return { ...rest, input: (skeleton as { input?: unknown }).input };
  },
};

/** A new plan (its key computed). */
export function makePlan(p: Omit<SweepPlan, "format" | "key">): SweepPlan {
  const plan = { format: PLAN_FORMAT, key: "", ...p } as SweepPlan;
  return { ...plan, key: planKey(SWEEP.keyed(plan)) };
}

/** The plan in `dir`, or null when there is none. */
export function readPlan(dir: string): SweepPlan | null {
  return readPlanOf(dir, SWEEP);
}

/**
 * Makes `dir` hold `plan`: writes it when absent. When another sweep's plan is there, `replace`
 * drops its job files and writes this one; otherwise it is refused, naming the folder and what
 * differs (shards of one sweep share a folder; a resumed run must find its own sweep).
 */
export function usePlan(dir: string, plan: SweepPlan, options: { replace?: boolean; option?: string } = {}): void {
  usePlanFile(dir, plan, SWEEP, options);
}

/** Writes one finished job's point (atomically). */
export function writeJob(dir: string, plan: SweepPlan, index: number, point: SweepPoint, shard: Shard | null): void {
  writeJobFile(dir, SWEEP, plan, index, { shard: shard === null ? null : `${shard.index}/${shard.count}`, point: encodeNonFinite(point) });
}

/** The finished points in `dir` of the sweep `plan`, by job index (a job file of another sweep is refused). */
export function readJobs(dir: string, plan: SweepPlan): Map<number, SweepPoint> {
  const out = new Map<number, SweepPoint>();
  for (const [index, { file, job }] of readJobFiles(dir, SWEEP, plan)) {
    const p = job["point"] as SweepPoint | undefined;
    if (typeof p !== "object" || p === null || typeof p.bestValAcc !== "number" || !Array.isArray(p.trainAccHistory)) throw new DataFormatError(file, "no sweep point");
    out.set(index, p);
  }
  return out;
}

/** The complete result from the plan and every job's point; BnlabError naming the missing jobs (and their shards). */
export function assembleSweep(dir: string, plan: SweepPlan, points: ReadonlyMap<number, SweepPoint>, shardCount?: number): SweepResult {
  const missing: number[] = [];
  for (let i = 0; i < plan.numJobs; i++) if (!points.has(i)) missing.push(i);
  if (missing.length > 0) {
    const list = missing.slice(0, 20).join(", ") + (missing.length > 20 ? `, … (${missing.length} in all)` : "");
    const shards = shardCount === undefined ? "" : `; shard(s) ${[...new Set(missing.map((i) => i % shardCount))].map((k) => `${k}/${shardCount}`).join(", ")} did not finish`;
    throw new BnlabError(`${dir}: ${missing.length} of ${plan.numJobs} sweep jobs missing: ${list}${shards}`);
  }
  return { ...plan.skeleton, points: Array.from({ length: plan.numJobs }, (_, i) => points.get(i)!) };
}

/** The shard count the job files in `dir` were written with, if they agree on one. */
export function shardCountOf(dir: string): number | undefined {
  if (!existsSync(dir)) return undefined;
  const counts = new Set<number>();
  for (const name of readdirSync(dir)) {
    if (!/^job-\d+\.json$/.test(name)) continue;
    const s = (readJsonFile(join(dir, name)) as { shard?: unknown }).shard;
    if (typeof s === "string") counts.add(Number(s.split("/")[1]));
  }
  return counts.size === 1 ? [...counts][0] : undefined;
}

/** Whether job `index` belongs to `shard` (round robin: index mod count). */
export function inShard(index: number, shard: Shard | null): boolean {
  return shard === null || index % shard.count === shard.index;
}

/**
 * The shard from `--shard K/N` (0 <= K < N), or with "env" from the scheduler's environment:
 * Slurm arrays, K = (SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP of
 * N = SLURM_ARRAY_TASK_COUNT (any --array offset or step); Kubernetes Indexed Jobs,
 * K = JOB_COMPLETION_INDEX of N = `count` (--shard-count) or BNLAB_SHARD_COUNT.
 */
export function parseShard(value: string, env: NodeJS.ProcessEnv = process.env, count?: number): Shard {
  const num = (name: string, v: string | undefined): number => {
    if (v === undefined || !/^\d+$/.test(v.trim())) throw new OptionError(`--shard env (${name})`, "a non-negative integer in the environment", v ?? "unset");
    return Number(v);
  };
  let index: number;
  let n: number;
  if (value === "env") {
    if (env["SLURM_ARRAY_TASK_ID"] !== undefined) {
      const id = num("SLURM_ARRAY_TASK_ID", env["SLURM_ARRAY_TASK_ID"]);
      const min = num("SLURM_ARRAY_TASK_MIN", env["SLURM_ARRAY_TASK_MIN"]);
      const step = env["SLURM_ARRAY_TASK_STEP"] === undefined ? 1 : num("SLURM_ARRAY_TASK_STEP", env["SLURM_ARRAY_TASK_STEP"]);
      n = num("SLURM_ARRAY_TASK_COUNT", env["SLURM_ARRAY_TASK_COUNT"]);
      if (step === 0 || (id - min) % step !== 0) throw new OptionError("--shard env", "a Slurm array of evenly spaced task ids (--array=A-B or A-B:S)", `task ${id} of min ${min}, step ${step}`);
      index = (id - min) / step;
    } else if (env["JOB_COMPLETION_INDEX"] !== undefined) {
      index = num("JOB_COMPLETION_INDEX", env["JOB_COMPLETION_INDEX"]);
      n = count ?? num("BNLAB_SHARD_COUNT", env["BNLAB_SHARD_COUNT"]);
    } else {
      throw new OptionError("--shard env", "SLURM_ARRAY_TASK_ID (a Slurm array task) or JOB_COMPLETION_INDEX (a Kubernetes Indexed Job) in the environment", "neither");
    }
  } else {
    const m = /^(\d+)\/(\d+)$/.exec(value);
    if (m === null) throw new OptionError("--shard", 'K/N with 0 <= K < N (e.g. 0/4), or "env"', value);
    index = Number(m[1]);
    n = Number(m[2]);
  }
  if (!(n >= 1 && index >= 0 && index < n)) throw new OptionError("--shard", "K/N with 0 <= K < N", `${index}/${n}`);
  return { index, count: n };
}
