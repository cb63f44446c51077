/**
 * A study's jobs on a pool of worker threads (Node only). Each worker holds the
 * study's data through shared memory and runs the jobs it is sent, one at a
 * time; every job carries its own seeds and stream states, so the result equals
 * `runStudy`'s whatever the number of workers (only the timings differ).
 */
import type { Worker } from "node:worker_threads";
import { OptionError } from "../core/errors.js";
import { startModuleWorker } from "../core/node-worker.js";
import { defaultJobs } from "../experiments/parallel.js";
import { toSharedDataset, type SharedDataset } from "../train/shared-data.js";
import { finishStudy, prepareStudy, progressReporter, runStudy, type AnyStudy, type RunStudyOptions, type StudyJob, type StudyRecord } from "./study.js";

/** What a study worker receives once. */
export interface StudyWorkerInit {
  study: string;
  options: unknown;
  data: SharedDataset;
  kernelPath: string;
}

/** Messages from a study worker. */
export type StudyWorkerReply =
  | { type: "ready" }
  | { type: "progress"; index: number; done: number }
  | { type: "done"; index: number; part: unknown; seconds: number }
  | { type: "error"; index: number; message: string };

/**
 * Runs `study` with its jobs spread over `jobs` worker threads (default one per
 * core); with jobs = 1, or a single job, on the calling thread.
 */
export async function runStudyParallel(study: AnyStudy, o: RunStudyOptions & { jobs?: number }): Promise<StudyRecord> {
  const jobs = o.jobs ?? defaultJobs();
  if (!Number.isInteger(jobs) || jobs < 1) throw new OptionError("--jobs", "a positive integer", jobs);
  if (jobs === 1) return runStudy(study, o);
  const t0 = performance.now();
  const prepared = prepareStudy(study, o);
  if (prepared.jobs.length <= 1) return { ...runStudy(study, o), settings: { seed: o.seed, quick: o.quick ?? false, jobs } };
  const report = progressReporter(study, prepared.jobs, o.onProgress);
  const queue: StudyJob[] = [...prepared.jobs];
  const parts: unknown[] = new Array(queue.length);
  const timings: Record<string, number> = {};
  const init: StudyWorkerInit = { study: study.name, options: prepared.options, data: toSharedDataset(prepared.data), kernelPath: o.kernelPath };
  const workers: Worker[] = [];
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
      for (let i = 0; i < Math.min(jobs, queue.length); i++) {
        const w = startModuleWorker(import.meta.url, "./study-worker", init);
        workers.push(w);
        w.on("message", (m: StudyWorkerReply) => {
          if (m.type === "ready") next(w);
          else if (m.type === "progress") report(m.index, m.done);
          else if (m.type === "done") {
            const job = prepared.jobs[m.index]!;
            parts[m.index] = m.part;
            timings[job.label] = m.seconds;
            report(m.index, job.units);
            finished++;
            if (finished === parts.length) resolve();
            else next(w);
          } else fail(new Error(`study ${study.name}, job ${m.index} failed in a worker: ${m.message}`));
        });
        w.on("error", (err) => fail(err instanceof Error ? err : new Error(String(err))));
        w.on("exit", (code) => {
          if (code !== 0 && !retired.has(w) && finished < parts.length) fail(new Error(`a study worker exited with code ${code}`));
        });
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  timings.total = (performance.now() - t0) / 1000;
  return finishStudy(study, o, prepared, parts, timings, jobs);
}
