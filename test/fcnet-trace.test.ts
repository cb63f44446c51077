/**
 * FullyConnectedNet.trace: the same loss and gradients as `loss` (bit for bit),
 * per-layer values and gradients that agree with numerical gradients, and a model
 * that tracing leaves as it was.
 */
import { describe, expect, it } from "vitest";
import { FullyConnectedNet, OptionError, RandomState, Tensor, evalNumericalGradient, relError } from "../src/node.js";
import type { FullyConnectedNetOptions, Normalization } from "../src/node.js";
import type { FloatArray } from "../src/core/tensor.js";

const [N, D, C] = [5, 6, 4];
const HIDDEN = [7, 5, 6];

function problem(seed: number): { X: Tensor; y: Int32Array } {
  const rng = new RandomState(seed);
  return { X: rng.randn(N, D), y: rng.randint(0, C, N) };
}

/** Same bits (a signed zero or a NaN payload would count as a difference). */
function sameBits(a: FloatArray, b: FloatArray): boolean {
  if (a.constructor !== b.constructor || a.length !== b.length) return false;
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));
}

function net(options: Partial<FullyConnectedNetOptions>): FullyConnectedNet {
  return new FullyConnectedNet({ hiddenDims: HIDDEN, inputDim: D, numClasses: C, weightScale: 0.5, seed: 4, ...options });
}

describe("trace equals loss bit for bit", () => {
  for (const dtype of ["float32", "float64"] as const) {
    for (const normalization of ["batchnorm", "layernorm", null] as Normalization[]) {
      for (const keep of [1, 0.7]) {
        it(`${dtype}, ${normalization ?? "no"} normalization, keep ${keep}, reg 0.3`, () => {
          const opts = { dtype, normalization, dropoutKeepRatio: keep, reg: 0.3 };
          const a = net(opts);
          const b = net(opts);
          const { X, y } = problem(7);
          const ref = a.loss(X, y);
          const t = b.trace(X, y);
          expect(Object.is(t.loss, ref.loss)).toBe(true);
          expect([...t.grads.keys()]).toEqual([...ref.grads.keys()]);
          for (const [name, g] of ref.grads) expect(sameBits(t.grads.get(name)!.data, g.data), name).toBe(true);
          expect(t.layers).toHaveLength(HIDDEN.length);
          t.layers.forEach((l, i) => {
            expect(l.dW).toBe(t.grads.get(`W${i + 1}`));
            expect(l.db).toBe(t.grads.get(`b${i + 1}`));
            expect(l.dgamma).toBe(t.grads.get(`gamma${i + 1}`) ?? null);
            expect(l.dbeta).toBe(t.grads.get(`beta${i + 1}`) ?? null);
            expect(l.normalized === null).toBe(normalization === null);
            expect(l.dNormalized === null).toBe(normalization === null);
            expect(l.input.shape).toEqual([N, i === 0 ? D : HIDDEN[i - 1]]);
            for (const v of [l.affine, l.activated, l.dAffine, l.dActivated]) expect(v.shape).toEqual([N, HIDDEN[i]]);
            // Without dropout a layer's output is the next one's input, and the gradients meet there.
            if (keep === 1 && i + 1 < HIDDEN.length) {
              expect(sameBits(t.layers[i + 1]!.input.data, l.activated.data)).toBe(true);
              expect(sameBits(t.layers[i + 1]!.dInput.data, l.dActivated.data)).toBe(true);
            }
          });
          // The same dropout masks: both nets drew the same numbers from equal streams.
          expect(b.rng.getState()).toEqual(a.rng.getState());
          // Test mode: the scores of `scores` (the same rows, the same bits).
          const ts = b.trace(X, y, { mode: "test" });
          expect(sameBits(ts.scores.data, b.scores(X).data)).toBe(true);
        });
      }
    }
  }

  it("each layer's values follow from the one before (affine, normalization, ReLU)", () => {
    const t = net({ dtype: "float64", normalization: "batchnorm" }).trace(problem(3).X, problem(3).y);
    for (const l of t.layers) {
      const pre = l.normalized!.data;
      for (let k = 0; k < pre.length; k++) expect(l.activated.data[k]).toBe(pre[k]! > 0 ? pre[k] : 0);
      // Batch norm with gamma = 1, beta = 0: each column of the normalized value has mean ~0.
      const H = l.affine.shape[1]!;
      for (let j = 0; j < H; j++) {
        let s = 0;
        for (let n = 0; n < N; n++) s += pre[n * H + j]!;
        expect(Math.abs(s / N)).toBeLessThan(1e-12);
      }
      // dbeta is the column sum of the gradient at the normalization's output.
      for (let j = 0; j < H; j++) {
        let s = 0;
        for (let n = 0; n < N; n++) s += l.dNormalized!.data[n * H + j]!;
        expect(Math.abs(s - l.dbeta!.data[j]!)).toBeLessThan(1e-14 + 1e-10 * Math.abs(s));
      }
    }
  });
});

