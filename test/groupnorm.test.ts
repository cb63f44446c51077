/**
 * Group normalization: what it computes (each sample's groups normalized on their
 * own), G = 1 is layer norm bit for bit, gradient checks for several G, and the
 * errors for a group count that does not divide D.
 */
import { describe, expect, it } from "vitest";
import {
  OptionError,
  RandomState,
  Tensor,
  affineNormReluBackward,
  affineNormReluForward,
  evalNumericalGradientArray,
  gradcheckReport,
  groupnormBackward,
  groupnormForward,
  layernormBackward,
  layernormForward,
  relError,
} from "../src/index.js";
import type { DType } from "../src/index.js";
import { firstBitDifference } from "./helpers/bits.js";

/** x (N, D) with a different scale and shift in every feature, so groups differ. */
function spread(rng: RandomState, N: number, D: number): Tensor {
  const x = rng.randn(N, D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) x.data[i * D + j] = (1 + j) * x.data[i * D + j]! + 3 * Math.sin(j);
  return x;
}

describe("groupnorm forward", () => {
  it("normalizes each (sample, group) over its D/G consecutive features", () => {
    const N = 3;
    const D = 12;
    const G = 4;
    const x = spread(new RandomState(5), N, D);
    const { out } = groupnormForward(x, Tensor.full([D], 1, "float64"), Tensor.zeros([D], "float64"), { groups: G });
    const Dg = D / G;
    for (let i = 0; i < N; i++) {
      for (let k = 0; k < G; k++) {
        let mean = 0;
        let sq = 0;
        for (let j = 0; j < Dg; j++) mean += out.data[i * D + k * Dg + j]! / Dg;
        for (let j = 0; j < Dg; j++) sq += (out.data[i * D + k * Dg + j]! - mean) ** 2 / Dg;
        expect(Math.abs(mean)).toBeLessThan(1e-12);
        expect(Math.abs(sq - 1)).toBeLessThan(1e-4); // eps = 1e-5 keeps it just under 1
      }
    }
    // The groups are normalized separately: one group's statistics are not the row's.
    const ln = layernormForward(x, Tensor.full([D], 1, "float64"), Tensor.zeros([D], "float64")).out;
    expect(Math.abs(ln.data[0]! - out.data[0]!)).toBeGreaterThan(1e-3);
  });

  it("applies gamma and beta per feature and keeps float32 in float32", () => {
    const rng = new RandomState(2);
    const x = rng.randn(4, 6).astype("float32");
    const gamma = rng.randn(6).astype("float32");
    const beta = rng.randn(6).astype("float32");
    const { out, cache } = groupnormForward(x, gamma, beta, { groups: 3 });
    expect(out.dtype).toBe("float32");
    for (let i = 0; i < 4; i++) {
      for (let j = 0; j < 6; j++) {
        const want = Math.fround(gamma.data[j]! * cache.xhat[i * 6 + j]! + beta.data[j]!);
        expect(out.data[i * 6 + j]).toBe(want);
      }
    }
  });

  it("does not depend on the rest of the batch (a sample alone gives its row, bit for bit)", () => {
    const rng = new RandomState(8);
    const x = spread(rng, 5, 8);
    const gamma = rng.randn(8);
    const beta = rng.randn(8);
    const all = groupnormForward(x, gamma, beta, { groups: 2 }).out;
    const one = groupnormForward(x.rows(3, 4), gamma, beta, { groups: 2 }).out;
    expect(firstBitDifference(one.data, all.data.subarray(3 * 8, 4 * 8))).toBeNull();
  });
});

describe("groupnorm with G = 1 is layer norm, bit for bit", () => {
  for (const dtype of ["float32", "float64"] as DType[]) {
    it(`${dtype}: out, xhat, ivar, dx, dgamma, dbeta`, () => {
      const rng = new RandomState(17);
      const N = 7;
      const D = 13;
      const x = spread(rng, N, D).astype(dtype);
      const gamma = rng.randn(D).astype(dtype);
      const beta = rng.randn(D).astype(dtype);
      const dout = rng.randn(N, D).astype(dtype);
      const gn = groupnormForward(x, gamma, beta, { groups: 1, eps: 1e-3 });
      const ln = layernormForward(x, gamma, beta, { eps: 1e-3 });
      expect(firstBitDifference(gn.out, ln.out)).toBeNull();
      expect(firstBitDifference(gn.cache.xhat, ln.cache.xhat)).toBeNull();
      expect(firstBitDifference(gn.cache.ivar, ln.cache.ivar)).toBeNull();
      const gb = groupnormBackward(dout, gn.cache);
      const lb = layernormBackward(dout, ln.cache);
      expect(firstBitDifference(gb.dx, lb.dx)).toBeNull();
      expect(firstBitDifference(gb.dgamma, lb.dgamma)).toBeNull();
      expect(firstBitDifference(gb.dbeta, lb.dbeta)).toBeNull();
      // and the comparison can fail: G = 1 differs from G = 13 (every feature alone)
      expect(firstBitDifference(groupnormForward(x, gamma, beta, { groups: 13 }).out, ln.out)).not.toBeNull();
    });
  }
});

