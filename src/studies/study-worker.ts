/**
 * Worker-thread entry of the study pool (see pool.ts): receives the study's name,
 * options and data (shared memory) once, then runs the jobs the main thread sends.
 */
import { parentPort, workerData } from "node:worker_threads";
import { setKernelPath, type KernelPath } from "../kernels/index.js";
import { datasetFromShared } from "../train/shared-data.js";
import type { StudyWorkerInit, StudyWorkerReply } from "./pool.js";
import { getStudy } from "./registry.js";
import type { StudyJob } from "./study.js";

const init = (workerData as { init: StudyWorkerInit }).init;
setKernelPath(init.kernelPath as KernelPath);
const data = datasetFromShared(init.data);
const study = getStudy(init.study);
const port = parentPort!;

port.on("message", (job: StudyJob) => {
  let lastSent = 0;
  const t0 = performance.now();
  try {
    const part = study.runJob(data, init.options, job, (done) => {
      // NOTE: at most ~20 progress messages a second per worker.
      const now = performance.now();
      if (now - lastSent > 50) {
        lastSent = now;
        port.postMessage({ type: "progress", index: job.index, done } satisfies StudyWorkerReply);
      }
    });
    port.postMessage({ type: "done", index: job.index, part, seconds: (performance.now() - t0) / 1000 } satisfies StudyWorkerReply);
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    port.postMessage({ type: "error", index: job.index, message } satisfies StudyWorkerReply);
  }
});
port.postMessage({ type: "ready" } satisfies StudyWorkerReply);
