/**
 * The Implement tab's check worker: compiles the learner's code (sucrase, in this
 * worker) and runs the checks it is sent one at a time, announcing each first, so
 * the page can end this worker when a check runs past its time limit.
 */
import { EXERCISE_CHECKS, LearnerModuleError, runCheck } from "../../src/index.js";
import type { CheckResult } from "../../src/index.js";
import { loadInPage } from "./learner.js";

export type ToCheckWorker = { source: string; filename: string; ids: string[] };
export type FromCheckWorker =
  | { type: "ready" }
  | { type: "start"; id: string }
  | { type: "result"; result: CheckResult }
  | { type: "done" }
  | { type: "load-error"; message: string; line: number | null; column: number | null };

interface WorkerScope {
  postMessage(message: FromCheckWorker): void;
  onmessage: ((e: MessageEvent<ToCheckWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

scope.onmessage = (e) => {
  const { source, filename, ids } = e.data;
  let layers;
  scope.postMessage({ type: "ready" });
  try {
    layers = loadInPage(source, filename);
  } catch (err) {
    const m = err instanceof LearnerModuleError ? err : null;
    scope.postMessage({ type: "load-error", message: err instanceof Error ? err.message : String(err), line: m?.line ?? null, column: m?.column ?? null });
    return;
  }
  for (const id of ids) {
    const check = EXERCISE_CHECKS.find((c) => c.id === id)!;
    scope.postMessage({ type: "start", id });
    scope.postMessage({ type: "result", result: runCheck(check, layers, filename) });
  }
  scope.postMessage({ type: "done" });
};
