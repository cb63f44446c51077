import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  OptionError,
  RandomState,
  Tensor,
  affineBackward,
  affineForward,
  affineNormReluBackward,
  affineNormReluForward,
  affineParamBackward,
  affineReluBackward,
  affineReluForward,
  createRunningStats,
  dropoutBackward,
  dropoutForward,
  evalNumericalGradient,
  evalNumericalGradientArray,
  layernormBackward,
  layernormForward,
  maxAbsError,
  relError,
  reluBackward,
  reluForward,
  softmaxLoss,
  svmLoss,
} from "../src/node.js";
import type { NormSpec } from "../src/node.js";

const fix = JSON.parse(readFileSync(new URL("./fixtures/layers-numpy.json", import.meta.url), "utf8")) as {
  batchnorm: Record<string, number[]> & { N: number; D: number };
  layernorm: Record<string, number[]>;
  dropout: { seed: number; shape: number[]; p: number; mask: number[] };
};

describe("affine", () => {
  it("forward computes x·w + b with x flattened, and matches centred differences", () => {
    const rng = new RandomState(1);
    const x = rng.randn(3, 2, 2); // flattened to (3, 4)
    const w = rng.randn(4, 5);
    const b = rng.randn(5);
    const dout = rng.randn(3, 5);
    const { out, cache } = affineForward(x, w, b);
    expect(out.shape).toEqual([3, 5]);
    let direct = b.data[2]!;
    for (let k = 0; k < 4; k++) direct += x.data[1 * 4 + k]! * w.data[k * 5 + 2]!;
    expect(out.get(1, 2)).toBeCloseTo(direct, 12);
    const { dx, dw, db } = affineBackward(dout, cache);
    expect(dx.shape).toEqual([3, 2, 2]);
    const f = (): Tensor => affineForward(x, w, b).out;
    expect(relError(evalNumericalGradientArray(f, x, dout), dx)).toBeLessThan(1e-8);
    expect(relError(evalNumericalGradientArray(f, w, dout), dw)).toBeLessThan(1e-8);
    expect(relError(evalNumericalGradientArray(f, b, dout), db)).toBeLessThan(1e-8);
    const p = affineParamBackward(dout, cache);
    expect([...p.dw.data]).toEqual([...dw.data]);
    expect([...p.db.data]).toEqual([...db.data]);
  });

  it("keeps float32 in float32 and names bad shapes and dtypes", () => {
    const x = Tensor.zeros([2, 3]);
    expect(affineForward(x, Tensor.zeros([3, 4]), Tensor.zeros([4])).out.dtype).toBe("float32");
    expect(() => affineForward(x, Tensor.zeros([4, 4]), Tensor.zeros([4]))).toThrow(
      "affineForward: w must have shape (3, M) for x of shape (2, 3), found (4, 4)",
    );
    expect(() => affineForward(x, Tensor.zeros([3, 4]), Tensor.zeros([5]))).toThrow("affineForward: b must have shape (4), found (5)");
    expect(() => affineForward(x, Tensor.zeros([3, 4], "float64"), Tensor.zeros([4]))).toThrow(
      "affineForward: w must have dtype float32 (that of x), found float64",
    );
  });
});

describe("relu", () => {
  it("forward clamps negatives; backward passes dout where x > 0 (0 at x = 0)", () => {
    const x = Tensor.from([-1, 0, 2, -3, 4, 0.5], [2, 3], "float64");
    expect([...reluForward(x).out.data]).toEqual([0, 0, 2, 0, 4, 0.5]);
    const dout = Tensor.from([1, 2, 3, 4, 5, 6], [2, 3], "float64");
    expect([...reluBackward(dout, reluForward(x).cache).dx.data]).toEqual([0, 0, 3, 0, 5, 6]);
  });

  it("matches centred differences away from the kink", () => {
    const rng = new RandomState(2);
    const x = rng.randn(10, 10);
    // Keep every element at least 1e-3 from the kink (one of these lies within h of 0).
    for (let i = 0; i < x.size; i++) x.data[i] = x.data[i]! + (x.data[i]! < 0 ? -1e-3 : 1e-3);
    const dout = rng.randn(10, 10);
    const f = (): Tensor => reluForward(x).out;
    expect(relError(evalNumericalGradientArray(f, x, dout), reluBackward(dout, reluForward(x).cache).dx)).toBeLessThan(1e-9);
  });
});

