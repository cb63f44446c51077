/**
 * The exercise in Node: find and load a learner's module, and run the checks in
 * a worker thread with a time limit per check. A check that runs past its limit
 * ends the thread; it is reported as timed out and the remaining checks run in a
 * fresh thread. Node only (worker_threads, fs, vm).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { runInThisContext } from "node:vm";
import { OptionError } from "../core/errors.js";
import { startModuleWorker } from "../core/node-worker.js";
import { selectChecks, timeoutResult } from "./engine.js";
import { loadLearnerModule } from "./module.js";
import type { CheckResult, LearnerLayers } from "./types.js";

/** File names `exercise check DIR` looks for, in order. */
export const LEARNER_FILES = ["layers.ts", "layers.js", "layers.mts", "layers.mjs"];

/** Default time limit of one check, in milliseconds. */
export const DEFAULT_CHECK_TIMEOUT_MS = 30_000;

/** How long a check thread may take to load bnlab itself (from source under tsx, on a busy machine: seconds). */
const THREAD_START_MS = 180_000;

/** The learner's module: FILE itself, or DIR/layers.ts (then .js …). Throws OptionError naming `option`. */
export function resolveLearnerFile(target: string, option = "DIR | FILE"): string {
  const abs = resolve(target);
  if (!existsSync(abs)) throw new OptionError(option, "an exercise folder (bnlab exercise init) or a layers.ts / layers.js file", target);
  if (statSync(abs).isFile()) return abs;
  for (const name of LEARNER_FILES) if (existsSync(join(abs, name))) return join(abs, name);
  throw new OptionError(option, `a folder holding ${LEARNER_FILES.slice(0, 2).join(" or ")} (make one with bnlab exercise init)`, target);
}

type Evaluated = (require: (id: string) => unknown, exports: object, module: { exports: object }) => void;

/** Loads the learner's module in this thread (for training with it: `exercise run`). */
export function loadLearnerFile(file: string, bnlab: Record<string, unknown>): LearnerLayers {
  return loadLearnerModule(readFileSync(file, "utf8"), file, { bnlab }, (code, filename) => runInThisContext(code, { filename }) as Evaluated);
}

/** Options of `checkLearnerFile`. */
export interface CheckFileOptions {
  /** A check id, an id prefix or a function name (see selectChecks). */
  only?: string;
  timeoutMs?: number;
  /** Each result as it arrives. */
  onResult?: (r: CheckResult) => void;
}

/** The outcome of checking one module. */
export interface CheckFileResult {
  file: string;
  /** Set when the module could not be loaded (syntax error, bad import, top-level throw). */
  loadError: string | null;
  results: CheckResult[];
}

type Reply = { type: "ready" } | { type: "start"; id: string } | { type: "result"; result: CheckResult } | { type: "done" } | { type: "load-error"; message: string };

/** Runs the selected checks on `file` in worker threads (see the module comment). */
export async function checkLearnerFile(file: string, options: CheckFileOptions = {}): Promise<CheckFileResult> {
  const checks = selectChecks(options.only);
  if (checks.length === 0) throw new OptionError("--only", "a check id (cell1 … cell5, forward-reference, …), a prefix of one, or a function name", options.only);
  const limit = options.timeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const source = readFileSync(file, "utf8");
  const results: CheckResult[] = [];
  const record = (r: CheckResult): void => {
    results.push(r);
    options.onResult?.(r);
  };
  let pending = checks.map((c) => c.id);
  while (pending.length > 0) {
    const outcome = await new Promise<{ loadError: string | null; timedOut: string | null }>((done, fail) => {
      const worker = startModuleWorker(import.meta.url, "./check-worker", { file, source, ids: pending });
      let finished = false;
      let timer: ReturnType<typeof setTimeout> | null = setTimeout(
        () => finish({ loadError: `the check thread did not start within ${THREAD_START_MS / 1000} s`, timedOut: null }),
        THREAD_START_MS,
      );
      const finish = (v: { loadError: string | null; timedOut: string | null }): void => {
        if (finished) return;
        finished = true;
        if (timer) clearTimeout(timer);
        void worker.terminate();
        done(v);
      };
      worker.on("message", (m: Reply) => {
        if (m.type === "ready") {
          // Loading the learner's module has the same limit as one check (its top-level code could hang too).
          if (timer) clearTimeout(timer);
          timer = setTimeout(() => finish({ loadError: `loading ${file} took longer than ${(limit / 1000).toFixed(1)} s (an endless loop in its top-level code?)`, timedOut: null }), limit);
        } else if (m.type === "start") {
          if (timer) clearTimeout(timer);
          // NOTE: terminate() stops the thread even inside an endless loop of the learner's.
          timer = setTimeout(() => finish({ loadError: null, timedOut: m.id }), limit);
        } else if (m.type === "result") {
          if (timer) clearTimeout(timer);
          timer = null;
          pending = pending.filter((id) => id !== m.result.id);
          record(m.result);
        } else if (m.type === "done") finish({ loadError: null, timedOut: null });
        else finish({ loadError: m.message, timedOut: null });
      });
      worker.on("error", (err) => (finished ? undefined : fail(err)));
      worker.on("exit", (code) => {
        if (!finished) finish({ loadError: `the check thread stopped unexpectedly (exit code ${code}): did your module call process.exit?`, timedOut: null });
      });
    });
    if (outcome.loadError !== null) return { file, loadError: outcome.loadError, results };
    if (outcome.timedOut === null) break;
    const id = outcome.timedOut;
    const check = checks.find((c) => c.id === id)!;
    record(timeoutResult(check, limit));
    pending = pending.filter((p) => p !== id);
  }
  // Keep the order of the checks, whatever order they finished in.
  const order = new Map(checks.map((c, i) => [c.id, i]));
  results.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
  return { file, loadError: null, results };
}
