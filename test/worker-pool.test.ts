/**
 * runWorkerPool (src/core/node-worker.ts): every job of the queue runs once on some worker; a
 * queue given as a function is taken one job at a time as the workers ask (a generator is not
 * drained up front), and a planning error, a job's error or an empty queue end the pool as they should.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { runWorkerPool } from "../src/core/node-worker.js";
import { repoRoot } from "./helpers/env.js";

mkdirSync(join(repoRoot, "node_modules", ".cache"), { recursive: true });
const scratch = mkdtempSync(join(repoRoot, "node_modules", ".cache", "bnlab-test-pool-"));
const cache = join(repoRoot, "node_modules", ".cache", "bnlab-workers");
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  for (const f of readdirSync(cache)) if (f.startsWith(`${basename(scratch)}-`)) rmSync(join(cache, f), { force: true });
});
writeFileSync(
  join(scratch, "pool-entry.ts"),
  [
    'import { parentPort } from "node:worker_threads";',
    "const port = parentPort!;",
    "port.on(\"message\", (job: { index: number; x: number }) => {",
    '  if (job.x < 0) port.postMessage({ type: "error", index: job.index, message: "a negative x" });',
    '  else port.postMessage({ type: "done", index: job.index, y: 2 * job.x });',
    "});",
    'port.postMessage({ type: "ready" });',
  ].join("\n"),
);
const from = pathToFileURL(join(scratch, "caller.ts")).href;

interface Job {
  index: number;
  x: number;
}
type Done = { type: "done"; index: number; y: number };

function pool(queue: Job[] | (() => Iterable<Job>), onDone: (m: Done) => void = () => {}): Promise<void> {
  return runWorkerPool<Job, Done>({ from, entry: "./pool-entry", init: null, queue, workers: 2, kind: "test", jobName: (i) => `job ${i}`, onProgress() {}, onDone });
}

describe("runWorkerPool", () => {
  it("runs every job once, and takes a generator's jobs as the workers ask for them", async () => {
    const done: number[] = [];
    let planned = 0;
    const plannedAtFirstDone: number[] = [];
    function* jobs(): Generator<Job> {
      for (let index = 0; index < 12; index++) {
        planned++;
        yield { index, x: index };
      }
    }
    await pool(jobs, (m) => {
      if (done.length === 0) plannedAtFirstDone.push(planned);
      expect(m.y).toBe(2 * m.index);
      done.push(m.index);
    });
    expect([...done].sort((a, b) => a - b)).toEqual([...Array(12).keys()]);
    // Two workers, one job taken ahead: at most 3 planned when the first one is done, not all 12.
    expect(plannedAtFirstDone[0]).toBeLessThanOrEqual(3);
    const listed: number[] = [];
    await pool(
      [...Array(5).keys()].map((index) => ({ index, x: index })),
      (m) => listed.push(m.index),
    );
    expect(listed.sort()).toEqual([0, 1, 2, 3, 4]);
  });

  it("fails with a planning error, with a job's error, and ends at once on an empty queue", async () => {
    function* broken(): Generator<Job> {
      yield { index: 0, x: 1 };
      yield { index: 1, x: 1 };
      throw new Error("planning failed on purpose");
    }
    await expect(pool(broken)).rejects.toThrow(/planning failed on purpose/);
    await expect(pool([{ index: 0, x: 1 }, { index: 1, x: -1 }])).rejects.toThrow(/job 1 failed in a worker: a negative x/);
    await expect(pool(() => [])).resolves.toBeUndefined();
    await expect(pool([])).resolves.toBeUndefined();
  });
});
