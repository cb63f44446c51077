/**
 * `bnlab study` killed with SIGKILL while its grid runs, then `--resume`: the finished
 * jobs (OUT/jobs) are not run again and results.json and the figures end byte-identical
 * to the run that was never stopped (but for the date, the timings and the worker count).
 * Resuming with another option is one line naming what differs, exit 2.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { captureCliOutput } from "./helpers/cli-capture.js";
import { killWhen, repoRoot } from "./helpers/env.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-study-kill-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const io = captureCliOutput();

// 36 jobs of a few hundred milliseconds each: time to kill the run partway.
const args = ["study", "learning-rate", "--quick", "--synthetic"];
const NUM_JOBS = 36;

const cli = ["--import", "tsx", join(repoRoot, "cli/main.ts")];

/** Runs bnlab in a process of its own (figures are drawn once per process, as a user's run draws them). */
function bnlab(argv: string[]): { status: number | null; stderr: string } {
  const r = spawnSync(process.execPath, [...cli, ...argv], { cwd: repoRoot, encoding: "utf8", env: { ...process.env, CI: "1" }, timeout: 110_000 });
  // NOTE: picocolors colours output under CI=1.
  return { status: r.status, stderr: r.stderr.replace(/\x1b\[[0-9;]*m/g, "") };
}

const jobFiles = (dir: string): string[] => (existsSync(join(dir, "jobs")) ? readdirSync(join(dir, "jobs")).filter((f) => /^job-\d+\.json$/.test(f)) : []);

/** results.json without what differs between any two runs: the date, the timings and the worker count. */
function stableResults(dir: string): string {
  const j = JSON.parse(readFileSync(join(dir, "results.json"), "utf8")) as Record<string, unknown>;
  delete j["createdAt"];
  delete j["timings"];
  (j["settings"] as Record<string, unknown>)["jobs"] = null;
  return JSON.stringify(j, null, 2);
}

describe("bnlab study: killed, then --resume", () => {
  const whole = join(tmp, "whole");

  it(
    "killed with SIGKILL after some jobs, --resume runs only the rest; results.json and the figures equal the uninterrupted run's",
    async () => {
      const w = bnlab([...args, "--jobs", "1", "--out", whole]);
      expect(w.status, w.stderr).toBe(0);
      expect(jobFiles(whole)).toHaveLength(NUM_JOBS);

      const killed = join(tmp, "killed");
      expect(await killWhen([...cli, ...args, "--jobs", "1", "--out", killed], () => jobFiles(killed).length >= 3)).toBe("SIGKILL");
      const before = new Map(jobFiles(killed).map((f) => [f, readFileSync(join(killed, "jobs", f), "utf8")]));
      expect(before.size).toBeGreaterThanOrEqual(3);
      expect(before.size).toBeLessThan(NUM_JOBS);
      expect(existsSync(join(killed, "results.json"))).toBe(false);

      // On two workers this time: the result does not depend on the number.
      const r = bnlab([...args, "--jobs", "2", "--out", killed, "--resume"]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toContain(`resuming: ${before.size} of ${NUM_JOBS} jobs already done`);
      // The finished jobs were not run again: their files (with their timings) are untouched.
      for (const [f, text] of before) expect(readFileSync(join(killed, "jobs", f), "utf8")).toBe(text);
      expect(jobFiles(killed)).toHaveLength(NUM_JOBS);
      expect(readdirSync(join(killed, "jobs")).filter((f) => f.includes(".tmp-"))).toEqual([]);
      expect(stableResults(killed)).toBe(stableResults(whole));
      const figures = readdirSync(join(whole, "figures")).sort();
      expect(figures.length).toBeGreaterThan(0);
      expect(readdirSync(join(killed, "figures")).sort()).toEqual(figures);
      for (const f of figures) expect(readFileSync(join(killed, "figures", f)).equals(readFileSync(join(whole, "figures", f))), f).toBe(true);
      console.info(`[study] killed after ${before.size} of ${NUM_JOBS} jobs; the resumed results.json and ${figures.length} figure files equal the whole run's`);
    },
    120_000,
  );

  it("--resume with another option is refused: one line naming what differs, exit 2, no stack trace", async () => {
    expect(await main([...args, "--seed", "7", "--out", whole, "--resume"])).toBe(2);
    const errors = io.stderr.split("\n").filter((l) => /error|invalid/i.test(l));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(new RegExp(`^error: invalid --resume: expected a folder for this study run \\(${join(whole, "jobs")} holds the jobs of another study run, which differs in seed \\(231 there, 7 here\\)`));
    expect(io.stderr).not.toMatch(/\n\s+at /);
    // Without --quick: other options.
    expect(await main(["study", "learning-rate", "--synthetic", "--out", whole, "--resume"])).toBe(2);
    expect(io.stderr).toMatch(/which differs in options\.numTrain \(100 there, 1000 here\)/);
    // The refusals left the folder as it was.
    expect(jobFiles(whole)).toHaveLength(NUM_JOBS);
  });
});
