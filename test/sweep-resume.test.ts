/**
 * Sweeps that survive a kill and split into shards: each finished job is a file in
 * OUT/jobs; `--resume` after SIGKILL skips the finished jobs and ends with the result of
 * the run that was never stopped; shards into one folder merge into that same result;
 * a missing job is named; shards come from Slurm's and Kubernetes' variables.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { parseShard } from "../src/node/sweep-store.js";
import { captureCliOutput } from "./helpers/cli-capture.js";
import { killWhen, repoRoot } from "./helpers/env.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-sweep-resume-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const io = captureCliOutput();

const flags = ["--synthetic", "--num-train", "100", "--num-val", "50", "--epochs", "3", "--batch-size", "20", "--hidden", "12,12", "--num-scales", "4"];

/** sweep.json without the per-run timings (the only field that differs). */
function sweepJson(dir: string): unknown {
  const j = JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8")) as { sweep: { points: Record<string, unknown>[] } };
  for (const p of j.sweep.points) delete p["seconds"];
  return j;
}

const jobFiles = (dir: string): string[] => (existsSync(join(dir, "jobs")) ? readdirSync(join(dir, "jobs")).filter((f) => /^job-\d+\.json$/.test(f)) : []);

describe("bnlab sweep: killed, resumed, sharded, merged", () => {
  const whole = join(tmp, "whole");

  it(
    "killed with SIGKILL after some jobs, --resume runs only the rest; the result equals the uninterrupted run's",
    async () => {
      expect(await main(["sweep", ...flags, "--jobs", "1", "--out", whole])).toBe(0);
      expect(jobFiles(whole)).toHaveLength(8);

      const killed = join(tmp, "killed");
      expect(await killWhen(["--import", "tsx", join(repoRoot, "cli/main.ts"), "sweep", ...flags, "--jobs", "1", "--out", killed], () => jobFiles(killed).length >= 2)).toBe("SIGKILL");
      const before = new Map(jobFiles(killed).map((f) => [f, readFileSync(join(killed, "jobs", f), "utf8")]));
      expect(before.size).toBeGreaterThanOrEqual(2);
      expect(before.size).toBeLessThan(8);
      expect(existsSync(join(killed, "sweep.json"))).toBe(false);

      expect(await main(["sweep", ...flags, "--jobs", "1", "--out", killed, "--resume"])).toBe(0);
      expect(io.stderr).toMatch(new RegExp(`${before.size} already done`));
      // The finished jobs were not run again: their files (with their timings) are untouched.
      for (const [f, text] of before) expect(readFileSync(join(killed, "jobs", f), "utf8")).toBe(text);
      expect(sweepJson(killed)).toEqual(sweepJson(whole));
      console.info(`[sweep] killed after ${before.size} of 8 jobs; the resumed sweep.json equals the whole run's but for points[].seconds`);
    },
    120_000,
  );

  it(
    "four shards into one folder merge into the single-machine result (figure byte-identical)",
    async () => {
      const shared = join(tmp, "shards");
      for (const k of [2, 0, 3]) expect(await main(["sweep", ...flags, "--jobs", "1", "--out", shared, "--shard", `${k}/4`])).toBe(0);
      expect(await main(["sweep", "merge", shared])).toBe(1);
      expect(io.stderr).toMatch(/2 of 8 sweep jobs missing: 1, 5; shard\(s\) 1\/4 did not finish/);
      // Shard 1 from a Kubernetes Indexed Job's variables.
      process.env["JOB_COMPLETION_INDEX"] = "1";
      try {
        expect(await main(["sweep", ...flags, "--jobs", "1", "--out", shared, "--shard", "env", "--shard-count", "4"])).toBe(0);
      } finally {
        delete process.env["JOB_COMPLETION_INDEX"];
      }
      expect(await main(["sweep", "merge", shared])).toBe(0);
      expect(sweepJson(shared)).toEqual(sweepJson(whole));
      expect(readFileSync(join(shared, "figures", "weight-scale-sweep.svg"), "utf8")).toBe(readFileSync(join(whole, "figures", "weight-scale-sweep.svg"), "utf8"));
    },
    120_000,
  );

  it("a shard of another sweep in the same folder is refused", async () => {
    const shared = join(tmp, "shards");
    expect(await main(["sweep", ...flags.map((f) => (f === "12,12" ? "12,13" : f)), "--out", shared, "--shard", "0/4"])).toBe(2);
    expect(io.stderr).toMatch(/holds the jobs of another sweep/);
  });

  it("--emit k8s prints an Indexed Job running the same sweep", async () => {
    expect(await main(["sweep", ...flags, "--out", join(tmp, "k"), "--emit", "k8s", "--tasks", "3"])).toBe(0);
    expect(io.stdout).toMatch(/completionMode: Indexed/);
    expect(io.stdout).toMatch(/completions: 3/);
    expect(io.stdout).toMatch(/"--hidden", "12,12".*"--shard", "env", "--shard-count", "3"/);
  });
});

describe("parseShard", () => {
  it("K/N, Slurm arrays at any offset and step, Kubernetes indices", () => {
    expect(parseShard("2/5")).toEqual({ index: 2, count: 5 });
    expect(parseShard("env", { SLURM_ARRAY_TASK_ID: "7", SLURM_ARRAY_TASK_MIN: "5", SLURM_ARRAY_TASK_COUNT: "4" })).toEqual({ index: 2, count: 4 });
    expect(parseShard("env", { SLURM_ARRAY_TASK_ID: "9", SLURM_ARRAY_TASK_MIN: "3", SLURM_ARRAY_TASK_STEP: "3", SLURM_ARRAY_TASK_COUNT: "4" })).toEqual({ index: 2, count: 4 });
    expect(parseShard("env", { JOB_COMPLETION_INDEX: "0", BNLAB_SHARD_COUNT: "6" })).toEqual({ index: 0, count: 6 });
    expect(parseShard("env", { JOB_COMPLETION_INDEX: "3" }, 4)).toEqual({ index: 3, count: 4 });
    expect(() => parseShard("4/4")).toThrow(/invalid --shard: expected K\/N with 0 <= K < N, got "4\/4"/);
    expect(() => parseShard("1-4")).toThrow(/invalid --shard/);
    expect(() => parseShard("env", {})).toThrow(/SLURM_ARRAY_TASK_ID .* or JOB_COMPLETION_INDEX/);
    expect(() => parseShard("env", { JOB_COMPLETION_INDEX: "1" })).toThrow(/BNLAB_SHARD_COUNT/);
  });
});