describe("groupnorm backward: centred differences (float64, h = 1e-5)", () => {
  // An element passes when its relative error is < 1e-7 or its absolute error < 1e-8
  // (with G = D every xhat is 0, so dx and dgamma are exactly 0 and only the
  // absolute tolerance is meaningful).
  const tol = { relTol: 1e-7, absTol: 1e-8 };
  for (const [N, D, G] of [
    [4, 6, 1],
    [4, 6, 2],
    [3, 12, 4], // ragged N
    [5, 10, 5],
    [2, 6, 6], // D/G = 1
  ] as const) {
    it(`N = ${N}, D = ${D}, G = ${G}: dx, dgamma, dbeta`, () => {
      const rng = new RandomState(100 + G);
      const x = spread(rng, N, D);
      const gamma = rng.randn(D);
      const beta = rng.randn(D);
      const dout = rng.randn(N, D);
      const f = (): Tensor => groupnormForward(x, gamma, beta, { groups: G }).out;
      const numeric = new Map([
        ["dx", evalNumericalGradientArray(f, x, dout)],
        ["dgamma", evalNumericalGradientArray(f, gamma, dout)],
        ["dbeta", evalNumericalGradientArray(f, beta, dout)],
      ]);
      const g = groupnormBackward(dout, groupnormForward(x, gamma, beta, { groups: G }).cache);
      const report = gradcheckReport(new Map([["dx", g.dx], ["dgamma", g.dgamma], ["dbeta", g.dbeta]]), numeric, tol);
      expect(report.entries.filter((e) => !e.ok)).toEqual([]);
      // NOTE: groups of 1 or 2 features normalize to 0 or ±1 whatever x is, so dx is
      // ~0 there (absolute tolerance only); from 3 features on every element is checked
      // on the relative error too.
      if (D / G >= 3) expect(report.entries.find((e) => e.name === "dx")!.relError).toBeLessThan(1e-7);
    });
  }
});

describe("groupnorm argument errors", () => {
  const x = Tensor.zeros([2, 6], "float64");
  const g = Tensor.full([6], 1, "float64");
  const b = Tensor.zeros([6], "float64");

  it("a group count that does not divide D is an OptionError naming groups", () => {
    expect(() => groupnormForward(x, g, b, { groups: 4 })).toThrow(OptionError);
    expect(() => groupnormForward(x, g, b, { groups: 4 })).toThrow(
      "invalid gnParam.groups: expected a divisor of the feature count D = 6, got 4",
    );
  });

  it("rejects non-positive and fractional group counts, bad eps, and mismatched gamma", () => {
    expect(() => groupnormForward(x, g, b, { groups: 0 })).toThrow("invalid gnParam.groups: expected a positive integer, got 0");
    expect(() => groupnormForward(x, g, b, { groups: 1.5 })).toThrow("invalid gnParam.groups");
    expect(() => groupnormForward(x, g, b, { groups: 2, eps: -1 })).toThrow("invalid gnParam.eps");
    expect(() => groupnormForward(x, Tensor.zeros([5], "float64"), b, { groups: 2 })).toThrow(
      "groupnormForward: gamma must have shape (6), found (5)",
    );
    const { cache } = groupnormForward(x, g, b, { groups: 2 });
    expect(() => groupnormBackward(Tensor.zeros([6, 2], "float64"), cache)).toThrow("groupnormBackward: dout must have shape (2, 6)");
  });
});

describe("groupnorm in the affine–norm–relu sandwich", () => {
  it("gradient-checks (float64, rel error < 1e-6 for x, w, b; < 1e-7 for gamma, beta)", () => {
    const rng = new RandomState(9);
    const x = rng.randn(4, 3, 2);
    const w = rng.randn(6, 8);
    const b = rng.randn(8);
    const gamma = rng.randn(8);
    const beta = rng.randn(8);
    const dout = rng.randn(4, 8);
    const spec = { kind: "groupnorm" as const, param: { groups: 2 } };
    const f = (): Tensor => affineNormReluForward(x, w, b, gamma, beta, spec).out;
    const g = affineNormReluBackward(dout, affineNormReluForward(x, w, b, gamma, beta, spec).cache);
    expect(relError(evalNumericalGradientArray(f, x, dout), g.dx)).toBeLessThan(1e-6);
    expect(relError(evalNumericalGradientArray(f, w, dout), g.dw)).toBeLessThan(1e-6);
    expect(relError(evalNumericalGradientArray(f, b, dout), g.db)).toBeLessThan(1e-6);
    expect(relError(evalNumericalGradientArray(f, gamma, dout), g.dgamma)).toBeLessThan(1e-7);
    expect(relError(evalNumericalGradientArray(f, beta, dout), g.dbeta)).toBeLessThan(1e-7);
  });
});
