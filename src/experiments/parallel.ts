/**
 * Cell 7 in parallel: a pool of worker threads, each holding the data through
 * shared memory (no copies per job), runs sweep jobs as they come. Every job
 * starts from its snapshots of the cell's one stream (`sweepJobs`), so the
 * result equals `sweepExperiment`'s and draws what numpy's notebook loop draws.
 * Workers start through `startModuleWorker` (from source or compiled).
 */
import { availableParallelism } from "node:os";
import type { Worker } from "node:worker_threads";
import { startModuleWorker } from "../core/node-worker.js";
import { toSharedDataset } from "../train/shared-data.js";
export { toSharedDataset, datasetFromShared, type SharedDataset } from "../train/shared-data.js";
import { OptionError } from "../core/errors.js";
import { getKernelPath } from "../kernels/index.js";
import type { Dataset } from "../train/solver.js";
import { DEFAULT_SEED } from "./checks.js";
import { SWEEP_DEFAULTS, sweepExperiment, sweepIterations, sweepJobs, sweepResult, sweepShape, type SweepOptions } from "./sweep.js";
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
  if (!Number.isInteger(jobs) || jobs < 1) throw new OptionError("--jobs", "a positive integer", jobs);
  if (jobs === 1) return sweepExperiment(fullData, o, seed, onProgress);
  const data = subsetData(fullData, o.numTrain, o.numVal);
  const queue = sweepJobs(o, seed, sweepShape(data));
  const perRun = sweepIterations(data, o);
  const total = perRun * queue.length;
  const doneByJob = new Float64Array(queue.length);
  let doneSum = 0;
  const points: (SweepPoint | undefined)[] = new Array(queue.length);
  const shared = toSharedDataset(data);
  const { weightScales: _w, normalizations: _n, ...settings } = o;
  const init = { data: shared, settings, kernelPath: getKernelPath() };
  const numWorkers = Math.min(jobs, queue.length);
  const workers: Worker[] = [];

  const record = (index: number, done: number, detail: string): void => {
    doneSum += done - doneByJob[index]!;
    doneByJob[index] = done;
    onProgress?.({ step: "sweep", done: doneSum, total, detail });
  };

  try {
    await new Promise<void>((resolve, reject) => {
      let finished = 0;
      let failed = false;
      const retired = new Set<Worker>();
      const fail = (err: Error): void => {
        if (!failed) {
          failed = true;
          reject(err);
        }
      };
      const next = (w: Worker): void => {
        const job = queue.shift();
        if (job === undefined) {
          // NOTE: a terminated worker exits with code 1; `retired` tells that exit from a crash.
          retired.add(w);
          void w.terminate();
          return;
        }
        w.postMessage(job);
      };
      for (let i = 0; i < numWorkers; i++) {
        const w = startModuleWorker(import.meta.url, "./sweep-worker", init);
        workers.push(w);
        w.on("message", (m: WorkerReply) => {
          if (m.type === "ready") next(w);
          else if (m.type === "progress") record(m.index, m.done, "");
          else if (m.type === "done") {
            points[m.index] = m.point;
            record(m.index, perRun, `${m.point.normalization} ${m.point.weightScale.toExponential(1)}`);
            finished++;
            if (finished === points.length) resolve();
            else next(w);
          } else fail(new Error(`sweep run ${m.index} failed in a worker: ${m.message}`));
        });
        w.on("error", (err) => fail(err instanceof Error ? err : new Error(String(err))));
        w.on("exit", (code) => {
          if (code !== 0 && !retired.has(w) && finished < points.length) fail(new Error(`a sweep worker exited with code ${code}`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return sweepResult(data, o, seed, points as SweepPoint[]);
}
