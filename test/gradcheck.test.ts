import { describe, expect, it } from "vitest";
import {
  RandomState,
  Tensor,
  evalNumericalGradient,
  evalNumericalGradientArray,
  gradcheckReport,
  maxAbsError,
  normRelError,
  relError,
} from "../src/node.js";

describe("numerical gradients", () => {
  it("evalNumericalGradient recovers d/dx Σ x³ = 3x² and restores x", () => {
    const x = new RandomState(0).randn(3, 4);
    const before = x.data.slice();
    const f = (): number => {
      let s = 0;
      for (const v of x.data) s += v ** 3;
      return s;
    };
    const g = evalNumericalGradient(f, x);
    expect(g.shape).toEqual([3, 4]);
    expect(relError(g, [...x.data].map((v) => 3 * v * v))).toBeLessThan(1e-8);
    expect([...x.data]).toEqual([...before]);
  });

  it("evalNumericalGradientArray recovers (A·x)ᵀ·df = Aᵀ·df", () => {
    const rng = new RandomState(1);
    const A = rng.randn(3, 4);
    const x = rng.randn(4);
    const df = rng.randn(3);
    const f = (): Tensor => {
      const out = new Float64Array(3);
      for (let i = 0; i < 3; i++) for (let k = 0; k < 4; k++) out[i]! += A.data[i * 4 + k]! * x.data[k]!;
      return new Tensor(out, [3]);
    };
    const expected = [0, 1, 2, 3].map((k) => [0, 1, 2].reduce((s, i) => s + A.data[i * 4 + k]! * df.data[i]!, 0));
    expect(relError(evalNumericalGradientArray(f, x, df), expected)).toBeLessThan(1e-9);
  });

  it("uses centred differences (exact for a quadratic up to rounding, unlike a one-sided step)", () => {
    const x = Tensor.from([2], [1], "float64");
    const g = evalNumericalGradient(() => x.data[0]! * x.data[0]!, x, 1e-3);
    expect(Math.abs(g.data[0]! - 4)).toBeLessThan(1e-9); // a forward difference would be off by h = 1e-3
  });
});

describe("relError", () => {
  it("is the notebook's max |x−y| / max(1e-8, |x|+|y|)", () => {
    expect(relError([1, 2], [1, 2])).toBe(0);
    expect(relError([1, 0], [3, 0])).toBeCloseTo(0.5, 15);
    expect(relError([1e-9], [0])).toBeCloseTo(0.1, 12); // the 1e-8 floor
    expect(relError([NaN, 0], [1, 0])).toBeNaN();
    expect(() => relError([1], [1, 2])).toThrow("relError: x has 1 values, y has 2");
  });
});

describe("gradcheckReport", () => {
  it("passes near-zero gradients on the absolute tolerance and fails real mismatches", () => {
    const t = (v: number[]): Tensor => Tensor.from(v, [v.length], "float64");
    const analytic = new Map([
      ["W1", t([1, 2])],
      ["b1", t([1e-17, -2e-17])], // a bias feeding a norm layer: true gradient 0
      ["gamma1", t([1, 2])],
    ]);
    const numeric = new Map([
      ["W1", t([1 + 1e-5, 2])],
      ["b1", t([3e-11, -1e-11])],
      ["gamma1", t([1.1, 2])],
    ]);
    const report = gradcheckReport(analytic, numeric, { relTol: (n) => (n.startsWith("W") ? 1e-3 : 1e-5), absTol: 1e-8 });
    const byName = new Map(report.entries.map((e) => [e.name, e]));
    expect(byName.get("W1")!.ok).toBe(true);
    expect(byName.get("b1")!.relError).toBeGreaterThan(1e-3); // relative error alone would fail it
    expect(byName.get("b1")!.ok).toBe(true);
    expect(byName.get("gamma1")!.ok).toBe(false);
    expect(byName.get("gamma1")!.maxAbsError).toBeCloseTo(maxAbsError([1.1], [1]), 12);
    expect(report.ok).toBe(false);
    expect(() => gradcheckReport(new Map([["W9", t([1])]]), numeric)).toThrow('no numerical gradient for "W9"');
  });
});

describe("normRelError", () => {
  it("is max |x − ref| / max |ref|, the absolute error for an all-zero ref, NaN for a NaN", () => {
    // relError would give 1 here (the entry near 0); the norm-wise error stays small.
    expect(normRelError([1, 2e-12], [1, 1e-12])).toBeCloseTo(1e-12, 24);
    expect(normRelError(new Float32Array([4, -2]), new Float64Array([2, -2]))).toBe(1);
    expect(normRelError([0.5, 0], [0, 0])).toBe(0.5);
    expect(normRelError([1, Number.NaN], [1, 1])).toBeNaN();
    expect(() => normRelError([1], [1, 2])).toThrow("normRelError: x has 1 values, ref has 2");
  });
});
