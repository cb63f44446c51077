/**
 * Starts a worker thread on one of bnlab's modules, from source or compiled.
 *
 * Compiled (the installed package): the worker imports the entry's .js directly.
 * From source (tsx, vitest), the worker must run TypeScript. The entry and everything it
 * imports are bundled once per process with esbuild (the transform tsx itself uses) into one
 * ES module in node_modules/.cache/bnlab-workers/, and the worker runs that: registering tsx in
 * each worker started a loader-hooks thread of its own and sent every module through it,
 * ≈ 0.2 s per worker and more on a busy 2-core machine (docs/performance.md, "Worker start
 * from source"). Where esbuild or that folder is not available, the worker registers tsx's
 * loader and imports the .ts entry, as before. Node only.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, type TransferListItem } from "node:worker_threads";
import { removeDeadTemps, tempPathFor } from "../node/temp-files.js";

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

/**
 * A worker running `entry` (a path relative to `from`, the caller's import.meta.url,
 * without extension: ".ts" is added when the caller runs from source, ".js" otherwise).
 * `data` arrives in the worker as `workerData.init`.
 */
export function startModuleWorker(from: string, entry: string, data: unknown, transferList: TransferListItem[] = []): Worker {
  const fromSource = from.endsWith(".ts");
  const url = new URL(`${entry}${fromSource ? ".ts" : ".js"}`, from).href;
  if (fromSource) {
    const bundle = bundledEntry(from, url);
    if (bundle !== null) return new Worker(bundle, { workerData: { init: data }, transferList });
  }
  let tsxApi: string | null = null;
  if (fromSource) {
    // NOTE: require.resolve gives the CommonJS build of tsx's API; its register()
    // resolves its loader wrongly from a worker, so the sibling ES module build is used.
    const cjs = createRequire(from).resolve("tsx/esm/api");
    tsxApi = pathToFileURL(cjs.replace(/\.cjs$/, ".mjs")).href;
  }
  return new Worker(BOOTSTRAP, { eval: true, workerData: { entry: url, tsxApi, init: data }, transferList });
}

/** Bundles made in this process, by entry URL (null: bundling is not possible here). */
const bundles = new Map<string, URL | null>();

/**
 * The entry at `url` bundled with everything it imports (bare package imports stay imports),
 * written once per process under the node_modules that holds esbuild (so that those imports
 * resolve as from the sources), named by its content's hash and written to a temporary name
 * first, so that processes sharing the folder never see half a file. Null where esbuild or the
 * folder is not available.
 */
function bundledEntry(from: string, url: string): URL | null {
  const known = bundles.get(url);
  // NOTE: another process may have pruned it since (below): then it is made again.
  if (known === null || (known !== undefined && existsSync(known))) return known;
  let out: URL | null = null;
  try {
    const require = createRequire(from);
    const esbuildPath = require.resolve("esbuild");
    const esbuild = require(esbuildPath) as typeof import("esbuild");
    const result = esbuild.buildSync({
      entryPoints: [fileURLToPath(url)],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      write: false,
      sourcemap: "inline",
      logLevel: "silent",
    });
    const code = result.outputFiles[0]!.contents;
    const nodeModules = esbuildPath.slice(0, esbuildPath.lastIndexOf("node_modules") + "node_modules".length);
    const dir = join(nodeModules, ".cache", "bnlab-workers");
    mkdirSync(dir, { recursive: true });
    const name = `${entryName(url)}-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`;
    const file = join(dir, name);
    const temp = tempPathFor(file);
    writeFileSync(temp, code);
    renameSync(temp, file);
    out = pathToFileURL(file);
    pruneBundles(dir, entryName(url), name);
  } catch {
    out = null;
  }
  bundles.set(url, out);
  return out;
}

/** A bundle of the cache folder unused for this long is removed. */
const STALE_MS = 24 * 3600 * 1000;

