/**
 * `--out` is checked before any work: a file in its place, a path under a file,
 * or a place that cannot be created (Linux /proc, where a recursive mkdir would
 * loop forever) gives one line naming --out and exit code 2, and writes nothing.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { captureCliOutput } from "./helpers/cli-capture.js";
import { checkOutDir } from "../cli/out-dir.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-cli-out-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const file = join(tmp, "a-file");
writeFileSync(file, "keep me\n");

const io = captureCliOutput();

describe("--out that cannot hold the output", () => {
  const cmds: string[][] = [
    ["reproduce", "--synthetic", "--quick"],
    ["train", "--synthetic", "--epochs", "1"],
    ["sweep", "--synthetic", "--epochs", "1", "--num-scales", "1"],
  ];
  for (const argv of cmds) {
    it(`${argv[0]} --out <a file>: exit 2 before loading data, file untouched`, async () => {
      expect(await main([...argv, "--out", file])).toBe(2);
      expect(io.stderr).toMatch(/^error: invalid --out: expected a folder bnlab can create or write into, got .*a-file \(a file, not a folder\)\n$/);
      expect(io.stderr).not.toMatch(/synthetic CIFAR-shaped/); // failed before the data was made
      expect(readFileSync(file, "utf8")).toBe("keep me\n");
    });
  }

  it("a path under a file names the file", async () => {
    expect(await main(["train", "--synthetic", "--out", join(file, "sub", "dir")])).toBe(2);
    expect(io.stderr).toMatch(/invalid --out: .*a-file is a file, not a folder/);
    expect(io.stderr).not.toMatch(/\n\s+at /);
  });

  it.skipIf(process.platform !== "linux")("an uncreatable folder (/proc) fails at once instead of hanging", () => {
    expect(() => checkOutDir("/proc/bnlab-qa-out")).toThrow(/invalid --out: .*cannot create \/proc\/bnlab-qa-out/);
  });

  it("a missing folder is accepted and not created by the check", () => {
    const target = join(tmp, "new", "deeper");
    expect(checkOutDir(target)).toBe(target);
    expect(existsSync(join(tmp, "new"))).toBe(false);
  });
});
