/**
 * Correctly rounded 10**y and numpy's logspace: the weight scales of the
 * notebook's cell 7 must be numpy's to the last bit. numpy's vectorised power
 * is not always correctly rounded (SIMD code paths); bnlab follows the C
 * library's pow, which is, and equals numpy on the notebook's scales.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { logspace, pow10CorrectlyRounded } from "../src/core/crmath.js";
import { repoRoot } from "./helpers/env.js";

interface Case {
  start: number;
  stop: number;
  num: number;
  /** 10**y through the C library's pow (correctly rounded). */
  libm: number[];
  /** numpy's logspace on the machine that wrote the fixture (its SIMD power may be off by an ulp). */
  numpy: number[];
}
const fixture = JSON.parse(readFileSync(join(repoRoot, "test/fixtures/logspace.json"), "utf8")) as { cases: Case[] };

describe("logspace", () => {
  for (const c of fixture.cases) {
    it(`equals libm's 10**y over numpy's linspace(${c.start}, ${c.stop}, ${c.num}) bit for bit`, () => {
      expect(logspace(c.start, c.stop, c.num)).toEqual(c.libm);
    });
  }

  it("equals numpy's logspace(-4, 0, 20), the notebook's weight scales, bit for bit", () => {
    const c = fixture.cases[0]!;
    expect([c.start, c.stop, c.num]).toEqual([-4, 0, 20]);
    expect(logspace(-4, 0, 20)).toEqual(c.numpy);
  });

  it("the naive 10 ** y is not always numpy's (so this test can fail)", () => {
    const c = fixture.cases[0]!;
    const step = (c.stop - c.start) / (c.num - 1);
    const naive = c.libm.map((_, i) => 10 ** (i === c.num - 1 ? c.stop : i * step + c.start));
    expect(naive).not.toEqual(c.libm);
  });

  it("rejects a bad count", () => {
    expect(() => logspace(0, 1, -1)).toThrow(/non-negative integer/);
  });
});

describe("pow10CorrectlyRounded", () => {
  it("gives exact powers for integer exponents", () => {
    for (let k = -20; k <= 20; k++) expect(pow10CorrectlyRounded(k)).toBe(Number(`1e${k}`));
  });

  it("is within one ulp of 10 ** y and monotonic", () => {
    let prev = 0;
    for (let i = 0; i <= 2000; i++) {
      const y = -8 + i * 0.00731;
      const v = pow10CorrectlyRounded(y);
      expect(Math.abs(v - 10 ** y)).toBeLessThanOrEqual(Math.abs(10 ** y) * 2.3e-16);
      expect(v).toBeGreaterThan(prev);
      prev = v;
    }
  });
});
