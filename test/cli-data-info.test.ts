/**
 * `bnlab data info --dir DIR` on a folder without CIFAR-10 names the option the
 * user typed (--dir, not --data), the folder and what was expected; exit code 1.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, expect, it, vi } from "vitest";
import { main } from "../cli/main.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-cli-info-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let stderr = "";
beforeEach(() => {
  stderr = "";
  vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  vi.spyOn(process.stdout, "write").mockImplementation(() => true);
});
afterEach(() => vi.restoreAllMocks());

it("data info --dir <empty folder> names --dir", async () => {
  expect(await main(["data", "info", "--dir", tmp])).toBe(1);
  expect(stderr).toContain(`${tmp}: no CIFAR-10 here (from --dir): expected a cifar-10-batches-bin/`);
  expect(stderr).not.toMatch(/--data|\n\s+at /);
});
