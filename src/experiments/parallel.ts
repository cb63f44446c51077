/**
 * Cell 7 in parallel: a pool of worker threads, each holding the data through
 * shared memory (no copies per job), runs sweep jobs as they come. Every job
 * starts from its snapshots of the cell's one stream (`sweepJobs`), so the
 * result equals `sweepExperiment`'s and draws what numpy's notebook loop draws.
 *
 * Workers must run TypeScript when bnlab runs from source (tsx, vitest): the
 * worker is started from a small bootstrap that registers tsx's loader first
 * when the entry is a .ts file; from compiled JavaScript it imports directly.
 */
import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { OptionError } from "../core/errors.js";
import { Tensor, type DType } from "../core/tensor.js";
import { getKernelPath } from "../kernels/index.js";
import type { Dataset } from "../train/solver.js";
import { DEFAULT_SEED } from "./checks.js";
import { SWEEP_DEFAULTS, sweepExperiment, sweepIterations, sweepJobs, sweepResult, sweepShape, type SweepOptions } from "./sweep.js";
import { subsetData, type ProgressFn } from "./training.js";
import type { SweepPoint, SweepResult } from "./types.js";

/** A tensor whose data lives in shared memory. */
interface SharedTensor {
  buffer: SharedArrayBuffer;
  shape: number[];
  dtype: DType;
}

/** A Dataset in shared memory, sendable to workers. */
export interface SharedDataset {
  xTrain: SharedTensor;
  yTrain: SharedArrayBuffer;
  xVal: SharedTensor;
  yVal: SharedArrayBuffer;
}

/** Messages from a worker. */
export type WorkerReply =
  | { type: "ready" }
  | { type: "progress"; index: number; done: number; total: number }
  | { type: "done"; index: number; point: SweepPoint }
  | { type: "error"; index: number; message: string };

function shareTensor(t: Tensor): SharedTensor {
  const buffer = new SharedArrayBuffer(t.data.byteLength);
  const view = t.dtype === "float64" ? new Float64Array(buffer) : new Float32Array(buffer);
  view.set(t.data);
  return { buffer, shape: [...t.shape], dtype: t.dtype };
}

function shareLabels(y: Int32Array): SharedArrayBuffer {
  const buffer = new SharedArrayBuffer(y.byteLength);
  new Int32Array(buffer).set(y);
  return buffer;
}

/** Copies a dataset into shared memory. */
export function toSharedDataset(d: Dataset): SharedDataset {
  return { xTrain: shareTensor(d.xTrain), yTrain: shareLabels(d.yTrain), xVal: shareTensor(d.xVal), yVal: shareLabels(d.yVal) };
}

function unshare(s: SharedTensor): Tensor {
  return new Tensor(s.dtype === "float64" ? new Float64Array(s.buffer) : new Float32Array(s.buffer), s.shape);
}

/** Views a shared dataset as a Dataset (no copy). */
export function datasetFromShared(s: SharedDataset): Dataset {
  return { xTrain: unshare(s.xTrain), yTrain: new Int32Array(s.yTrain), xVal: unshare(s.xVal), yVal: new Int32Array(s.yVal) };
}

/** The default number of jobs: one per core. */
export function defaultJobs(): number {
  return Math.max(1, availableParallelism());
}

// NOTE: evaluated as CommonJS in the worker; `import()` loads the ES module entry.
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsxApi !== null) {
    const api = await import(workerData.tsxApi);
    (api.register ?? api.default.register)();
  }
  await import(workerData.entry);
})().catch((err) => { setImmediate(() => { throw err; }); });
`;

function workerEntry(): { entry: string; tsxApi: string | null } {
  const fromSource = import.meta.url.endsWith(".ts");
  const entry = new URL(fromSource ? "./sweep-worker.ts" : "./sweep-worker.js", import.meta.url).href;
  if (!fromSource) return { entry, tsxApi: null };
  // NOTE: require.resolve gives the CommonJS build of tsx's API; its register()
  // resolves its loader wrongly from a worker, so the sibling ES module build is used.
  const cjs = createRequire(import.meta.url).resolve("tsx/esm/api");
  return { entry, tsxApi: pathToFileURL(cjs.replace(/\.cjs$/, ".mjs")).href };
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
  const { entry, tsxApi } = workerEntry();
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
        const w = new Worker(BOOTSTRAP, { eval: true, workerData: { entry, tsxApi, init } });
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