describe("layernorm", () => {
  it("normalizes each sample over its features", () => {
    const rng = new RandomState(4);
    const x = rng.randn(4, 6);
    for (let i = 0; i < x.size; i++) x.data[i] = 3 * x.data[i]! + 7;
    const { out } = layernormForward(x, Tensor.full([6], 1, "float64"), Tensor.zeros([6], "float64"));
    for (let i = 0; i < 4; i++) {
      const row = [...out.data.subarray(i * 6, i * 6 + 6)];
      const m = row.reduce((s, v) => s + v, 0) / 6;
      const v = row.reduce((s, u) => s + (u - m) ** 2, 0) / 6;
      expect(Math.abs(m)).toBeLessThan(1e-12);
      expect(Math.abs(v - 1)).toBeLessThan(1e-5);
    }
  });

  it("dx, dgamma, dbeta match centred differences (rel error < 1e-7)", () => {
    const rng = new RandomState(231);
    const x = rng.randn(4, 5);
    for (let i = 0; i < x.size; i++) x.data[i] = 5 * x.data[i]! + 12;
    const gamma = rng.randn(5);
    const beta = rng.randn(5);
    const dout = rng.randn(4, 5);
    const f = (): Tensor => layernormForward(x, gamma, beta).out;
    const { dx, dgamma, dbeta } = layernormBackward(dout, layernormForward(x, gamma, beta).cache);
    expect(relError(evalNumericalGradientArray(f, x, dout), dx)).toBeLessThan(1e-7);
    expect(relError(evalNumericalGradientArray(f, gamma, dout), dgamma)).toBeLessThan(1e-7);
    expect(relError(evalNumericalGradientArray(f, beta, dout), dbeta)).toBeLessThan(1e-7);
  });

  it("equals numpy on the fixture case", () => {
    const b = fix.batchnorm;
    const t = (k: string, shape: number[]): Tensor => Tensor.from(b[k]!, shape, "float64");
    const { out, cache } = layernormForward(t("x", [4, 5]), t("gamma", [5]), t("beta", [5]));
    expect(relError(out, fix.layernorm.out!)).toBeLessThan(1e-12);
    const g = layernormBackward(t("dout", [4, 5]), cache);
    expect(relError(g.dx, fix.layernorm.dx!)).toBeLessThan(1e-9);
    expect(relError(g.dgamma, fix.layernorm.dgamma!)).toBeLessThan(1e-12);
    expect(relError(g.dbeta, fix.layernorm.dbeta!)).toBeLessThan(1e-12);
  });
});

describe("dropout", () => {
  it("with a seed draws numpy's mask (rand(*shape) < p) / p", () => {
    const { seed, shape, p, mask } = fix.dropout;
    const x = Tensor.full(shape, 1, "float64");
    const { out } = dropoutForward(x, { p, mode: "train", seed });
    expect(relError(out, mask)).toBeLessThan(1e-15);
  });

  it("keeps about p of the units, preserves the mean, and is the identity in test mode", () => {
    const x = Tensor.full([500, 500], 1, "float64");
    for (const p of [0.25, 0.4, 0.7]) {
      const { out } = dropoutForward(x, { p, mode: "train", rng: new RandomState(0) });
      let kept = 0;
      let sum = 0;
      for (const v of out.data) {
        if (v !== 0) kept++;
        sum += v;
      }
      expect(Math.abs(kept / x.size - p)).toBeLessThan(0.01);
      expect(Math.abs(sum / x.size - 1)).toBeLessThan(0.02);
      const test = dropoutForward(x, { p, mode: "test" });
      expect(test.out.data).toBe(x.data);
    }
  });

  it("backward matches centred differences with the mask held fixed", () => {
    const rng = new RandomState(5);
    const x = rng.randn(6, 7);
    const dout = rng.randn(6, 7);
    const f = (): Tensor => dropoutForward(x, { p: 0.6, mode: "train", seed: 42 }).out;
    const { dx } = dropoutBackward(dout, dropoutForward(x, { p: 0.6, mode: "train", seed: 42 }).cache);
    expect(maxAbsError(evalNumericalGradientArray(f, x, dout), dx)).toBeLessThan(1e-9);
    expect(relError(evalNumericalGradientArray(f, x, dout), dx)).toBeLessThan(1e-8);
  });

  it("rejects a keep probability outside (0, 1]", () => {
    const x = Tensor.zeros([2, 2], "float64");
    expect(() => dropoutForward(x, { p: 0, mode: "train" })).toThrow(OptionError);
    expect(() => dropoutForward(x, { p: 1.5, mode: "train" })).toThrow("invalid dropoutParam.p: expected a keep probability in (0, 1], got 1.5");
  });
});