/**
 * Removes the bundles of `entry` other than `keep` last written more than a day ago, so that the
 * folder does not grow with every edit of the sources, and the temporaries of processes that are
 * gone. (A process still running from a removed bundle makes it again before its next worker starts.)
 */
function pruneBundles(dir: string, entry: string, keep: string): void {
  removeDeadTemps(dir);
  const now = Date.now();
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(`${entry}-`) || !f.endsWith(".mjs") || f === keep) continue;
    try {
      if (now - statSync(join(dir, f)).mtimeMs > STALE_MS) unlinkSync(join(dir, f));
    } catch {
      // Gone already, or not ours to remove.
    }
  }
}

/** "experiments-sweep-worker" for …/experiments/sweep-worker.ts (two entries are called check-worker). */
function entryName(url: string): string {
  const path = fileURLToPath(url);
  const dir = dirname(path);
  return `${basename(dir)}-${basename(path).replace(/\.ts$/, "")}`;
}

/** What a pool worker sends: ready for a job, progress on one, a job's result, or its failure. */
export type PoolReply =
  | { type: "ready" }
  | { type: "progress"; index: number; done: number }
  | { type: "done"; index: number }
  | { type: "error"; index: number; message: string };

/** A pool of worker threads on one module, each taking jobs from a shared queue. */
export interface WorkerPoolOptions<J, D extends { type: "done"; index: number }> {
  /** The caller's import.meta.url and the worker module, as for `startModuleWorker`. */
  from: string;
  entry: string;
  /** `workerData.init` of every worker. */
  init: unknown;
  /**
   * The jobs, in the order they are handed out; each is posted to a worker as is. A function is
   * called after the workers are started, so that planning the jobs overlaps their start.
   */
  queue: J[] | (() => J[]);
  /** Worker threads to start (at most one per job, when the queue is given as a list). */
  workers: number;
  /** What the workers run, for a crash's message ("sweep", "study"). */
  kind: string;
  /** Names job `index` in a failure's message ("sweep run 3"). */
  jobName(index: number): string;
  onProgress(index: number, done: number): void;
  /** A job's result; an exception fails the pool. */
  onDone(reply: D): void;
}

/**
 * Runs every job of `queue` on a pool of worker threads and resolves when all are
 * done; rejects on the first failure (a job's error, a worker's crash, or `onDone`
 * throwing). The workers are terminated either way.
 */
export async function runWorkerPool<J, D extends { type: "done"; index: number }>(o: WorkerPoolOptions<J, D>): Promise<void> {
  const lazy = typeof o.queue === "function";
  let queue: J[] = lazy ? [] : [...(o.queue as J[])];
  let toRun = queue.length;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let finished = 0;
      let failed = false;
      const retired = new Set<Worker>();
      const fail = (err: unknown): void => {
        if (!failed) {
          failed = true;
          reject(err instanceof Error ? err : new Error(String(err)));
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
      for (let i = 0; i < (lazy ? o.workers : Math.min(o.workers, toRun)); i++) {
        const w = startModuleWorker(o.from, o.entry, o.init);
        workers.push(w);
        w.on("message", (m: PoolReply | D) => {
          if (m.type === "ready") next(w);
          else if (m.type === "progress") o.onProgress(m.index, m.done);
          else if (m.type === "done") {
            try {
              o.onDone(m as D);
            } catch (err) {
              fail(err);
              return;
            }
            finished++;
            if (finished === toRun) resolve();
            else next(w);
          } else fail(new Error(`${o.jobName(m.index)} failed in a worker: ${m.message}`));
        });
        w.on("error", fail);
        w.on("exit", (code) => {
          if (code !== 0 && !retired.has(w) && finished < toRun) fail(new Error(`a ${o.kind} worker exited with code ${code}`));
        });
      }
      if (lazy) {
        // NOTE: the workers start meanwhile; their "ready" comes in after this returns.
        try {
          queue = (o.queue as () => J[])();
        } catch (err) {
          fail(err);
          return;
        }
        toRun = queue.length;
        if (toRun === 0) resolve();
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
