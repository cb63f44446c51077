import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  FullyConnectedNet,
  OptionError,
  RandomState,
  Tensor,
  gradcheckReport,
  numericalModelGradients,
  relError,
} from "../src/node.js";
import type { FullyConnectedNetOptions, Normalization } from "../src/node.js";

const [N, D, H1, H2, C] = [2, 15, 20, 30, 10];

function problem(seed: number): { X: Tensor; y: Int32Array } {
  const rng = new RandomState(seed);
  return { X: rng.randn(N, D), y: rng.randint(0, C, N) };
}

/** Weights to 1e-3, everything else to 1e-5; ~0 gradients (a bias feeding a norm) to 1e-8 absolute. */
function check(model: FullyConnectedNet, X: Tensor, y: Int32Array, beforeEach?: () => void) {
  const rewind = beforeEach ?? ((): void => {});
  rewind();
  const { loss, grads } = model.loss(X, y);
  const numeric = numericalModelGradients(model, X, y, { beforeEach: rewind });
  const report = gradcheckReport(grads, numeric, { relTol: (n) => (n.startsWith("W") ? 1e-3 : 1e-5), absTol: 1e-8 });
  return { loss, report, grads, numeric };
}

describe("FullyConnectedNet gradient checks (float64, N, D, H1, H2, C = 2, 15, 20, 30, 10)", () => {
  const { X, y } = problem(231);
  for (const normalization of ["batchnorm", "layernorm", null] as Normalization[]) {
    for (const reg of [0, 3.14]) {
      it(`normalization ${normalization}, reg ${reg}`, () => {
        const model = new FullyConnectedNet({
          hiddenDims: [H1, H2], inputDim: D, numClasses: C, reg, weightScale: 5e-2, dtype: "float64", normalization, seed: 0,
        });
        const { loss, report, grads } = check(model, X, y);
        expect([...grads.keys()]).toEqual([...model.params.keys()]);
        expect(Number.isFinite(loss)).toBe(true);
        for (const e of report.entries) expect(e.ok, `${e.name}: rel ${e.relError}, abs ${e.maxAbsError}`).toBe(true);
        // The plain max relative error as the notebook prints it, except for b1 and b2
        // under batch norm: they feed the normalization, their true gradient is 0,
        // and only the absolute comparison means something.
        const zeroGrad = normalization === "batchnorm" ? ["b1", "b2"] : [];
        for (const e of report.entries) {
          if (zeroGrad.includes(e.name)) expect(e.maxAbsError, e.name).toBeLessThan(1e-8);
          else expect(e.relError, e.name).toBeLessThan(e.name.startsWith("W") ? 1e-3 : 1e-5);
        }
      });
    }
  }

  for (const normalization of [null, "batchnorm"] as Normalization[]) {
    it(`with dropout (keep 0.75), normalization ${normalization}, the mask stream rewound for every evaluation`, () => {
      const rng = new RandomState(17);
      const model = new FullyConnectedNet({
        hiddenDims: [H1, H2], inputDim: D, numClasses: C, weightScale: 5e-2, dtype: "float64", dropoutKeepRatio: 0.75, rng,
        normalization,
      });
      const { X: X5, y: y5 } = problem(5);
      const state = rng.getState();
      const { report } = check(model, X5, y5, () => rng.setState(state));
      for (const e of report.entries) expect(e.ok, `${e.name}: rel ${e.relError}, ${e.failing} failing`).toBe(true);
      // Without the rewind, two loss evaluations draw different masks.
      expect(model.loss(X5, y5).loss).not.toBe(model.loss(X5, y5).loss);
    });
  }
});

