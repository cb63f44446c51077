/**
 * Option failures found by probing: each is one line naming the CLI flag and an
 * exit code, before any work (no RangeError after training starts, no stack
 * trace, no internal option names, no number written in another base).
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { holdOutRows } from "../cli/data-source.js";
import { checkNetFits, estimateTrainingBytes } from "../cli/net-size.js";
import { OptionError } from "../src/index.js";
import { binaryBatch, randomImages } from "./fixtures/data/make.js";
import { captureCliOutput } from "./helpers/cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-cli-probe-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const io = captureCliOutput();

/** A binary-layout CIFAR folder with `perFile` records in each of the six batches. */
function tinyCifar(name: string, perFile: number): string {
  const dir = join(tmp, name, "cifar-10-batches-bin");
  mkdirSync(dir, { recursive: true });
  const files = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`).concat("test_batch.bin");
  files.forEach((f, k) => {
    const { x, y } = randomImages(perFile, 40 + k);
    writeFileSync(join(dir, f), binaryBatch(x, y));
  });
  writeFileSync(join(dir, "batches.meta.txt"), "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n");
  return join(tmp, name);
}

function expectOneLine(): void {
  expect(io.stderr).not.toMatch(/\n\s+at /);
  expect(io.stderr.trim().split("\n")).toHaveLength(1);
}

describe("number flags take decimal only", () => {
  const cases: [string[], RegExp][] = [
    [["train", "--seed", "0x10"], /invalid --seed: expected an integer from 0 to 4294967295, got "0x10"/],
    [["train", "--seed", "1e3"], /invalid --seed: .*got "1e3"/],
    [["train", "--seed", " 7"], /invalid --seed: .*got " 7"/],
    [["train", "--epochs", "0b11"], /invalid --epochs: .*got "0b11"/],
    [["train", "--lr", "0x1"], /invalid --lr: expected a number > 0 and <= 10, got "0x1"/],
    [["train", "--hidden", "0x10,5"], /invalid --hidden: expected a comma-separated list of integers/],
    [["sweep", "--num-scales", "0o7"], /invalid --num-scales: .*got "0o7"/],
    [["bench", "--jobs", "0x2"], /invalid --jobs: expected an integer from 1 to 256, got "0x2"/],
    [["gradcheck", "--seed", "0x10"], /invalid --seed/],
  ];
  for (const [argv, message] of cases) {
    it(argv.join(" "), async () => {
      expect(await main(argv)).toBe(2);
      expect(io.stderr).toMatch(message);
      expectOneLine();
    });
  }
  it("plain decimals still parse", async () => {
    const out = join(tmp, "decimal-ok");
    expect(await main(["train", "--synthetic", "--hidden", "8", "--epochs", "1", "--num-train", "50", "--num-val", "20", "--seed", "16", "--lr", "1.5e-3", "--out", out, "--json"])).toBe(0);
    expect((JSON.parse(io.stdout) as { seed: number }).seed).toBe(16);
  });
});

describe("empty paths are refused, not taken as the current folder", () => {
  const cases: [string[], RegExp][] = [
    [["train", "--synthetic", "--out", ""], /invalid --out: expected a path \(not empty\), got ""/],
    [["sweep", "--synthetic", "--out", " "], /invalid --out: expected a path \(not empty\)/],
    [["reproduce", "--synthetic", "--out", ""], /invalid --out: expected a path \(not empty\)/],
    [["train", "--data", ""], /invalid --data: expected a path \(not empty\)/],
    [["data", "download", "--dir", ""], /invalid --dir: expected a path \(not empty\)/],
    [["data", "info", "--dir", ""], /invalid --dir: expected a path \(not empty\)/],
    [["serve", "--data", ""], /invalid --data: expected a path \(not empty\)/],
  ];
  for (const [argv, message] of cases) {
    it(JSON.stringify(argv), async () => {
      const before = readdirSync(process.cwd()).sort();
      expect(await main(argv)).toBe(2);
      expect(io.stderr).toMatch(message);
      expectOneLine();
      expect(readdirSync(process.cwd()).sort()).toEqual(before);
    });
  }
});

describe("a bare command group is a usage error", () => {
  for (const argv of [["data"], []]) {
    it(`bnlab ${argv.join(" ")}: help on stderr, exit 2`, async () => {
      expect(await main(argv)).toBe(2);
      expect(io.stderr).toMatch(/Usage: bnlab/);
      expect(io.stdout).toBe("");
    });
  }
  it("help asked for is still exit 0", async () => {
    expect(await main(["data", "--help"])).toBe(0);
    expect(await main(["help", "data"])).toBe(0);
  });
});

describe("data download --dir <a file>", () => {
  it("one line naming --dir, exit 2, nothing fetched", async () => {
    const file = join(tmp, "not-a-folder");
    writeFileSync(file, "x");
    expect(await main(["data", "download", "--dir", file, "--url", "http://127.0.0.1:9/never"])).toBe(2);
    expect(io.stderr).toMatch(/error: invalid --dir: expected a folder bnlab can create or write into, got .*not-a-folder \(a file, not a folder\)/);
    expect(io.stderr).not.toMatch(/\n\s+at /);
    expect(await main(["data", "download", "--dir", join(file, "under"), "--url", "http://127.0.0.1:9/never"])).toBe(2);
    expect(io.stderr).toMatch(/not-a-folder is a file, not a folder/);
  });
});

describe("--hidden is checked against memory before the data loads", () => {
  it("100000,100000 (train): one line naming --hidden, exit 2, at once", async () => {
    expect(await main(["train", "--synthetic", "--hidden", "100000,100000", "--out", join(tmp, "huge")])).toBe(2);
    expect(io.stderr).toMatch(/^error: invalid --hidden: expected layer sizes .*got "100000,100000"\n$/);
    expect(io.stderr).not.toMatch(/synthetic CIFAR-shaped/); // refused before the data was made
  });
  it("sweep counts one net per worker", async () => {
    expect(await main(["sweep", "--synthetic", "--hidden", "100000,100000", "--num-scales", "1", "--out", join(tmp, "huge-sweep")])).toBe(2);
    expect(io.stderr).toMatch(/invalid --hidden/);
  });
  it("the estimate grows with the layers and the copies; small nets pass", () => {
    const small = estimateTrainingBytes([100, 100], { batchSize: 50 });
    expect(estimateTrainingBytes([100, 100], { batchSize: 50, copies: 3 }).bytes).toBe(3 * small.bytes);
    expect(estimateTrainingBytes([1000, 100], { batchSize: 50 }).bytes).toBeGreaterThan(small.bytes);
    expect(small.largestMatrix).toBe(3072 * 100);
    expect(() => checkNetFits("--hidden", [100, 100], { batchSize: 50 })).not.toThrow();
    expect(() => checkNetFits("--hidden", [100, 100], { batchSize: 50, limitBytes: small.bytes - 1 })).toThrow(OptionError);
    // One weight matrix longer than a typed array may be, whatever the memory.
    expect(() => checkNetFits("--hidden", [70_000, 70_000], { batchSize: 50, limitBytes: Infinity })).toThrow(/at most \d+ entries/);
  });
});

describe("small CIFAR folders: the hold-out follows --num-val, errors name the CLI flags", () => {
  it("holdOutRows keeps the notebook's 1000 when it fits and adapts on small data", () => {
    expect(holdOutRows(49_000, { numTrain: 1000, numVal: 1000 }, "d")).toBe(1000);
    expect(holdOutRows(49_000, { numTrain: 1000, numVal: 200 }, "d")).toBe(1000);
    expect(holdOutRows(1000, { numTrain: 600, numVal: 400 }, "d")).toBe(400);
    expect(holdOutRows(1000, { numTrain: 500, numVal: 100 }, "d")).toBe(500);
    expect(() => holdOutRows(1000, { numTrain: 1000, numVal: 1000 }, "d")).toThrow(/invalid --num-val: expected at most 999/);
    expect(() => holdOutRows(1000, { numTrain: 700, numVal: 400 }, "d")).toThrow(/invalid --num-train: expected at most 600 with --num-val 400/);
  });

  it("exactly 1000 training records: train --num-train 600 --num-val 400 works", async () => {
    const data = tinyCifar("cifar-1000", 200); // 5 × 200 training records, 200 test records
    const out = join(tmp, "small-ok");
    expect(await main(["train", "--data", data, "--hidden", "8", "--epochs", "1", "--num-train", "600", "--num-val", "400", "--out", out, "--json"])).toBe(0);
    const json = JSON.parse(io.stdout) as { dataset: { numTrain: number; numVal: number; numTest: number }; settings: { numTrain: number; numVal: number } };
    expect(json.settings).toMatchObject({ numTrain: 600, numVal: 400 });
    expect(json.dataset).toMatchObject({ numTrain: 600, numVal: 400, numTest: 200 });
  });

  it("too many rows: names --num-train / --num-val, never numValidation or numTest", async () => {
    const data = tinyCifar("cifar-500", 100);
    expect(await main(["train", "--data", data, "--epochs", "1", "--out", join(tmp, "small-bad")])).toBe(2);
    expect(io.stderr).toMatch(/error: invalid --num-val: expected at most 499 \(.* holds 500 training records/);
    expect(await main(["train", "--data", data, "--epochs", "1", "--num-train", "450", "--num-val", "100", "--out", join(tmp, "small-bad")])).toBe(2);
    expect(io.stderr).toMatch(/invalid --num-train: expected at most 400 with --num-val 100/);
    expect(io.stderr).not.toMatch(/numValidation|numTest|numTraining/);
  });
});
