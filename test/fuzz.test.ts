/**
 * A short fixed-seed fuzz round (scripts/fuzz.ts) over every input bnlab parses:
 * nothing but parsed inputs and clean refusals, each target reaching both; the
 * round is the same for the same seed; and a target that misbehaves is caught,
 * counted as "other" and saved as a reproducer that replays.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { runFuzz } from "../scripts/fuzz.js";
import { fuzzTargets, FuzzInvariant, type FuzzTarget } from "../scripts/fuzz-targets.js";
import { mix, rngFor } from "../scripts/fuzz-mutate.js";
import { BnlabError } from "../src/index.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-fuzz-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("fuzzing", () => {
  it("2,000 inputs (seed 20261201): only parsed inputs and clean refusals, on every target", async () => {
    const r = await runFuzz({ seed: 20261201, inputs: 2000, outDir: join(tmp, "round") });
    expect(r.failures).toEqual([]);
    expect(r.total.inputs).toBe(2000);
    expect(r.total.other).toBe(0);
    const names = fuzzTargets().map((t) => t.name);
    expect(Object.keys(r.byTarget)).toEqual(names);
    for (const name of names) {
      const c = r.byTarget[name]!;
      expect(c.inputs, name).toBeGreaterThanOrEqual(Math.floor(2000 / names.length));
      // Each target's mutations reach past the first check (some parse) and are refused too.
      expect(c.parsed, `${name} parsed`).toBeGreaterThan(0);
      expect(c.refused, `${name} refused`).toBeGreaterThan(0);
    }
  });

  it("is deterministic: the same seed gives the same inputs", () => {
    for (const t of fuzzTargets().filter((x) => x.name !== "server-path" && x.name !== "archive")) {
      void t.setup();
      const a = t.generate(rngFor(mix(7, 0, 42)));
      const b = t.generate(rngFor(mix(7, 0, 42)));
      const c = t.generate(rngFor(mix(8, 0, 42)));
      expect(Buffer.from(a).equals(Buffer.from(b)), t.name).toBe(true);
      expect(a.length > 0 || c.length > 0, t.name).toBe(true);
    }
  });

  it("catches a misbehaving parser: other errors and broken invariants are saved as reproducers", async () => {
    const planted: FuzzTarget = {
      name: "planted",
      setup: () => undefined,
      generate: (rng) => Uint8Array.from([Math.floor(rng() * 4)]),
      run: (input) => {
        if (input[0] === 0) throw new TypeError("cannot read properties of undefined");
        if (input[0] === 1) throw new FuzzInvariant("label 12 outside 0..9");
        if (input[0] === 2) throw new BnlabError("a clean refusal");
        return "parsed";
      },
    };
    const out = join(tmp, "planted");
    const r = await runFuzz({ seed: 3, inputs: 40, outDir: out, targetList: [planted] });
    const c = r.byTarget.planted!;
    expect(c.inputs).toBe(40);
    expect(c.parsed).toBeGreaterThan(0);
    expect(c.other).toBe(r.failures.length);
    expect(c.other).toBeGreaterThan(0);
    // The BnlabError thrown by run() itself is not caught as a refusal here: targets turn their
    // parser's BnlabError into "refused"; an escaped one is as unexpected as any other error.
    expect(r.failures.some((f) => f.error.startsWith("TypeError"))).toBe(true);
    expect(r.failures.some((f) => f.error.startsWith("invariant broken: label 12"))).toBe(true);
    const saved = readdirSync(out).filter((f) => f.endsWith(".bin"));
    expect(saved).toHaveLength(r.failures.length);
    const first = r.failures[0]!;
    expect(readFileSync(`${first.file!}.txt`, "utf8")).toContain(`replay: npm run fuzz -- --replay ${first.file!}`);
    expect([0, 1, 2]).toContain(readFileSync(first.file!)[0]);
  });
});
