/**
 * `bnlab reproduce` killed with SIGKILL during cell 7's sweep, then `--resume`: the
 * finished sweep jobs (OUT.sweep-jobs/) are not run again and results.json and the
 * figures end as the uninterrupted run's, byte for byte but for what is measured in
 * seconds (the date, the timings, cell 4's timing and each run's `seconds`).
 * Resuming with another option is one line naming what differs, exit 2.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { killWhen, repoRoot } from "./helpers/env.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-reproduce-resume-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = ["--import", "tsx", join(repoRoot, "cli/main.ts")];
const args = ["reproduce", "--quick", "--synthetic", "--jobs", "1"];
// --quick: 4 scales × (batch norm, baseline).
const NUM_JOBS = 8;

function bnlab(argv: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [...cli, ...argv], { cwd: repoRoot, encoding: "utf8", env: { ...process.env, CI: "1" }, timeout: 110_000 });
  // NOTE: picocolors colours output under CI=1.
  return { status: r.status, stderr: r.stderr.replace(/\x1b\[[0-9;]*m/g, "") };
}

const jobFiles = (out: string): string[] => (existsSync(`${out}.sweep-jobs`) ? readdirSync(`${out}.sweep-jobs`).filter((f) => /^job-\d+\.json$/.test(f)) : []);

/** Drops every member named `seconds` (a run's wall time). */
function dropSeconds(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(dropSeconds);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).filter(([k]) => k !== "seconds").map(([k, x]) => [k, dropSeconds(x)]));
  return v;
}

/** results.json without what is measured in seconds. */
function stableResults(out: string): string {
  const j = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { createdAt?: unknown; timings?: unknown; cells: { backwardCompare: { timing?: unknown } } };
  delete j.createdAt;
  delete j.timings;
  delete j.cells.backwardCompare.timing;
  return JSON.stringify(dropSeconds(j), null, 2);
}

describe("bnlab reproduce: killed in cell 7, then --resume", () => {
  const whole = join(tmp, "whole");

  it(
    "killed with SIGKILL after some sweep jobs, --resume runs only the rest; results.json and the sweep's figure equal the uninterrupted run's",
    async () => {
      const w = bnlab([...args, "--out", whole]);
      expect(w.status, w.stderr).toBe(0);
      expect(jobFiles(whole)).toHaveLength(NUM_JOBS);

      const killed = join(tmp, "killed");
      expect(await killWhen([...cli, ...args, "--out", killed], () => jobFiles(killed).length >= 1)).toBe("SIGKILL");
      const before = new Map(jobFiles(killed).map((f) => [f, readFileSync(join(`${killed}.sweep-jobs`, f), "utf8")]));
      expect(before.size).toBeGreaterThanOrEqual(1);
      expect(before.size).toBeLessThan(NUM_JOBS);
      expect(existsSync(join(killed, "results.json"))).toBe(false);

      const r = bnlab([...args, "--out", killed, "--resume"]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`resuming: ${before.size} of cell 7's ${NUM_JOBS} jobs already done`);
      // The finished jobs were not run again: their files (with their timings) are untouched.
      for (const [f, text] of before) expect(readFileSync(join(`${killed}.sweep-jobs`, f), "utf8")).toBe(text);
      expect(jobFiles(killed)).toHaveLength(NUM_JOBS);
      expect(stableResults(killed)).toBe(stableResults(whole));
      for (const f of ["weight-scale-sweep.svg", "weight-scale-sweep.png", "deep-net.svg"]) {
        expect(readFileSync(join(killed, "figures", f)).equals(readFileSync(join(whole, "figures", f))), f).toBe(true);
      }
      console.info(`[reproduce] killed after ${before.size} of ${NUM_JOBS} sweep jobs; the resumed results.json equals the whole run's but for timings and seconds`);
    },
    120_000,
  );

  it("--resume with another option is refused: one line naming what differs, exit 2, no stack trace", () => {
    const r = bnlab([...args, "--seed", "7", "--out", whole, "--resume"]);
    expect(r.status).toBe(2);
    const errors = r.stderr.split("\n").filter((l) => /error|invalid/i.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain(`error: invalid --resume: expected a folder for this sweep (${whole}.sweep-jobs holds the jobs of another sweep, which differs in seed (231 there, 7 here)`);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(jobFiles(whole)).toHaveLength(NUM_JOBS);
  });
});
