/**
 * CLI usage errors of reproduce / train / sweep / gradcheck: exit code 2 and a
 * message naming the flag, what was expected and what was given; no data found
 * gives the data paragraph and exit code 1 (or a warning with --fallback-synthetic).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { captureCliOutput } from "./helpers/cli-capture.js";
import { fromResultsJson } from "../src/report/schema.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-cli-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const io = captureCliOutput();

async function run(...argv: string[]): Promise<number> {
  return main(argv);
}

describe("usage errors exit with 2 and say what is wrong", () => {
  const cases: [string[], RegExp][] = [
    [["reproduce", "--bogus"], /unknown option '--bogus'/],
    [["reproduce", "--seed=-1"], /invalid --seed: expected an integer from 0 to 4294967295, got "-1"/],
    [["reproduce", "--seed", "1.5"], /invalid --seed: expected an integer/],
    [["reproduce", "--jobs", "0"], /invalid --jobs: expected an integer from 1 to 256, got "0"/],
    [["reproduce", "--data", join(tmp, "missing")], /invalid --data: expected an existing folder holding CIFAR-10/],
    [["reproduce", "--synthetic", "--data", tmp], /either --data DIR or --synthetic, not both/],
    [["train", "--hidden", "100,abc"], /invalid --hidden: expected a comma-separated list of integers/],
    [["train", "--normalization", "instancenorm"], /invalid --normalization: expected one of batchnorm, layernorm, groupnorm, batchrenorm, none, got "instancenorm"/],
    [["train", "--normalization", "batchnorm", "--groups", "4"], /invalid --groups: expected a groupnorm net \(--normalization groupnorm\), got "4"/],
    [["train", "--normalization", "groupnorm", "--groups", "3"], /invalid --groups: expected a divisor of every --hidden size \(100, 100, 100, 100, 100\), got "3"/],
    [["sweep", "--normalizations", "groupnorm,none", "--r-max", "2"], /invalid --r-max: expected a batchrenorm net \(--normalization batchrenorm\), got "2"/],
    [["train", "--normalization", "batchrenorm", "--r-max", "0.5"], /invalid --r-max: expected a number >= 1 and <= 1000000, got "0.5"/],
    [["train", "--normalization", "batchrenorm", "--d-max", "-1"], /invalid --d-max|unknown option '-1'/],
    [["train", "--lr", "-1"], /unknown option '-1'|invalid --lr/],
    [["train", "--lr=0"], /invalid --lr: expected a number > 0/],
    [["train", "--update-rule", "lbfgs"], /invalid --update-rule: expected one of sgd, sgdMomentum, rmsprop, adam, got "lbfgs"/],
    [["train", "--epochs", "many"], /invalid --epochs: expected an integer from 1 to 10000, got "many"/],
    [["sweep", "--normalizations", "batchnorm,batchnorm"], /invalid --normalizations: expected distinct normalization names/],
    [["sweep", "--min-exp", "1", "--max-exp", "0", "--synthetic"], /invalid --min-exp: expected at most --max-exp \(0\), got 1/],
    [["gradcheck", "--seed", "x"], /invalid --seed/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(" "), async () => {
      expect(await run(...argv)).toBe(2);
      expect(io.stderr).toMatch(message);
      expect(io.stderr).not.toMatch(/\n\s+at /); // no stack trace
    });
  }

  it("a file passed as --data is refused", async () => {
    const file = join(tmp, "file.bin");
    writeFileSync(file, "x");
    expect(await run("reproduce", "--data", file)).toBe(2);
    expect(io.stderr).toContain("invalid --data: expected a folder (not a file)");
  });
});

describe("no dataset", () => {
  const saved = { XDG_CACHE_HOME: process.env.XDG_CACHE_HOME, BNLAB_DATA: process.env.BNLAB_DATA };
  beforeEach(() => {
    process.env.XDG_CACHE_HOME = join(tmp, "empty-cache");
    delete process.env.BNLAB_DATA;
  });
  afterEach(() => {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  });

  it("a folder without CIFAR-10 fails with exit 1 naming it", async () => {
    expect(await run("reproduce", "--data", tmp)).toBe(1);
    expect(io.stderr).toContain(tmp);
    expect(io.stderr).toMatch(/no CIFAR-10 here/);
  });

  it("nothing found and no download: the data paragraph, exit 1", async () => {
    expect(await run("train", "--no-download", "--epochs", "1")).toBe(1);
    expect(io.stderr).toContain("--data DIR");
    expect(io.stderr).toContain("bnlab data download");
    expect(io.stderr).toContain("--synthetic");
  });

  it("with --fallback-synthetic: the paragraph as a warning, then synthetic data", async () => {
    const out = join(tmp, "train-out");
    const code = await run("train", "--no-download", "--fallback-synthetic", "--hidden", "10", "--epochs", "1", "--num-train", "50", "--num-val", "20", "--out", out, "--json");
    expect(code).toBe(0);
    expect(io.stderr).toMatch(/warning:.*No CIFAR-10 dataset found/s);
    const json = JSON.parse(io.stdout) as { dataset: { source: string; warning: string | null }; runs: unknown[] };
    expect(json.dataset.source).toBe("synthetic");
    expect(json.dataset.warning).toContain("bnlab data download");
    expect(json.runs).toHaveLength(1);
  });
});

describe("reproduce --json", () => {
  it("prints results.json (valid against the schema) to stdout and nothing else", async () => {
    const out = join(tmp, "rep-json");
    expect(await run("reproduce", "--synthetic", "--quick", "--jobs", "1", "--out", out, "--json")).toBe(0);
    const r = fromResultsJson(JSON.parse(io.stdout));
    expect(r.dataset.source).toBe("synthetic");
    expect(r.title).toContain("SYNTHETIC");
    expect(r.settings.jobs).toBe(1);
    expect(io.stderr).toContain(join(out, "report.html"));
  });
});

describe("gradcheck", () => {
  it("passes every check and prints JSON", async () => {
    expect(await run("gradcheck", "--json")).toBe(0);
    const r = JSON.parse(io.stdout) as { ok: boolean; lines: { check: string; ok: boolean }[] };
    expect(r.ok).toBe(true);
    const checks = new Set(r.lines.map((l) => l.check));
    for (const c of ["affine", "relu", "batchnorm (staged)", "batchnorm (alt)", "layernorm", "dropout (keep 0.2)", "softmax loss", "svm loss"]) expect(checks).toContain(c);
    expect([...checks].filter((c) => c.startsWith("FullyConnectedNet"))).toHaveLength(6);
  });
});
