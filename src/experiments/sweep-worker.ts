/**
 * Worker-thread entry of the parallel sweep (see parallel.ts): receives the data
 * (shared memory) and settings once, then runs the jobs the main thread sends,
 * one at a time, replying with progress and each run's point.
 */
import { parentPort, workerData } from "node:worker_threads";
import { setKernelPath, type KernelPath } from "../kernels/index.js";
import { runSweepJob, type SweepJob } from "./sweep.js";
import { InputPins } from "../train/accuracy.js";
import { datasetFromShared, type SharedDataset, type WorkerReply } from "./parallel.js";
import type { TrainSettings } from "./types.js";

interface Init {
  data: SharedDataset;
  settings: TrainSettings;
  kernelPath: KernelPath;
}

const init = (workerData as { init: Init }).init;
setKernelPath(init.kernelPath);
const data = datasetFromShared(init.data);
const port = parentPort!;
// NOTE: every job trains on the same shared, unchanging rows: their checks' rows are packed
// once per worker, not once per run (released when the worker ends).
const pins = new InputPins();

port.on("message", (job: SweepJob) => {
  let lastSent = 0;
  try {
    const point = runSweepJob(data, init.settings, job, (done, total) => {
      // NOTE: at most ~20 progress messages a second per worker.
      const now = performance.now();
      if (done === total || now - lastSent > 50) {
        lastSent = now;
        port.postMessage({ type: "progress", index: job.index, done, total } satisfies WorkerReply);
      }
    }, undefined, undefined, pins);
    port.postMessage({ type: "done", index: job.index, point } satisfies WorkerReply);
  } catch (err) {
    const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    port.postMessage({ type: "error", index: job.index, message } satisfies WorkerReply);
  }
});
port.postMessage({ type: "ready" } satisfies WorkerReply);
