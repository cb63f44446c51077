/**
 * The exercise's checks and how one runs: in this thread, against a learner's
 * functions. The sandboxes (node.ts, the page's worker) call `runCheck` one
 * check at a time inside a worker so that a hang costs only that check.
 */
import { BACKWARD_CHECKS } from "./checks-backward.js";
import { FORWARD_CHECKS } from "./checks-forward.js";
import { OTHER_CHECKS } from "./checks-other.js";
import type { ExerciseCheck } from "./check-lib.js";
import { CheckFailure, LearnerContext, LearnerThrew, NotImplementedSignal } from "./context.js";
import type { CheckResult, LearnerLayers } from "./types.js";
import { isNotImplemented } from "./types.js";

/** Every check, in the order they run and print. */
export const EXERCISE_CHECKS: readonly ExerciseCheck[] = [
  FORWARD_CHECKS[0]!, // cell 1
  FORWARD_CHECKS[1]!, // cell 2
  BACKWARD_CHECKS[0]!, // cell 3
  BACKWARD_CHECKS[1]!, // cell 3, closed form
  BACKWARD_CHECKS[4]!, // cell 4
  BACKWARD_CHECKS[5]!, // cell 5
  ...FORWARD_CHECKS.slice(2),
  BACKWARD_CHECKS[2]!,
  BACKWARD_CHECKS[3]!,
  BACKWARD_CHECKS[6]!,
  ...OTHER_CHECKS,
];

/** The ids of the checks `only` selects: a check id, an id prefix ("cell"), or a function name. */
export function selectChecks(only: string | undefined): ExerciseCheck[] {
  if (only === undefined) return [...EXERCISE_CHECKS];
  return EXERCISE_CHECKS.filter((c) => c.id === only || c.id.startsWith(only) || (c.functions as readonly string[]).includes(only));
}

/**
 * Keeps the frames of a stack trace that lie in `file` (the learner's module),
 * so that an error shows the learner's own code, not bnlab's internals.
 */
export function learnerStack(err: unknown, file: string): string {
  if (!(err instanceof Error)) return String(err);
  const lines = (err.stack ?? `${err.name}: ${err.message}`).split("\n");
  const head = lines.filter((l) => !/^\s+at /.test(l));
  const mine = lines.filter((l) => /^\s+at /.test(l) && l.includes(file));
  const frames = mine.length > 0 ? mine : ["    (no frame in your file: the error was raised inside bnlab, called with your values)"];
  return [...head, ...frames].join("\n");
}

/** Runs one check in this thread. `file` names the learner's module in stack traces. */
export function runCheck(check: ExerciseCheck, layers: LearnerLayers, file: string): CheckResult {
  const base = { id: check.id, title: check.title, functions: [...check.functions], measure: check.measure };
  const t0 = performance.now();
  const seconds = (): number => (performance.now() - t0) / 1000;
  const missing = check.functions.filter((f) => typeof layers[f] !== "function");
  if (missing.length > 0) {
    return { ...base, status: "not implemented", error: null, threshold: null, notes: [], diagnosis: null, message: `${missing.join(", ")} not found in your module`, seconds: 0 };
  }
  try {
    const r = check.run(new LearnerContext(layers));
    const pass = r.diagnosis === null && r.error <= r.threshold;
    return { ...base, status: pass ? "pass" : "fail", error: r.error, threshold: r.threshold, notes: r.notes, diagnosis: r.diagnosis, message: null, seconds: seconds() };
  } catch (err) {
    if (err instanceof NotImplementedSignal || isNotImplemented(err)) {
      const fn = err instanceof NotImplementedSignal ? err.fn : "a function";
      return { ...base, status: "not implemented", error: null, threshold: null, notes: [], diagnosis: null, message: `${fn} is not implemented yet`, seconds: seconds() };
    }
    if (err instanceof CheckFailure) {
      return { ...base, status: "fail", error: err.error, threshold: null, notes: [], diagnosis: err.diagnosis, message: null, seconds: seconds() };
    }
    if (err instanceof LearnerThrew) {
      return { ...base, status: "error", error: null, threshold: null, notes: [], diagnosis: null, message: `${err.fn} threw ${learnerStack(err.original, file)}`, seconds: seconds() };
    }
    // NOTE: an error outside a guarded call (bnlab code given the learner's values, e.g. a net
    // layer fed a wrongly shaped output) is still shown, with the learner's frames if any.
    return { ...base, status: "error", error: null, threshold: null, notes: [], diagnosis: null, message: learnerStack(err, file), seconds: seconds() };
  }
}

/** Runs checks in this thread, one after another (no time limit: see the sandboxes). */
export function runChecksInline(layers: LearnerLayers, file: string, only?: string): CheckResult[] {
  return selectChecks(only).map((c) => runCheck(c, layers, file));
}

/** The result of a check stopped at its time limit (`limitMs`), in Node and in the page alike. */
export function timeoutResult(check: ExerciseCheck, limitMs: number): CheckResult {
  return {
    id: check.id,
    title: check.title,
    functions: [...check.functions],
    status: "timeout",
    error: null,
    threshold: null,
    measure: check.measure,
    notes: [],
    diagnosis: null,
    message: `stopped after ${(limitMs / 1000).toFixed(1)} s (the time limit of one check): an endless loop or a hang in ${check.functions.join(" or ")}?`,
    seconds: limitMs / 1000,
  };
}

/** Whether a set of results passes: everything implemented passes (and something was implemented). */
export function allPassed(results: readonly CheckResult[]): boolean {
  const implemented = results.filter((r) => r.status !== "not implemented");
  return implemented.length > 0 && implemented.every((r) => r.status === "pass");
}
