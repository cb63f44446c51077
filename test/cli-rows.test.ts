/**
 * --num-train / --num-val larger than the data's splits are usage errors (exit 2,
 * one line naming the flag, the limit and the value), not a silent cut to fewer
 * rows; nothing is trained and --out is not created.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { captureCliOutput } from "./helpers/cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-cli-rows-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const io = captureCliOutput();

const cases: [string[], RegExp][] = [
  [["train", "--num-train", "1001"], /error: invalid --num-train: expected at most 1000, the training rows of the synthetic set, got 1001\n$/],
  [["train", "--num-val", "5000"], /error: invalid --num-val: expected at most 1000, the validation rows of the synthetic set, got 5000\n$/],
  [["sweep", "--num-train", "2000", "--num-scales", "1"], /error: invalid --num-train: expected at most 1000, the training rows of the synthetic set, got 2000\n$/],
];
for (const [argv, message] of cases) {
  it(argv.join(" "), async () => {
    const out = join(tmp, argv.join("-"));
    expect(await main([...argv, "--synthetic", "--epochs", "1", "--out", out])).toBe(2);
    expect(io.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });
}