/**
 * The network from hidden layer `i` on, with that layer's parameters, as a net of its own.
 * `identity`: a first layer with W = I and b = 0 whose input is layer i's affine output
 * (so its input gradient is layer i's dAffine); otherwise layer i itself, fed layer i's input.
 */
function tail(full: FullyConnectedNet, i: number, identity: boolean): FullyConnectedNet {
  const dims = full.hiddenDims;
  const hiddenDims = dims.slice(i);
  const inputDim = i === 0 ? full.inputDim : dims[i - 1]!;
  const sub = new FullyConnectedNet({
    hiddenDims: identity ? [dims[i]!, ...dims.slice(i + 1)] : hiddenDims,
    inputDim: identity ? dims[i]! : inputDim,
    numClasses: full.numClasses,
    normalization: full.normalization,
    dtype: "float64",
    seed: 0,
  });
  for (let k = 1; k <= hiddenDims.length + 1; k++) {
    const from = i + k;
    for (const p of ["W", "b", "gamma", "beta"]) {
      const dst = sub.params.get(`${p}${k}`);
      if (dst === undefined) continue;
      if (identity && k === 1 && (p === "W" || p === "b")) {
        dst.data.fill(0);
        if (p === "W") for (let j = 0; j < dims[i]!; j++) dst.data[j * dims[i]! + j] = 1;
        continue;
      }
      dst.data.set(full.params.get(`${p}${from}`)!.data);
    }
  }
  return sub;
}

describe("trace gradients agree with numerical gradients (float64, centred differences, h = 1e-5)", () => {
  for (const normalization of ["batchnorm", "layernorm", null] as Normalization[]) {
    it(`dInput and dAffine of every hidden layer, ${normalization ?? "no"} normalization: relative error < 1e-6`, () => {
      const full = net({ dtype: "float64", normalization });
      const { X, y } = problem(11);
      const t = full.trace(X, y);
      t.layers.forEach((l, i) => {
        for (const identity of [false, true]) {
          const sub = tail(full, i, identity);
          const x = (identity ? l.affine : l.input).clone();
          // The tail reproduces the full net's loss from layer i's value (train mode, batch statistics).
          expect(Math.abs(sub.trace(x, y).loss - t.loss)).toBeLessThan(1e-12);
          const numeric = evalNumericalGradient(() => sub.trace(x, y).loss, x);
          const analytic = identity ? l.dAffine : l.dInput;
          expect(relError(analytic.data, numeric.data), `layer ${i + 1} ${identity ? "dAffine" : "dInput"}`).toBeLessThan(1e-6);
          expect(sub.trace(x, y).layers[0]!.dInput.data.every((v, k) => Math.abs(v - analytic.data[k]!) < 1e-13)).toBe(true);
        }
      });
    });
  }
});

