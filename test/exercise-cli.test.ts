/**
 * `bnlab exercise` as a learner uses it: init writes a starter that checks as
 * "not implemented" (exit 1); bnlab's own layers as the module pass (exit 0);
 * buggy modules fail with their diagnosis; an endless loop in batchnormBackward
 * ends that check at its time limit while the others still run; a filled-in
 * starter passes `exercise check` and trains with `exercise run --quick`.
 * The learner's code runs in worker threads (src/exercise/node.ts).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { fromResultsJson } from "../src/report/schema.js";
import { captureCliOutput } from "./helpers/cli-capture.js";
import { samplePath } from "./helpers/env.js";
import { BUGS, INFINITE_LOOP, REFERENCE_MODULE, SOLUTION, withEdits } from "./helpers/exercise-bugs.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-exercise-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const io = captureCliOutput();
const sample = samplePath();

function moduleFile(name: string, source: string): string {
  const file = join(tmp, name);
  writeFileSync(file, source);
  return file;
}

describe("bnlab exercise", () => {
  it("init writes the starter; check on it says not implemented everywhere and exits 1; init again refuses without --force", async () => {
    const dir = join(tmp, "starter");
    expect(await main(["exercise", "init", dir])).toBe(0);
    for (const f of ["layers.ts", "README.md", "package.json"]) expect(existsSync(join(dir, f)), f).toBe(true);
    const pkg = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { dependencies: Record<string, string> };
    expect(Object.keys(pkg.dependencies)).toContain("bnlab");
    expect(readFileSync(join(dir, "layers.ts"), "utf8")).toMatch(/@param x input \(N, D\)/);
    expect(await main(["exercise", "check", dir, "--json"])).toBe(1);
    const json = JSON.parse(io.stdout.slice(io.stdout.indexOf("{"))) as { ok: boolean; results: { status: string }[] };
    expect(json.ok).toBe(false);
    expect(json.results.length).toBe(17);
    expect(json.results.every((r) => r.status === "not implemented")).toBe(true);
    expect(await main(["exercise", "init", dir])).toBe(2);
    expect(io.stderr).toMatch(/--force/);
    expect(await main(["exercise", "init", dir, "--js", "--force"])).toBe(0);
    expect(readFileSync(join(dir, "layers.js"), "utf8")).toMatch(/export function batchnormForward\(x, gamma, beta, bnParam\) \{/);
  });

  it("bnlab's own layers wrapped as a learner's module: every check passes, exit 0", async () => {
    const file = moduleFile("reference.js", REFERENCE_MODULE);
    expect(await main(["exercise", "check", file])).toBe(0);
    expect(io.stdout).toMatch(/17 passed, 0 failed, 0 not implemented \(of 17 checks\)/);
    expect(io.stdout).toMatch(/PASS\s+cell5/);
  });

  it("buggy modules fail the right check with the diagnosis (mean branch; momentum)", async () => {
    const meanBranch = moduleFile("mean-branch.js", withEdits(BUGS["mean branch missing from the staged backward"]!.edits));
    expect(await main(["exercise", "check", meanBranch, "--only", "cell3"])).toBe(1);
    expect(io.stdout).toMatch(/FAIL\s+cell3 /);
    expect(io.stdout).toMatch(/PASS\s+cell3-alt/);
    expect(io.stdout).toMatch(/likely cause: the branch through the mean is missing from the staged backward/);
    const momentum = moduleFile("momentum.js", withEdits(BUGS["momentum convention reversed"]!.edits));
    expect(await main(["exercise", "check", momentum, "--only", "cell2"])).toBe(1);
    expect(io.stdout).toMatch(/wrong: out, running mean, running var/);
    expect(io.stdout).toMatch(/likely cause: the momentum convention is reversed/);
  });

  it("an endless loop in batchnormBackward ends that check at its time limit; the other checks still run", async () => {
    const file = moduleFile("loop.js", INFINITE_LOOP);
    const t0 = performance.now();
    expect(await main(["exercise", "check", file, "--only", "cell3", "--timeout", "3000"])).toBe(1);
    const seconds = (performance.now() - t0) / 1000;
    expect(io.stdout).toMatch(/TIMEOUT\s+cell3 .*\n\s+stopped after 3\.0 s \(the time limit of one check\)/);
    // cell3-alt runs after the hang, in a fresh thread, and passes.
    expect(io.stdout).toMatch(/PASS\s+cell3-alt/);
    expect(seconds).toBeLessThan(60);
    // An endless loop in the module's top-level code has the same limit.
    const top = moduleFile("top-loop.js", `while (true) {}\n${SOLUTION}`);
    expect(await main(["exercise", "check", top, "--only", "cell1", "--timeout", "2000"])).toBe(1);
    expect(io.stderr).toMatch(/could not load your module: loading .*top-loop\.js took longer than 2\.0 s/);
  });

  it("usage errors exit 2: a missing folder, an unknown --only, a bad --dtype", async () => {
    expect(await main(["exercise", "check", join(tmp, "missing")])).toBe(2);
    expect(io.stderr).toMatch(/invalid DIR \| FILE: expected an exercise folder/);
    const file = moduleFile("ref-only.js", REFERENCE_MODULE);
    expect(await main(["exercise", "check", file, "--only", "cell9"])).toBe(2);
    expect(io.stderr).toMatch(/invalid --only/);
    for (const cmd of [["reproduce"], ["train"], ["sweep"], ["exercise", "run", file]]) {
      expect(await main([...cmd, "--dtype", "float16", "--synthetic"]), cmd.join(" ")).toBe(2);
    }
    expect(io.stderr).toMatch(/invalid --dtype: expected float32 or float64, got "float16"/);
  });

  it.skipIf(sample === null)("a learner's folder: init, fill in layers.ts, check (exit 0), run --quick (report titled as the learner's)", async () => {
    const dir = join(tmp, "learner");
    expect(await main(["exercise", "init", dir])).toBe(0);
    writeFileSync(join(dir, "layers.ts"), `// my solution\n${SOLUTION}`);
    expect(await main(["exercise", "check", dir])).toBe(0);
    expect(io.stdout).toMatch(/17 passed/);
    const out = join(dir, "report");
    expect(await main(["exercise", "run", dir, "--quick", "--data", sample!, "--out", out])).toBe(0);
    const r = fromResultsJson(JSON.parse(readFileSync(join(out, "results.json"), "utf8")));
    expect(r.title).toMatch(/learner's own layers \(layers\.ts\)/);
    expect(r.cells.deepNet.runs.map((x) => x.normalization)).toEqual(["batchnorm", "none"]);
    expect(r.cells.deepNet.runs[0]!.lossHistory.every(Number.isFinite)).toBe(true);
    expect(r.cells.sweep.points.length).toBe(8);
    expect(existsSync(join(out, "report.html"))).toBe(true);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(/learner(&#39;|&#x27;|')s own layers \(layers\.ts\)/.test(html), "the report's title").toBe(true);
  });
});
