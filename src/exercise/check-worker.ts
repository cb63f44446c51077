/**
 * The worker thread `bnlab exercise check` runs a learner's code in: loads the
 * module once, then runs the checks it is given one by one, announcing each
 * before it starts (so the parent can time it and end this thread when it hangs).
 */
import { runInThisContext } from "node:vm";
import { parentPort, workerData } from "node:worker_threads";
import * as bnlab from "../index.js";
import { EXERCISE_CHECKS, runCheck } from "./engine.js";
import { loadLearnerModule, LearnerModuleError } from "./module.js";

/** What the parent sends: the module and the checks still to run. */
export interface CheckWorkerInit {
  file: string;
  source: string;
  ids: string[];
}

const init = (workerData as { init: CheckWorkerInit }).init;
const port = parentPort!;

type Evaluated = (require: (id: string) => unknown, exports: object, module: { exports: object }) => void;

try {
  // NOTE: bnlab itself is loaded by now; from here on the learner's code runs (the parent times it).
  port.postMessage({ type: "ready" });
  const layers = loadLearnerModule(init.source, init.file, { bnlab }, (code, filename) => runInThisContext(code, { filename }) as Evaluated);
  for (const id of init.ids) {
    const check = EXERCISE_CHECKS.find((c) => c.id === id)!;
    port.postMessage({ type: "start", id });
    port.postMessage({ type: "result", result: runCheck(check, layers, init.file) });
  }
  port.postMessage({ type: "done" });
} catch (err) {
  const message = err instanceof LearnerModuleError ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  port.postMessage({ type: "load-error", message });
}
