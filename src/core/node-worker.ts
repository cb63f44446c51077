/**
 * Starts a worker thread on one of bnlab's modules, from source or compiled.
 *
 * Compiled (the installed package): the worker imports the entry's .js directly.
 * From source (tsx, vitest), the worker must run TypeScript. The entry and everything it
 * imports are bundled with esbuild (the transform tsx itself uses) into one ES module in
 * node_modules/.cache/bnlab-workers/, once per process, or not at all while an earlier process's
 * bundle matches the sources (a manifest of their sizes and times), and the worker runs that: registering tsx in
 * each worker started a loader-hooks thread of its own and sent every module through it,
 * ≈ 0.2 s per worker and more on a busy 2-core machine (docs/performance.md, "Worker start
 * from source"). Where esbuild or that folder is not available, the worker registers tsx's
 * loader and imports the .ts entry, as before. Node only.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { basename, dirname, join, resolve } from "node:path";
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

/** Bundles made or found in this process, by entry URL (null: bundling is not possible here). */
const bundles = new Map<string, URL | null>();

/**
 * The entry at `url` bundled with everything it imports (bare package imports stay imports),
 * written under the node_modules that holds esbuild (so that those imports resolve as from the
 * sources), named by its content's hash and written to a temporary name first, so that processes
 * sharing the folder never see half a file. Made once per process, and not at all when an earlier
 * process left one whose sources are unchanged (`bundleEntryFile`). Null where esbuild or the
 * folder is not available.
 */
function bundledEntry(from: string, url: string): URL | null {
  const known = bundles.get(url);
  // NOTE: another process may have pruned it since (below): then it is made again.
  if (known === null || (known !== undefined && existsSync(known))) return known;
  const out = bundleEntryFile(from, url)?.file ?? null;
  bundles.set(url, out);
  return out;
}

/**
 * One source file of a bundle as it was when bundled: path, ctime (ms), size. Any write moves the
 * ctime (it cannot be set back, unlike the mtime), so a file with the same ctime is unchanged.
 */
type InputStat = [path: string, ctimeMs: number, size: number];

/** A file's times may lag the clock by a tick of the kernel's coarse clock: so much earlier counts as "during the build". */
const CLOCK_SLACK_MS = 100;

/** What `bundleEntryFile` keeps beside a bundle, to reuse it in a later process. */
interface BundleManifest {
  format: 2;
  entry: string;
  esbuild: string;
  bundle: string;
  inputs: InputStat[];
}

function statOf(path: string): InputStat | null {
  try {
    const st = statSync(path);
    return [path, st.ctimeMs, st.size];
  } catch {
    return null;
  }
}

/**
 * The bundle of the entry at `url` (see `bundledEntry`), and whether it was built now: reused
 * from the cache folder when the manifest written beside it (entry, esbuild's version, and the
 * size and ctime of every source file in it) still matches; otherwise built with esbuild
 * (≈ 90 ms for a sweep worker) and its manifest written. Not cached in this process (for tests).
 * Null where esbuild or the folder is not available.
 */
export function bundleEntryFile(from: string, url: string): { file: URL; built: boolean } | null {
  try {
    const require = createRequire(from);
    const esbuildPath = require.resolve("esbuild");
    const esbuild = require(esbuildPath) as typeof import("esbuild");
    const nodeModules = esbuildPath.slice(0, esbuildPath.lastIndexOf("node_modules") + "node_modules".length);
    const dir = join(nodeModules, ".cache", "bnlab-workers");
    mkdirSync(dir, { recursive: true });
    const prefix = entryName(url);
    // NOTE: one manifest per entry URL: two source trees sharing a node_modules keep theirs apart.
    const manifestFile = join(dir, `${prefix}-${createHash("sha256").update(url).digest("hex").slice(0, 16)}.inputs.json`);
    const reused = reusableBundle(manifestFile, dir, url, esbuild.version);
    if (reused !== null) return { file: reused, built: false };
    const started = Date.now();
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
      metafile: true,
    });
    const code = result.outputFiles[0]!.contents;
    const name = `${prefix}-${createHash("sha256").update(code).digest("hex").slice(0, 16)}.mjs`;
    const file = join(dir, name);
    const temp = tempPathFor(file);
    writeFileSync(temp, code);
    renameSync(temp, file);
    writeManifest(manifestFile, { format: 2, entry: url, esbuild: esbuild.version, bundle: name, inputs: [] }, Object.keys(result.metafile.inputs), started);
    pruneBundles(dir, prefix, [name, basename(manifestFile)]);
    return { file: pathToFileURL(file), built: true };
  } catch {
    return null;
  }
}

