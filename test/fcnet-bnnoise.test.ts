/**
 * Noisy batch norm (Santurkar et al. 2018): zero noise is batch norm bit for bit,
 * the noise follows the documented distribution from its own stream, its gradient
 * checks with the draw held fixed, and mistakes are OptionErrors.
 */
import { describe, expect, it } from "vitest";
import { FullyConnectedNet, OptionError, RandomState, Solver, Tensor, gradcheckReport, numericalModelGradients } from "../src/node.js";
import type { BnNoise, FullyConnectedNetOptions, Normalization } from "../src/node.js";
import type { FloatArray } from "../src/core/tensor.js";

const [N, D, C] = [6, 5, 3];
const HIDDEN = [4, 6];

function problem(seed: number): { X: Tensor; y: Int32Array } {
  const rng = new RandomState(seed);
  return { X: rng.randn(N, D), y: rng.randint(0, C, N) };
}

function sameBits(a: FloatArray, b: FloatArray): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function net(options: Partial<FullyConnectedNetOptions>): FullyConnectedNet {
  return new FullyConnectedNet({ hiddenDims: HIDDEN, inputDim: D, numClasses: C, weightScale: 0.5, normalization: "batchnorm", seed: 2, ...options });
}

describe("bnNoise with shift = scale = 0 is batch norm, bit for bit", () => {
  for (const dtype of ["float32", "float64"] as const) {
    for (const keep of [1, 0.8]) {
      it(`${dtype}, keep ${keep}: three losses, gradients, running statistics and the rng`, () => {
        const plain = net({ dtype, dropoutKeepRatio: keep });
        const noisy = net({ dtype, dropoutKeepRatio: keep, bnNoise: { shift: 0, scale: 0, seed: 5 } });
        const { X, y } = problem(1);
        for (let step = 0; step < 3; step++) {
          const a = plain.loss(X, y);
          const b = noisy.loss(X, y);
          expect(Object.is(a.loss, b.loss)).toBe(true);
          for (const [k, g] of a.grads) expect(sameBits(b.grads.get(k)!.data, g.data), k).toBe(true);
        }
        for (const [k, v] of plain.snapshot().buffers) expect(sameBits(noisy.snapshot().buffers.get(k)!, v), k).toBe(true);
        // The noise comes from its own stream: the training stream drew the same masks.
        expect(noisy.rng.getState()).toEqual(plain.rng.getState());
        expect(noisy.noiseRng!.getState()).not.toEqual(new RandomState(5).getState());
      });
    }
  }

  it("a short Solver run (adam, 3 epochs): the same losses and the same final parameters", () => {
    const train = (bnNoise?: BnNoise): { losses: number[]; params: ReadonlyMap<string, FloatArray> } => {
      const rng = new RandomState(9);
      const data = { xTrain: rng.randn(40, D), yTrain: rng.randint(0, C, 40), xVal: rng.randn(10, D), yVal: rng.randint(0, C, 10) };
      const model = net(bnNoise === undefined ? {} : { bnNoise });
      const s = new Solver(model, data, { updateRule: "adam", optimConfig: { learningRate: 1e-2 }, batchSize: 10, numEpochs: 3, seed: 4 });
      s.train();
      return { losses: s.lossHistory, params: model.snapshot().params };
    };
    const a = train();
    const b = train({ shift: 0, scale: 0 });
    expect(a.losses).toHaveLength(12);
    expect(b.losses.map((v, i) => Object.is(v, a.losses[i]))).toEqual(a.losses.map(() => true));
    for (const [k, v] of a.params) expect(sameBits(b.params.get(k)!, v), k).toBe(true);
  });
});