describe("tracing leaves the model as it was", () => {
  it("train mode: running statistics, parameters and rng untouched; later losses identical", () => {
    const a = net({ dtype: "float32", normalization: "batchnorm" });
    const b = net({ dtype: "float32", normalization: "batchnorm" });
    const { X, y } = problem(5);
    const before = b.snapshot();
    const rng = b.rng.getState();
    b.trace(X, y);
    const after = b.snapshot();
    for (const [k, v] of before.params) expect(sameBits(after.params.get(k)!, v)).toBe(true);
    for (const [k, v] of before.buffers) expect(sameBits(after.buffers.get(k)!, v), k).toBe(true);
    expect(b.rng.getState()).toEqual(rng);
    for (let step = 0; step < 2; step++) {
      const ra = a.loss(X, y);
      const rb = b.loss(X, y);
      expect(Object.is(ra.loss, rb.loss)).toBe(true);
      for (const [k, g] of ra.grads) expect(sameBits(rb.grads.get(k)!.data, g.data)).toBe(true);
    }
    for (const [k, v] of a.snapshot().buffers) expect(sameBits(b.snapshot().buffers.get(k)!, v)).toBe(true);
  });

  it("test mode with dropout: draws nothing from rng; later losses identical", () => {
    const a = net({ dtype: "float64", normalization: "batchnorm", dropoutKeepRatio: 0.6 });
    const b = net({ dtype: "float64", normalization: "batchnorm", dropoutKeepRatio: 0.6 });
    const { X, y } = problem(6);
    a.loss(X, y);
    b.loss(X, y);
    const rng = b.rng.getState();
    const t = b.trace(X, y, { mode: "test" });
    expect(b.rng.getState()).toEqual(rng);
    // Test mode: dropout is the identity, so a layer's output is the next one's input.
    expect(sameBits(t.layers[1]!.input.data, t.layers[0]!.activated.data)).toBe(true);
    const ra = a.loss(X, y);
    const rb = b.loss(X, y);
    expect(Object.is(ra.loss, rb.loss)).toBe(true);
    for (const [k, g] of ra.grads) expect(sameBits(rb.grads.get(k)!.data, g.data)).toBe(true);
  });

  it("updateRunningStats: the running statistics move exactly as in loss", () => {
    const a = net({ dtype: "float32", normalization: "batchnorm" });
    const b = net({ dtype: "float32", normalization: "batchnorm" });
    const { X, y } = problem(8);
    a.loss(X, y);
    b.trace(X, y, { updateRunningStats: true });
    const sa = a.snapshot().buffers;
    const sb = b.snapshot().buffers;
    expect(sa.size).toBe(2 * HIDDEN.length);
    for (const [k, v] of sa) {
      expect(sameBits(sb.get(k)!, v), k).toBe(true);
      expect(v.some((e) => e !== 0)).toBe(true);
    }
  });

  it("the returned tensors are copies: a later call does not change them", () => {
    const b = net({ dtype: "float64", normalization: "layernorm" });
    const { X, y } = problem(9);
    const t = b.trace(X, y);
    const keep = t.layers.map((l) => [l.affine.data.slice(), l.dAffine.data.slice(), t.scores.data.slice()]);
    b.loss(problem(10).X, problem(10).y);
    t.layers.forEach((l, i) => {
      expect(sameBits(l.affine.data, keep[i]![0]!)).toBe(true);
      expect(sameBits(l.dAffine.data, keep[i]![1]!)).toBe(true);
      expect(sameBits(t.scores.data, keep[i]![2]!)).toBe(true);
    });
  });

  it("views: the same values without copies, overwritten by the model's next pass", () => {
    const b = net({ dtype: "float32", normalization: "batchnorm" });
    const { X, y } = problem(9);
    const copies = b.trace(X, y);
    const views = b.trace(X, y, { views: true });
    views.layers.forEach((l, i) => {
      const c = copies.layers[i]!;
      for (const k of ["input", "affine", "activated", "dInput", "dAffine", "dActivated", "dW"] as const) expect(sameBits(l[k].data, c[k].data), k).toBe(true);
      expect(sameBits(l.normalized!.data, c.normalized!.data)).toBe(true);
    });
    expect(sameBits(views.scores.data, copies.scores.data)).toBe(true);
    expect(views.loss).toBe(copies.loss);
    const before = views.layers[1]!.affine.data.slice();
    b.loss(problem(10).X, problem(10).y);
    // A view shows the later pass's values (the same workspace); the copy keeps the traced ones.
    expect(sameBits(views.layers[1]!.affine.data, before)).toBe(false);
    expect(sameBits(copies.layers[1]!.affine.data, before)).toBe(true);
    expect(() => b.trace(X, y, { views: 1 as unknown as boolean })).toThrow(OptionError);
  });

  it("rejects a mode other than train or test", () => {
    const { X, y } = problem(1);
    expect(() => net({}).trace(X, y, { mode: "eval" as "test" })).toThrow(OptionError);
  });
});
