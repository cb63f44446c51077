/**
 * The text `bnlab exercise check` prints: one line per check (status, error and
 * threshold), the cell's printout indented, and for a failure its diagnosis.
 */
import { fmtErr } from "./context.js";
import type { CheckResult } from "./types.js";

const MARK: Record<CheckResult["status"], string> = {
  pass: "PASS",
  fail: "FAIL",
  error: "ERROR",
  timeout: "TIMEOUT",
  "not implemented": "TODO",
};

/** Colours for the status words (identity functions for plain text). */
export interface Paint {
  pass(s: string): string;
  fail(s: string): string;
  todo(s: string): string;
  dim(s: string): string;
}

const PLAIN: Paint = { pass: (s) => s, fail: (s) => s, todo: (s) => s, dim: (s) => s };

/** The lines for one result. */
export function formatResult(r: CheckResult, paint: Paint = PLAIN): string[] {
  const mark = MARK[r.status].padEnd(7);
  const colour = r.status === "pass" ? paint.pass : r.status === "not implemented" ? paint.todo : paint.fail;
  const figures = r.error !== null ? `  error ${fmtErr(r.error)}${r.threshold !== null ? ` (threshold ${fmtErr(r.threshold)})` : ""}` : "";
  const lines = [`${colour(mark)} ${r.id.padEnd(22)} ${r.title}${figures}`];
  const pad = "        ";
  if (r.status === "not implemented") {
    if (r.message) lines.push(paint.dim(`${pad}${r.message}`));
    return lines;
  }
  if (r.error !== null) lines.push(paint.dim(`${pad}measured: ${r.measure}`));
  for (const n of r.notes) lines.push(paint.dim(`${pad}${n}`));
  if (r.diagnosis) {
    const d = r.diagnosis;
    lines.push(`${pad}wrong: ${d.wrong.join(", ")}`);
    lines.push(`${pad}${d.detail}`);
    if (d.cause) lines.push(`${pad}likely cause: ${d.cause}`);
  }
  if (r.message) for (const l of r.message.split("\n")) lines.push(`${pad}${l}`);
  return lines;
}

/** A one-line summary: counts by status. */
export function formatSummary(results: readonly CheckResult[]): string {
  const count = (s: CheckResult["status"]): number => results.filter((r) => r.status === s).length;
  const parts = [`${count("pass")} passed`, `${count("fail")} failed`];
  if (count("error") > 0) parts.push(`${count("error")} threw`);
  if (count("timeout") > 0) parts.push(`${count("timeout")} timed out`);
  parts.push(`${count("not implemented")} not implemented`);
  return `${parts.join(", ")} (of ${results.length} checks)`;
}
