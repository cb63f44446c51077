/**
 * The smooth activations (sigmoid, tanh): values, numerical stability, gradient
 * checks in float64 at the layer and through FullyConnectedNet, and the option's
 * validation. The default relu path is the one every other test already pins.
 */
import { describe, expect, it } from "vitest";
import {
  FullyConnectedNet,
  OptionError,
  RandomState,
  Tensor,
  evalNumericalGradientArray,
  gradcheckReport,
  numericalModelGradients,
  relError,
  Solver,
  startBackgroundCheckThread,
  sigmoidBackward,
  sigmoidForward,
  tanhBackward,
  tanhForward,
} from "../src/node.js";
import type { Activation, Normalization } from "../src/node.js";

const layers = {
  sigmoid: { forward: sigmoidForward, backward: sigmoidBackward, f: (v: number) => 1 / (1 + Math.exp(-v)) },
  tanh: { forward: tanhForward, backward: tanhBackward, f: Math.tanh },
};

describe("sigmoid and tanh layers", () => {
  for (const [name, l] of Object.entries(layers)) {
    it(`${name}: values and a float64 gradient check (relative error < 1e-9)`, () => {
      const rng = new RandomState(3);
      const x = rng.randn(6, 5);
      const dout = rng.randn(6, 5);
      const { out, cache } = l.forward(x);
      expect(out.shape).toEqual([6, 5]);
      for (let k = 0; k < x.size; k++) expect(Math.abs(out.data[k]! - l.f(x.data[k]!))).toBeLessThan(1e-15);
      const { dx } = l.backward(dout, cache);
      const numeric = evalNumericalGradientArray(() => l.forward(x).out, x, dout);
      expect(relError(dx.data, numeric.data)).toBeLessThan(1e-9);
    });

    it(`${name}: float32 into a given buffer, the dtype kept`, () => {
      const x = Tensor.from([-2, -0.5, 0, 0.5, 2], [5], "float32");
      const buf = new Float32Array(5);
      const { out, cache } = l.forward(x, buf);
      expect(out.data).toBe(buf);
      expect(out.dtype).toBe("float32");
      const dx = l.backward(Tensor.full([5], 1, "float32"), cache, new Float32Array(5)).dx;
      expect(dx.dtype).toBe("float32");
      expect(() => l.backward(Tensor.full([4], 1, "float32"), cache)).toThrow(RangeError);
    });
  }

  it("sigmoid is stable at large |x|: finite, in [0, 1], 0.5 at 0, no NaN", () => {
    const x = Tensor.from([-1000, -745, -40, 0, 40, 1000], [6], "float64");
    const { out, cache } = sigmoidForward(x);
    expect(Array.from(out.data).every((v) => Number.isFinite(v) && v >= 0 && v <= 1)).toBe(true);
    expect(out.data[3]).toBe(0.5);
    expect(out.data[5]).toBe(1);
    // e^(-40) / (1 + e^(-40)): the tiny value itself, not 1 − (1 − tiny) rounded to 0.
    expect(Math.abs(out.data[2]! / Math.exp(-40) - 1)).toBeLessThan(1e-12);
    expect(out.data[1]!).toBeGreaterThan(0);
    const dx = sigmoidBackward(Tensor.full([6], 1, "float64"), cache).dx;
    expect(Array.from(dx.data).every((v) => Number.isFinite(v) && v >= 0 && v <= 0.25)).toBe(true);
  });

  it("tanh saturates to ±1 without overflow", () => {
    const { out } = tanhForward(Tensor.from([-1000, 1000], [2], "float64"));
    expect(Array.from(out.data)).toEqual([-1, 1]);
  });
});

describe("FullyConnectedNet with activation sigmoid / tanh (float64 gradient checks)", () => {
  const rng = new RandomState(231);
  const X = rng.randn(4, 8);
  const y = rng.randint(0, 5, 4);
  for (const activation of ["sigmoid", "tanh"] as Activation[]) {
    for (const normalization of [null, "batchnorm", "layernorm"] as Normalization[]) {
      it(`${activation}, ${normalization ?? "no"} normalization: every parameter, relative error < 1e-6 (or absolute < 1e-9)`, () => {
        const net = new FullyConnectedNet({
          hiddenDims: [7, 6], inputDim: 8, numClasses: 5, activation, normalization, weightScale: 0.5, reg: 0.1, dtype: "float64", seed: 1,
        });
        const { grads } = net.loss(X, y);
        const report = gradcheckReport(grads, numericalModelGradients(net, X, y), { relTol: 1e-6, absTol: 1e-9 });
        for (const e of report.entries) expect(e.ok, `${e.name}: rel ${e.relError}, abs ${e.maxAbsError}`).toBe(true);
        // The hidden values are the activation's: sigmoid in (0, 1), tanh in (−1, 1).
        const t = net.trace(X, y);
        for (const l of t.layers) {
          const pre = (l.normalized ?? l.affine).data;
          for (let k = 0; k < pre.length; k++) expect(l.activated.data[k]).toBe(layers[activation as "sigmoid" | "tanh"].forward(Tensor.from([pre[k]!], [1], "float64")).out.data[0]);
        }
      });
    }
  }

  it('"relu" given explicitly is the default, bit for bit', () => {
    const a = new FullyConnectedNet({ hiddenDims: [7, 6], inputDim: 8, numClasses: 5, normalization: "batchnorm", seed: 2 });
    const b = new FullyConnectedNet({ hiddenDims: [7, 6], inputDim: 8, numClasses: 5, normalization: "batchnorm", seed: 2, activation: "relu" });
    expect(a.activation).toBe("relu");
    const ra = a.loss(X, y);
    const rb = b.loss(X, y);
    expect(Object.is(ra.loss, rb.loss)).toBe(true);
    for (const [k, g] of ra.grads) expect(Array.from(rb.grads.get(k)!.data)).toEqual(Array.from(g.data));
  });

  it("an activation of another name is an OptionError", () => {
    expect(() => new FullyConnectedNet({ hiddenDims: [3], activation: "gelu" as Activation })).toThrow(OptionError);
    expect(() => new FullyConnectedNet({ hiddenDims: [3], activation: "gelu" as Activation })).toThrow(/activation/);
  });
});

describe("a tanh net's accuracy checks on the background thread", () => {
  it("give the inline checks' results exactly (the worker rebuilds the net with its activation)", () => {
    expect(startBackgroundCheckThread(true, 60_000)).toBe(true);
    const rs = new RandomState(5);
    const d = { xTrain: rs.randn(200, 16), yTrain: rs.randint(0, 10, 200), xVal: rs.randn(80, 16), yVal: rs.randint(0, 10, 80) };
    const run = (backgroundChecks: boolean): Solver => {
      const model = new FullyConnectedNet({ hiddenDims: [30], inputDim: 16, activation: "tanh", weightScale: 0.3, dtype: "float64", seed: 3 });
      const s = new Solver(model, d, { updateRule: "adam", optimConfig: { learningRate: 5e-3 }, batchSize: 25, numEpochs: 3, seed: 11, backgroundChecks });
      s.train();
      return s;
    };
    const inline = run(false);
    const bg = run(true);
    expect(bg.valAccHistory).toEqual(inline.valAccHistory);
    expect(bg.trainAccHistory).toEqual(inline.trainAccHistory);
    expect(inline.valAccHistory).toHaveLength(4);
  });
});