describe("bnNoise with noise", () => {
  const noise = { shift: 0.5, scale: 0.8, seed: 11 };

  it("out[:, j] = s_j·bn[:, j] + m_j, m_j = shift·(2u_j − 1), s_j = 1 + scale·v_j, u then v from RandomState(seed).rand(D), layer by layer", () => {
    const plain = net({ dtype: "float64" });
    const noisy = net({ dtype: "float64", bnNoise: noise });
    const { X, y } = problem(3);
    const tp = plain.trace(X, y);
    const tn = noisy.trace(X, y);
    // Layer 1 sees the same input, so its batch-norm output is the same before the noise.
    const rs = new RandomState(noise.seed);
    const H = HIDDEN[0]!;
    const u = rs.rand(H).data;
    const v = rs.rand(H).data;
    const bn = tp.layers[0]!.normalized!.data;
    const out = tn.layers[0]!.normalized!.data;
    for (let n = 0; n < N; n++) {
      for (let j = 0; j < H; j++) {
        const m = noise.shift * (2 * u[j]! - 1);
        const s = 1 + noise.scale * v[j]!;
        expect(out[n * H + j]).toBe(s * bn[n * H + j]! + m);
      }
    }
    // The stream moved by 2·D per hidden layer and nothing else.
    const expected = new RandomState(noise.seed);
    expected.rand(2 * HIDDEN.reduce((a, b) => a + b, 0));
    expect(noisy.noiseRng!.getState()).toEqual(expected.getState());
    // Backward treats the noise as a constant: dbeta = Σ_rows s_j·dNormalized.
    const dn = tn.layers[0]!.dNormalized!.data;
    for (let j = 0; j < H; j++) {
      let sum = 0;
      for (let n = 0; n < N; n++) sum += (1 + noise.scale * v[j]!) * dn[n * H + j]!;
      expect(Math.abs(sum - tn.layers[0]!.dbeta!.data[j]!)).toBeLessThan(1e-14 + 1e-10 * Math.abs(sum));
    }
  });

  it("is drawn afresh at every train-mode pass, never in test mode", () => {
    const noisy = net({ dtype: "float64", bnNoise: noise });
    const plain = net({ dtype: "float64" });
    const { X, y } = problem(4);
    // Test mode: no noise (the same scores as batch norm; the stream untouched).
    const before = noisy.noiseRng!.getState();
    expect(sameBits(noisy.scores(X).data, plain.scores(X).data)).toBe(true);
    noisy.trace(X, y, { mode: "test" });
    expect(noisy.noiseRng!.getState()).toEqual(before);
    const l1 = noisy.loss(X, y).loss;
    const l2 = noisy.loss(X, y).loss;
    expect(l1).not.toBe(l2);
    // Rewinding the stream replays the draw.
    const state = noisy.noiseRng!.getState();
    const a = noisy.loss(X, y).loss;
    noisy.noiseRng!.setState(state);
    expect(noisy.loss(X, y).loss).toBe(a);
  });

  it("gradient check (float64), the draw held fixed by rewinding noiseRng: relative error < 1e-5 or absolute < 1e-8", () => {
    const noisy = net({ dtype: "float64", bnNoise: noise, reg: 0.2 });
    const { X, y } = problem(5);
    const state = noisy.noiseRng!.getState();
    const rewind = (): void => noisy.noiseRng!.setState(state);
    rewind();
    const { grads } = noisy.loss(X, y);
    const numeric = numericalModelGradients(noisy, X, y, { beforeEach: rewind });
    const report = gradcheckReport(grads, numeric, { relTol: 1e-5, absTol: 1e-8 });
    for (const e of report.entries) expect(e.ok, `${e.name}: rel ${e.relError}, abs ${e.maxAbsError}`).toBe(true);
    // The noise matters: the gradients differ from plain batch norm's.
    const plain = net({ dtype: "float64", reg: 0.2 }).loss(X, y).grads;
    expect(sameBits(plain.get("gamma1")!.data, grads.get("gamma1")!.data)).toBe(false);
  });
});

describe("bnNoise option errors", () => {
  const bad: [string, Partial<FullyConnectedNetOptions>, RegExp][] = [
    ["no normalization", { normalization: null, bnNoise: { shift: 0.1, scale: 0.1 } }, /bnNoise/],
    ["layer norm", { normalization: "layernorm" as Normalization, bnNoise: { shift: 0.1, scale: 0.1 } }, /bnNoise.*batchnorm/],
    ["a negative shift", { bnNoise: { shift: -0.1, scale: 0.1 } }, /bnNoise\.shift/],
    ["a negative scale", { bnNoise: { shift: 0.1, scale: -1 } }, /bnNoise\.scale/],
    ["a NaN scale", { bnNoise: { shift: 0.1, scale: NaN } }, /bnNoise\.scale/],
    ["a fractional seed", { bnNoise: { shift: 0.1, scale: 0.1, seed: 1.5 } }, /bnNoise\.seed/],
    ["not an object", { bnNoise: 3 as unknown as BnNoise }, /bnNoise/],
  ];
  for (const [what, o, re] of bad) {
    it(what, () => {
      expect(() => net(o)).toThrow(OptionError);
      expect(() => net(o)).toThrow(re);
    });
  }
});