describe("FullyConnectedNet structure", () => {
  it("draws W_i = weightScale·randn(d_i, d_i+1) in layer order, as numpy does", () => {
    const fix = JSON.parse(readFileSync(new URL("./fixtures/layers-numpy.json", import.meta.url), "utf8")) as {
      fcInit: { seed: number; dims: number[]; weightScale: number; W: number[][] };
    };
    const { seed, dims, weightScale, W } = fix.fcInit;
    for (const normalization of [null, "batchnorm"] as Normalization[]) {
      const model = new FullyConnectedNet({
        hiddenDims: dims.slice(1, -1), inputDim: dims[0]!, numClasses: dims.at(-1)!, weightScale, seed, dtype: "float64", normalization,
      });
      W.forEach((w, i) => expect(relError(model.params.get(`W${i + 1}`)!, w)).toBeLessThan(1e-15));
    }
  });

  it("names parameters W1, b1, gamma1, beta1, … with no normalization on the last layer", () => {
    const model = new FullyConnectedNet({ hiddenDims: [4, 3], inputDim: 5, numClasses: 2, normalization: "layernorm" });
    expect([...model.params.keys()]).toEqual(["W1", "b1", "gamma1", "beta1", "W2", "b2", "gamma2", "beta2", "W3", "b3"]);
    expect(model.params.get("W1")!.dtype).toBe("float32");
    expect([...model.params.get("gamma2")!.data]).toEqual([1, 1, 1]);
    expect([...model.params.get("b3")!.data]).toEqual([0, 0]);
  });

  it("adds 0.5·reg·ΣW² to the loss (weights only)", () => {
    const { X, y } = problem(3);
    const opts: FullyConnectedNetOptions = { hiddenDims: [H1], inputDim: D, numClasses: C, dtype: "float64", seed: 1, weightScale: 0.1 };
    const plain = new FullyConnectedNet(opts).loss(X, y).loss;
    const withReg = new FullyConnectedNet({ ...opts, reg: 0.7 });
    let ss = 0;
    for (const name of ["W1", "W2"]) for (const v of withReg.params.get(name)!.data) ss += v * v;
    expect(withReg.loss(X, y).loss).toBeCloseTo(plain + 0.5 * 0.7 * ss, 12);
  });

  it("scores use the running statistics; snapshot/restore bring parameters and statistics back", () => {
    const rng = new RandomState(9);
    const X = rng.randn(8, 6);
    const y = rng.randint(0, 3, 8);
    const model = new FullyConnectedNet({ hiddenDims: [5], inputDim: 6, numClasses: 3, normalization: "batchnorm", dtype: "float64", seed: 2 });
    const fresh = model.scores(X);
    const snap = model.snapshot();
    model.loss(X, y); // moves the running statistics
    const moved = model.scores(X);
    expect(relError(fresh, moved)).toBeGreaterThan(1e-3);
    const W1 = model.params.get("W1")!;
    W1.data[0] = 123;
    model.restore(snap);
    expect(model.params.get("W1")).toBe(W1); // same tensor object, restored in place
    expect([...model.scores(X).data]).toEqual([...fresh.data]);
    expect(snap.buffers.has("runningMean1")).toBe(true);
  });

  it("float32 models compute in float32 and accept float64 inputs", () => {
    const model = new FullyConnectedNet({ hiddenDims: [7], inputDim: 4, numClasses: 3, normalization: "batchnorm", seed: 0 });
    const X = new RandomState(0).randn(5, 4);
    const { loss, grads } = model.loss(X, Int32Array.from([0, 1, 2, 0, 1]));
    expect(Number.isFinite(loss)).toBe(true);
    for (const g of grads.values()) expect(g.dtype).toBe("float32");
    expect(model.scores(X.reshape([5, 2, 2])).shape).toEqual([5, 3]);
  });
});

describe("FullyConnectedNet option errors name the option and the value", () => {
  const base: FullyConnectedNetOptions = { hiddenDims: [4], inputDim: 3, numClasses: 2 };
  const bad: [Partial<FullyConnectedNetOptions> | Record<string, unknown>, string][] = [
    [{ hiddenDims: [] }, "invalid hiddenDims: expected a non-empty array of positive integers, got []"],
    [{ hiddenDims: [4, 2.5] }, "invalid hiddenDims: expected a non-empty array of positive integers, got [4, 2.5]"],
    [{ normalization: "instancenorm" }, 'invalid normalization: expected null, "batchnorm", "layernorm", "groupnorm" or "batchrenorm", got "instancenorm"'],
    [{ dtype: "float16" }, 'invalid dtype: expected "float32" or "float64", got "float16"'],
    [{ reg: -1 }, "invalid reg: expected a finite number >= 0, got -1"],
    [{ weightScale: -0.1 }, "invalid weightScale: expected a finite number >= 0, got -0.1"],
    [{ dropoutKeepRatio: 0 }, "invalid dropoutKeepRatio: expected a keep probability in (0, 1], got 0"],
    [{ dropoutKeepRatio: 1.2 }, "invalid dropoutKeepRatio: expected a keep probability in (0, 1], got 1.2"],
    [{ inputDim: 0 }, "invalid inputDim: expected a positive integer, got 0"],
  ];
  for (const [opts, message] of bad) {
    it(message, () => {
      const make = (): FullyConnectedNet => new FullyConnectedNet({ ...base, ...opts } as FullyConnectedNetOptions);
      expect(make).toThrow(OptionError);
      expect(make).toThrow(message);
    });
  }

  it("rejects inputs of the wrong feature size and bad labels", () => {
    const model = new FullyConnectedNet({ ...base, seed: 0 });
    expect(() => model.scores(Tensor.zeros([2, 4]))).toThrow("invalid X: expected shape (N, 3)");
    expect(() => model.scores(Tensor.zeros([2, 4]))).toThrow("got [2, 4]");
    expect(() => model.loss(Tensor.zeros([2, 3]), Int32Array.from([0]))).toThrow("invalid y: expected 2 labels (one per row of X), got 1");
    expect(() => model.loss(Tensor.zeros([2, 3]), Int32Array.from([0, 2]))).toThrow("invalid y[1]: expected a class index in [0, 2), got 2");
  });
});
