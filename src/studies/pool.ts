/**
 * A study's jobs on a pool of worker threads (Node only). Each worker holds the
 * study's data through shared memory and runs the jobs it is sent, one at a
 * time; every job carries its own seeds and stream states, so the result equals
 * `runStudy`'s whatever the number of workers (only the timings differ), and
 * whichever jobs `o.control` says are done already (a resumed run).
 */
import { OptionError } from "../core/errors.js";
import { runWorkerPool } from "../core/node-worker.js";
import { defaultJobs } from "../experiments/parallel.js";
import { toSharedDataset, type SharedDataset } from "../train/shared-data.js";
import { finishStudy, prepareStudy, progressReporter, resumeStudy, runStudy, type AnyStudy, type RunStudyOptions, type StudyJob, type StudyRecord } from "./study.js";

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
  const parts: unknown[] = new Array(prepared.jobs.length);
  const timings: Record<string, number> = {};
  const queue = resumeStudy(study, o, prepared, parts, timings, report);
  // NOTE: a pool with an empty queue would wait for a job that never comes.
  if (queue.length > 0) {
    const init: StudyWorkerInit = { study: study.name, options: prepared.options, data: toSharedDataset(prepared.data), kernelPath: o.kernelPath };
    await runWorkerPool<StudyJob, Extract<StudyWorkerReply, { type: "done" }>>({
      from: import.meta.url,
      entry: "./study-worker",
      init,
      queue,
      workers: jobs,
      kind: "study",
      jobName: (index) => `study ${study.name}, job ${index}`,
      onProgress: report,
      onDone: (m) => {
        const job = prepared.jobs[m.index]!;
        parts[m.index] = m.part;
        timings[job.label] = m.seconds;
        report(m.index, job.units);
        o.control?.onJob?.(job, m.part, m.seconds);
      },
    });
  }
  timings.total = (performance.now() - t0) / 1000;
  return finishStudy(study, o, prepared, parts, timings, jobs);
}