describe("losses", () => {
  const rng = new RandomState(6);
  const N = 50;
  const C = 10;
  const x = rng.randn(N, C);
  for (let i = 0; i < x.size; i++) x.data[i] = 1e-3 * x.data[i]!;
  const y = rng.randint(0, C, N);

  it("softmax: loss ≈ log C at tiny scores; dx matches centred differences", () => {
    const { loss, dx } = softmaxLoss(x, y);
    expect(Math.abs(loss - Math.log(C))).toBeLessThan(1e-2);
    const num = evalNumericalGradient(() => softmaxLoss(x, y).loss, x);
    expect(relError(num, dx)).toBeLessThan(1e-7);
  });

  it("softmax is numerically stable for huge scores", () => {
    const big = Tensor.from([1000, 0, -1000, 1000], [2, 2], "float64");
    const { loss, dx } = softmaxLoss(big, Int32Array.from([0, 0]));
    // row 0 is certain of class 0 (loss 0); row 1 puts class 0 2000 below class 1 (loss 2000)
    expect(loss).toBeCloseTo(1000, 9);
    for (const v of dx.data) expect(Number.isFinite(v)).toBe(true);
  });

  it("svm: loss ≈ C − 1 at tiny scores; dx matches centred differences", () => {
    const { loss, dx } = svmLoss(x, y);
    expect(Math.abs(loss - (C - 1))).toBeLessThan(1e-2);
    const num = evalNumericalGradient(() => svmLoss(x, y).loss, x);
    expect(relError(num, dx)).toBeLessThan(1e-7);
  });

  it("reject labels out of range or of the wrong length", () => {
    expect(() => softmaxLoss(x, new Int32Array(N - 1))).toThrow("softmaxLoss: y must have shape (50) to match x (50, 10), found (49)");
    const bad = y.slice();
    bad[3] = C;
    expect(() => svmLoss(x, bad)).toThrow("svmLoss: y[3] must be a class index in [0, 10), found 10");
  });
});

describe("sandwich helpers", () => {
  const rng = new RandomState(8);
  const x = rng.randn(4, 3, 2);
  const w = rng.randn(6, 5);
  const b = rng.randn(5);
  const gamma = rng.randn(5);
  const beta = rng.randn(5);
  const dout = rng.randn(4, 5);

  it("affine–relu equals its composition and gradient-checks", () => {
    const { out, cache } = affineReluForward(x, w, b);
    expect([...out.data]).toEqual([...reluForward(affineForward(x, w, b).out).out.data]);
    const { dx, dw, db } = affineReluBackward(dout, cache);
    const f = (): Tensor => affineReluForward(x, w, b).out;
    expect(relError(evalNumericalGradientArray(f, x, dout), dx)).toBeLessThan(1e-7);
    expect(relError(evalNumericalGradientArray(f, w, dout), dw)).toBeLessThan(1e-7);
    expect(relError(evalNumericalGradientArray(f, b, dout), db)).toBeLessThan(1e-7);
  });

  for (const kind of ["batchnorm", "layernorm"] as const) {
    it(`affine–${kind}–relu gradient-checks`, () => {
      const spec = (): NormSpec =>
        kind === "batchnorm" ? { kind, param: { mode: "train", running: createRunningStats(5, "float64") } } : { kind };
      const f = (): Tensor => affineNormReluForward(x, w, b, gamma, beta, spec()).out;
      const g = affineNormReluBackward(dout, affineNormReluForward(x, w, b, gamma, beta, spec()).cache);
      expect(relError(evalNumericalGradientArray(f, x, dout), g.dx)).toBeLessThan(1e-6);
      expect(relError(evalNumericalGradientArray(f, w, dout), g.dw)).toBeLessThan(1e-6);
      expect(relError(evalNumericalGradientArray(f, gamma, dout), g.dgamma)).toBeLessThan(1e-7);
      expect(relError(evalNumericalGradientArray(f, beta, dout), g.dbeta)).toBeLessThan(1e-7);
      // b feeds a normalization: its true gradient is 0 (batch norm) — compare absolutely.
      const dbNum = evalNumericalGradientArray(f, b, dout);
      if (kind === "batchnorm") {
        expect(maxAbsError(dbNum, g.db)).toBeLessThan(1e-8);
        expect(maxAbsError(g.db, new Float64Array(5))).toBeLessThan(1e-12);
      } else {
        expect(relError(dbNum, g.db)).toBeLessThan(1e-6);
      }
    });
  }
});
