/**
 * The README's examples (examples/*.ts) run as written and print what they claim.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { repoRoot } from "./helpers/env.js";

const tsx = createRequire(import.meta.url).resolve("tsx/cli");

function run(file: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, [tsx, join(repoRoot, "examples", file)], {
    cwd: repoRoot,
    env: { ...process.env, ...env },
    encoding: "utf8",
  });
}

describe("examples", () => {
  it("batchnorm-check.ts passes its gradient check", () => {
    const out = run("batchnorm-check.ts");
    const num = Number(/dx error \(staged vs numeric\): (\S+)/.exec(out)?.[1]);
    const alt = Number(/dx difference \(staged vs alt\): (\S+)/.exec(out)?.[1]);
    expect(num).toBeLessThan(1e-7);
    expect(alt).toBeLessThan(1e-10);
    expect(out).toContain("out shape: 4x5");
  });

  it("train-deep-net.ts trains and reports accuracies", () => {
    const out = run("train-deep-net.ts", { EPOCHS: "2" });
    const accs = /train acc per epoch: (.+)/.exec(out)?.[1]?.split(" ").map(Number) ?? [];
    expect(accs).toHaveLength(3);
    expect(accs[2]!).toBeGreaterThan(accs[0]!);
    expect(Number(/best val acc: (\S+)/.exec(out)?.[1])).toBeGreaterThan(0.15);
  });
});