/** The bundle a manifest names, if it is there and every source file in it is as it was; else null. */
function reusableBundle(manifestFile: string, dir: string, url: string, esbuildVersion: string): URL | null {
  let m: BundleManifest;
  try {
    m = JSON.parse(readFileSync(manifestFile, "utf8")) as BundleManifest;
  } catch {
    return null;
  }
  if (m.format !== 2 || m.entry !== url || m.esbuild !== esbuildVersion || typeof m.bundle !== "string" || !Array.isArray(m.inputs) || m.inputs.length === 0) return null;
  const file = join(dir, basename(m.bundle));
  if (!existsSync(file)) return null;
  for (const input of m.inputs) {
    const now = Array.isArray(input) && typeof input[0] === "string" ? statOf(input[0]) : null;
    if (now === null || now[1] !== input[1] || now[2] !== input[2]) return null;
  }
  try {
    // Used now: not stale for the pruning of other processes.
    const t = new Date();
    utimesSync(file, t, t);
    utimesSync(manifestFile, t, t);
  } catch {
    return null;
  }
  return pathToFileURL(file);
}

/**
 * Writes the manifest of a bundle just built from `inputs` (esbuild's metafile paths, relative to
 * the working folder). Not written when a source file cannot be read, or was changed after the build
 * began (the bundle may hold its old text): the next process builds again.
 */
function writeManifest(manifestFile: string, m: BundleManifest, inputs: string[], started: number): void {
  const stats: InputStat[] = [];
  for (const p of inputs) {
    const st = statOf(resolve(p));
    if (st === null || st[1] >= started - CLOCK_SLACK_MS) return;
    stats.push(st);
  }
  try {
    const temp = tempPathFor(manifestFile);
    writeFileSync(temp, JSON.stringify({ ...m, inputs: stats }));
    renameSync(temp, manifestFile);
  } catch {
    // No manifest: the bundle still serves this process; the next one builds again.
  }
}

/** A bundle of the cache folder unused for this long is removed. */
const STALE_MS = 24 * 3600 * 1000;

/**
 * Removes the bundles and manifests of `entry` other than `keep` last written (or reused) more than a
 * day ago, so that the folder does not grow with every edit of the sources, and the temporaries of
 * processes that are gone. (A process still running from a removed bundle makes it again before its
 * next worker starts.)
 */
function pruneBundles(dir: string, entry: string, keep: string[]): void {
  removeDeadTemps(dir);
  const now = Date.now();
  for (const f of readdirSync(dir)) {
    if (!f.startsWith(`${entry}-`) || !(f.endsWith(".mjs") || f.endsWith(".inputs.json")) || keep.includes(f)) continue;
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
   * called after the workers are started, so that planning the jobs overlaps their start; what it
   * returns is taken one job at a time, as workers ask (a generator plans each job then, and the
   * next one is taken ahead while the workers run, when the main thread is otherwise idle).
   */
  queue: J[] | (() => Iterable<J>);
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
  const given = lazy ? null : [...(o.queue as J[])];
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let source: Iterator<J> | null = given === null ? null : given[Symbol.iterator]();
      // A job taken from the source before a worker asked for it (planned while the workers run).
      let ahead: IteratorResult<J> | null = null;
      let exhausted = false;
      let posted = 0;
      let finished = 0;
      let failed = false;
      const retired = new Set<Worker>();
      const fail = (err: unknown): void => {
        if (!failed) {
          failed = true;
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      };
      /** The next job, or undefined when there is none left (or none yet: the source is not made). */
      const take = (): J | undefined => {
        if (exhausted || source === null) return undefined;
        const r = ahead ?? source.next();
        ahead = null;
        if (r.done === true) {
          exhausted = true;
          return undefined;
        }
        return r.value;
      };
      const takeAhead = (): void => {
        setImmediate(() => {
          if (failed || exhausted || source === null || ahead !== null) return;
          try {
            ahead = source.next();
          } catch (err) {
            fail(err);
          }
        });
      };
      const next = (w: Worker): void => {
        let job: J | undefined;
        try {
          job = take();
        } catch (err) {
          fail(err);
          return;
        }
        if (job === undefined) {
          // NOTE: a terminated worker exits with code 1; `retired` tells that exit from a crash.
          retired.add(w);
          void w.terminate();
          if (exhausted && finished === posted) resolve();
          return;
        }
        posted++;
        w.postMessage(job);
        takeAhead();
      };
      const count = given === null ? o.workers : Math.min(o.workers, given.length);
      for (let i = 0; i < count; i++) {
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
            next(w);
          } else fail(new Error(`${o.jobName(m.index)} failed in a worker: ${m.message}`));
        });
        w.on("error", fail);
        w.on("exit", (code) => {
          if (code !== 0 && !retired.has(w) && !(exhausted && finished === posted)) fail(new Error(`a ${o.kind} worker exited with code ${code}`));
        });
      }
      if (given !== null && given.length === 0) resolve();
      if (lazy) {
        // NOTE: the workers start meanwhile; their "ready" comes in after this returns.
        try {
          source = (o.queue as () => Iterable<J>)()[Symbol.iterator]();
        } catch (err) {
          fail(err);
        }
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
}
