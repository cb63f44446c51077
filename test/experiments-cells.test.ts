/**
 * Cells 1, 2, 3 and 5 with seed 231 against numpy's numbers for the same draws
 * (test/fixtures/cells.json, written by scripts/fixtures/cells.py).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { backwardCheck, forwardTestCheck, forwardTrainCheck, netGradcheck } from "../src/experiments/checks.js";

interface Stats {
  means: number[];
  stds: number[];
}
interface Fixture {
  seed: number;
  cell1: { before: Stats; afterUnit: Stats; afterAffine: Stats };
  cell2: { after: Stats };
  cell3: { dxError: number; dgammaError: number; dbetaError: number };
  cell5: { checks: { reg: number; initialLoss: number; errors: { name: string; relError: number }[] }[] };
}

const fx = JSON.parse(readFileSync(new URL("./fixtures/cells.json", import.meta.url), "utf8")) as Fixture;

/** Each value within rel·|expected| + abs of numpy's. */
function expectClose(actual: number[], expected: number[], rel: number, abs = 0): void {
  expect(actual.length).toBe(expected.length);
  actual.forEach((a, i) => expect(Math.abs(a - expected[i]!)).toBeLessThanOrEqual(rel * Math.abs(expected[i]!) + abs));
}

describe("notebook cells with seed 231 equal numpy", () => {
  it("cell 1: train-time forward statistics", () => {
    const r = forwardTrainCheck(fx.seed);
    expectClose(r.before.means, [-2.3814598, -13.18038246, 1.91780462], 1e-8);
    expectClose(r.before.means, fx.cell1.before.means, 1e-12);
    expectClose(r.before.stds, fx.cell1.before.stds, 1e-12);
    // Means after normalization are round-off (~1e-17): compare absolutely.
    expectClose(r.afterUnit.means, fx.cell1.afterUnit.means, 0, 1e-14);
    expectClose(r.afterUnit.stds, fx.cell1.afterUnit.stds, 1e-12);
    expectClose(r.afterAffine.means, fx.cell1.afterAffine.means, 1e-12);
    expectClose(r.afterAffine.stds, fx.cell1.afterAffine.stds, 1e-12);
  });

  it("cell 2: test-time forward after 50 warm-up passes", () => {
    const r = forwardTestCheck(fx.seed);
    expect(r.warmupPasses).toBe(50);
    expectClose(r.after.means, fx.cell2.after.means, 1e-10, 1e-13);
    expectClose(r.after.stds, fx.cell2.after.stds, 1e-10);
  });

  it("cell 3: backward gradient check errors are numpy's", () => {
    const r = backwardCheck(fx.seed);
    // Numerical-gradient round-off differs with summation order; within 10% and below the threshold.
    for (const k of ["dxError", "dgammaError", "dbetaError"] as const) {
      expect(r[k]).toBeLessThan(1e-7);
      expect(Math.abs(r[k] - fx.cell3[k])).toBeLessThanOrEqual(0.1 * fx.cell3[k] + 1e-13);
    }
  });

  it("cell 5: initial losses equal numpy's; parameter errors agree", () => {
    const r = netGradcheck(fx.seed);
    expect(r.checks.map((c) => c.reg)).toEqual(fx.cell5.checks.map((c) => c.reg));
    r.checks.forEach((c, k) => {
      const e = fx.cell5.checks[k]!;
      expect(Math.abs(c.initialLoss - e.initialLoss)).toBeLessThanOrEqual(1e-12 * e.initialLoss);
      expect(c.errors.map((x) => x.name)).toEqual(e.errors.map((x) => x.name));
      c.errors.forEach((x, i) => {
        // NOTE: b1 and b2 feed a batch-norm layer, so their true gradient is 0 and
        // both relative errors are ratios of round-off: only weights, gamma, beta
        // and the last bias are compared (within a factor of 10).
        if (x.name === "b1" || x.name === "b2") return;
        const ratio = Math.log10(x.relError / e.errors[i]!.relError);
        expect(Math.abs(ratio)).toBeLessThanOrEqual(1);
      });
    });
  });
});
