/**
 * `bnlab data info --dir DIR` on a folder without CIFAR-10 names the option the
 * user typed (--dir, not --data), the folder and what was expected; exit code 1.
 * `bnlab data download` rejects a malformed --md5 or --url (exit 2) before any
 * network access or folder creation.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { captureCliOutput } from "./helpers/cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-cli-info-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const io = captureCliOutput();

it("data info --dir <empty folder> names --dir", async () => {
  expect(await main(["data", "info", "--dir", tmp])).toBe(1);
  expect(io.stderr).toContain(`${tmp}: no CIFAR-10 here (from --dir): expected a cifar-10-batches-bin/`);
  expect(io.stderr).not.toMatch(/--data|\n\s+at /);
});

for (const [flag, value, expected] of [
  ["--md5", "xyz", "32 hexadecimal digits"],
  ["--url", "ftp://example.org/cifar.tar.gz", "an http:// or https:// URL"],
  ["--url", "not a url", "an http:// or https:// URL"],
] as const) {
  it(`data download ${flag} ${value}: usage error, nothing created`, async () => {
    const dir = join(tmp, "install");
    expect(await main(["data", "download", "--dir", dir, flag, value])).toBe(2);
    expect(io.stderr).toBe(`error: invalid ${flag}: expected ${expected}, got ${JSON.stringify(value)}\n`);
    expect(existsSync(dir)).toBe(false);
  });
}
