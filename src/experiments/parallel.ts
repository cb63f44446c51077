/**
 * Cell 7 in parallel: a pool of worker threads, each holding the data through
 * shared memory (no copies per job), runs sweep jobs as they come. Every job
 * starts from its snapshots of the cell's one stream (`sweepJobs`), so the
 * result equals `sweepExperiment`'s and draws what numpy's notebook loop draws.
 * Workers start through `startModuleWorker` (from source or compiled).
 */
import { availableParallelism } from "node:os";
import { runWorkerPool } from "../core/node-worker.js";
import { toSharedDataset } from "../train/shared-data.js";
export { toSharedDataset, datasetFromShared, type SharedDataset } from "../train/shared-data.js";
import { OptionError } from "../core/errors.js";
import { getKernelPath } from "../kernels/index.js";
import { InputPins } from "../train/accuracy.js";
import type { Dataset } from "../train/solver.js";
import { DEFAULT_SEED } from "./checks.js";
import { SWEEP_DEFAULTS, runSweepJob, sweepIterations, sweepJobs, sweepJobsInOrder, sweepResult, sweepShape, type SweepJob, type SweepOptions } from "./sweep.js";
import { subsetData, type ProgressFn } from "./training.js";
import type { SweepPoint, SweepResult } from "./types.js";

/** Messages from a worker. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "progress"; index: number; done: number; total: number }
  | { type: "done"; index: number; point: SweepPoint }
  | { type: "error"; index: number; message: string };

/** The default number of jobs: one per core. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

/** Which of a sweep's jobs to run, and where each finished point goes (resume, shards). */
export interface SweepRunControl {
  /** Runs only the jobs this accepts (a shard's); default all. */
  select?: (job: SweepJob) => boolean;
  /** Points already finished (by job index), e.g. read back from a results folder: not run again. */
  done?: ReadonlyMap<number, SweepPoint>;
  /** Called as each job finishes, in the order they finish (on the calling thread). */
  onPoint?: (job: SweepJob, point: SweepPoint) => void;
}

/** The sweep's data (subset), its jobs in result order, and a point for each job that ran or was done. */
export interface SweepJobsRun {
  data: Dataset;
  jobs: SweepJob[];
  points: (SweepPoint | undefined)[];
}

/**
 * Cell 7 on `jobs` worker threads (default: one per core). With jobs = 1 it runs
 * on the calling thread. The result equals `sweepExperiment`'s for the same
 * arguments, except the per-run `seconds`.
 */
export async function sweepExperimentParallel(
  fullData: Dataset,
  o: SweepOptions = SWEEP_DEFAULTS,
  seed = DEFAULT_SEED,
  jobs = defaultJobs(),
  onProgress?: ProgressFn,
): Promise<SweepResult> {
  const r = await runSweepJobs(fullData, o, seed, jobs, onProgress);
  return sweepResult(r.data, o, seed, r.points as SweepPoint[]);
}

/**
 * Runs the sweep's jobs that `control` selects and has not done, on `jobs` worker threads
 * (1: on the calling thread), each from its own stream states: a job's point is the same
 * whichever jobs run with it, wherever (only `seconds` differs).
 */
export async function runSweepJobs(
  fullData: Dataset,
  o: SweepOptions,
  seed: number,
  jobs: number,
  onProgress?: ProgressFn,
  control: SweepRunControl = {},
): Promise<SweepJobsRun> {
  if (!Number.isInteger(jobs) || jobs < 1) throw new OptionError("--jobs", "a positive integer", jobs);
  const data = subsetData(fullData, o.numTrain, o.numVal);
  const perRun = sweepIterations(data, o);
  let planned: SweepJob[] = [];
  let points: (SweepPoint | undefined)[] = [];
  let queue: SweepJob[] = [];
  let total = 0;
  const plan = (): SweepJob[] => {
    planned = sweepJobs(o, seed, sweepShape(data));
    points = planned.map((j) => control.done?.get(j.index));
    queue = planned.filter((j) => points[j.index] === undefined && (control.select?.(j) ?? true));
    total = perRun * queue.length;
    return queue;
  };
  // A whole sweep: every job, each planned when a worker asks for it (or just before).
  function* planInOrder(): Generator<SweepJob, void, undefined> {
    for (const job of sweepJobsInOrder(o, seed, sweepShape(data))) {
      planned.push(job);
      points.push(undefined);
      yield job;
    }
  }
  const finish = (job: SweepJob, point: SweepPoint): void => {
    points[job.index] = point;
    control.onPoint?.(job, point);
  };
  // NOTE: a whole sweep on workers plans its jobs (0.1 s for the notebook's 40) one at a time as
  // the workers take them, the first while the workers start; a resumed or sharded one plans first,
  // as it may have one job or none left.
  const runs = o.weightScales.length * o.normalizations.length;
  const planWhileStarting = jobs > 1 && control.done === undefined && control.select === undefined && runs > 1;
  if (planWhileStarting) total = perRun * runs;
  else plan();
  if (!planWhileStarting && (jobs === 1 || queue.length <= 1)) {
    const pins = new InputPins();
    try {
      queue.forEach((job, k) => {
        const detail = `${job.normalization} ${job.weightScale.toExponential(1)}`;
        const report = onProgress ? (done: number): void => onProgress({ step: "sweep", done: k * perRun + done, total, detail }) : undefined;
        finish(job, runSweepJob(data, o, job, report, undefined, undefined, pins));
      });
    } finally {
      pins.release();
    }
    return { data, jobs: planned, points };
  }
  const doneByJob = new Float64Array(runs);
  let doneSum = 0;
  const shared = toSharedDataset(data);
  const { weightScales: _w, normalizations: _n, ...settings } = o;
  const init = { data: shared, settings, kernelPath: getKernelPath() };
  const numWorkers = Math.min(jobs, planWhileStarting ? runs : queue.length);

  const record = (index: number, done: number, detail: string): void => {
    doneSum += done - doneByJob[index]!;
    doneByJob[index] = done;
    onProgress?.({ step: "sweep", done: doneSum, total, detail });
  };
  await runWorkerPool<SweepJob, Extract<WorkerReply, { type: "done" }>>({
    from: import.meta.url,
    entry: "./sweep-worker",
    init,
    queue: planWhileStarting ? planInOrder : queue,
    workers: numWorkers,
    kind: "sweep",
    jobName: (index) => `sweep run ${index}`,
    onProgress: (index, done) => record(index, done, ""),
    onDone: (m) => {
      finish(planned.find((j) => j.index === m.index)!, m.point);
      record(m.index, perRun, `${m.point.normalization} ${m.point.weightScale.toExponential(1)}`);
    },
  });
  return { data, jobs: planned, points };
}
