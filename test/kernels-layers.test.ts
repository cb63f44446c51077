/**
 * The layers and the net on every kernel path: each gives the float64 reference
 * result (computed on the TypeScript path from the same rounded inputs) over
 * random and ragged shapes, and the gradient checks of the core library pass on
 * every path.
 */
import { afterAll, describe, expect, it } from "vitest";
import { mulberry32 } from "./helpers/seeded.js";
import {
  FullyConnectedNet,
  RandomState,
  Solver,
  Tensor,
  affineBackward,
  affineForward,
  availableKernelPaths,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  createRunningStats,
  evalNumericalGradientArray,
  getKernelPath,
  gradcheckReport,
  layernormBackward,
  layernormForward,
  numericalModelGradients,
  relError,
  reluBackward,
  reluForward,
  setKernelPath,
  softmaxLoss,
  type DType,
  type KernelPath,
  type Model,
  type Normalization,
} from "../src/node.js";

const initialPath = getKernelPath();
afterAll(() => setKernelPath(initialPath));

const DIMS = [1, 2, 3, 5, 8, 17, 33, 64, 100, 129, 513];


function shapes(seed: number, count: number, dims: number, cap: number): number[][] {
  const r = mulberry32(seed);
  const out: number[][] = [];
  while (out.length < count) {
    const s = Array.from({ length: dims }, () => DIMS[Math.floor(r() * DIMS.length)]!);
    if (s.reduce((a, b) => a * b, 1) <= cap) out.push(s);
  }
  return out;
}

/** A tensor of the dtype with values in [-scale, scale) + shift, and its exact float64 copy. */
function pair(r: () => number, shape: number[], dtype: DType, scale = 1, shift = 0): [Tensor, Tensor] {
  const n = shape.reduce((a, b) => a * b, 1);
  const t = Tensor.from(Array.from({ length: n }, () => (r() * 2 - 1) * scale + shift), shape, dtype);
  return [t, t.astype("float64")];
}

function maxAbs(t: Tensor): number {
  let m = 0;
  for (let i = 0; i < t.size; i++) m = Math.max(m, Math.abs(t.data[i]!));
  return m;
}

/**
 * The error of x against ref, relative to `scale`: max|x − ref| / scale. The scale
 * is max|ref| unless a larger magnitude of the terms that cancel in the output is
 * given (a gradient that is ~0 in truth, batch norm's dx for tiny batches): there
 * only an absolute comparison at the size of those terms means anything.
 */
function err(x: Tensor, ref: Tensor, termScale = 0): number {
  expect(x.shape).toEqual(ref.shape);
  let e = 0;
  for (let i = 0; i < ref.size; i++) e = Math.max(e, Math.abs(x.data[i]! - ref.data[i]!));
  const s = Math.max(maxAbs(ref), termScale);
  return s === 0 ? e : e / s;
}

const TOL: Record<DType, number> = { float32: 1e-4, float64: 1e-12 };

/**
 * Runs `compute` on `path` and the float64 reference on "ts"; compares every
 * output. `termScales` gives, from the reference outputs, the magnitude of the
 * cancelling terms of some outputs (see `err`).
 */
function compare(
  path: KernelPath,
  dtype: DType,
  label: string,
  compute: (f64: boolean) => Record<string, Tensor>,
  termScales: (ref: Record<string, Tensor>) => Record<string, number> = () => ({}),
): void {
  setKernelPath("ts");
  const ref = compute(true);
  const scales = termScales(ref);
  setKernelPath(path);
  const got = compute(false);
  for (const k of Object.keys(ref)) {
    const e = err(got[k]!, ref[k]!, scales[k] ?? 0);
    if (!(e <= TOL[dtype])) throw new Error(`${label} ${k} on ${path} ${dtype}: relative error ${e} > ${TOL[dtype]}`);
  }
}

const paths = availableKernelPaths();

describe.each(paths)("layers on the %s path", (path) => {
  for (const dtype of ["float32", "float64"] as const) {
    it(`affine forward/backward, 80 shapes (${dtype})`, () => {
      const r = mulberry32(11);
      for (const [N, D, M] of shapes(1, 80, 3, 300_000)) {
        const [x, x64] = pair(r, [N!, D!], dtype);
        const [w, w64] = pair(r, [D!, M!], dtype);
        const [b, b64] = pair(r, [M!], dtype);
        const [dout, dout64] = pair(r, [N!, M!], dtype);
        compare(path, dtype, `affine (${N},${D},${M})`, (f64) => {
          const { out, cache } = f64 ? affineForward(x64, w64, b64) : affineForward(x, w, b);
          const { dx, dw, db } = affineBackward(f64 ? dout64 : dout, cache);
          return { out, dx, dw, db };
        });
      }
    });

    it(`batchnorm forward, staged and alt backward (train and test), relu, softmax, 60 shapes (${dtype})`, () => {
      const r = mulberry32(12);
      for (const [N, D] of shapes(2, 60, 2, 100_000)) {
        const [x, x64] = pair(r, [N!, D!], dtype, 3, 2);
        const [g, g64] = pair(r, [D!], dtype);
        const [b, b64] = pair(r, [D!], dtype);
        const [dout, dout64] = pair(r, [N!, D!], dtype);
        const y = Int32Array.from({ length: N! }, (_, i) => (i * 7) % D!);
        compare(path, dtype, `batchnorm (${N},${D})`, (f64) => {
          const running = createRunningStats(D!, f64 ? "float64" : dtype);
          running.var.fill(1.5);
          const { out, cache } = batchnormForward(f64 ? x64 : x, f64 ? g64 : g, f64 ? b64 : b, { mode: "train", running });
          const d = f64 ? dout64 : dout;
          const staged = batchnormBackward(d, cache);
          const alt = batchnormBackwardAlt(d, cache);
          const test = batchnormForward(f64 ? x64 : x, f64 ? g64 : g, f64 ? b64 : b, { mode: "test", running });
          const relu = reluForward(out);
          const loss = softmaxLoss(out, y);
          return {
            out, dx: staged.dx, dgamma: staged.dgamma, dbeta: staged.dbeta, dxAlt: alt.dx, dgammaAlt: alt.dgamma,
            testOut: test.out, runningVar: new Tensor(running.var, [D!]), relu: relu.out,
            reluDx: reluBackward(d, relu.cache).dx, lossDx: loss.dx, loss: Tensor.from([loss.loss], [1], "float64"),
            // dx = (gamma·ivar/N)·(N·dout − Σdout − xhat·Σ(dout·xhat)): terms of size |gamma·ivar·dout|.
            dxTerms: new Tensor(Float64Array.from(cache.ivar, (v, j) => Math.abs(v * cache.gamma[j]!) * maxAbs(d)), [D!]),
          };
        }, (ref) => ({ dx: maxAbs(ref["dxTerms"]!), dxAlt: maxAbs(ref["dxTerms"]!) }));
      }
    });

    it(`layernorm forward/backward, 40 shapes (${dtype})`, () => {
      const r = mulberry32(13);
      for (const [N, D] of shapes(3, 40, 2, 100_000)) {
        if (D! < 2) continue;
        const [x, x64] = pair(r, [N!, D!], dtype, 3, 1);
        const [g, g64] = pair(r, [D!], dtype);
        const [b, b64] = pair(r, [D!], dtype);
        const [dout, dout64] = pair(r, [N!, D!], dtype);
        compare(path, dtype, `layernorm (${N},${D})`, (f64) => {
          const { out, cache } = f64 ? layernormForward(x64, g64, b64, {}) : layernormForward(x, g, b, {});
          const { dx, dgamma, dbeta } = layernormBackward(f64 ? dout64 : dout, cache);
          return { out, dx, dgamma, dbeta };
        });
      }
    });

    it(`the net's loss and every gradient, 24 nets (${dtype})`, () => {
      const r = mulberry32(14);
      const norms: Normalization[] = [null, "batchnorm", "layernorm"];
      for (let k = 0; k < 24; k++) {
        // NOTE: hidden widths of at least 3: normalizing over one or two features is
        // so ill-conditioned in float32 (xhat = ±1) that only the float64 path can be held to the reference.
        const [N, D, H1, H2] = shapes(100 + k, 1, 4, 1e12)[0]!.map((v, i) => Math.min(Math.max(v, i >= 2 ? 3 : 1), 129));
        const C = 1 + Math.floor(r() * 12);
        const normalization = norms[k % 3]!;
        const [X, X64] = pair(r, [N!, D!], dtype);
        const y = Int32Array.from({ length: N! }, (_, i) => (i * 5 + k) % C);
        compare(path, dtype, `net ${normalization} (${N},${D},${H1},${H2},${C})`, (f64) => {
          const model = new FullyConnectedNet({
            hiddenDims: [H1!, H2!], inputDim: D!, numClasses: C, normalization, reg: 0.1, weightScale: 0.2, dtype: f64 ? "float64" : dtype, seed: k,
          });
          if (f64 && dtype === "float32") {
            // The reference starts from the float32 weights, exactly.
            for (const t of model.params.values()) t.data.set(Float32Array.from(t.data));
          }
          const { loss, grads } = model.loss(f64 ? X64 : X, y);
          return { loss: Tensor.from([loss], [1], "float64"), scores: model.scores(f64 ? X64 : X), ...Object.fromEntries(grads) };
        }, (ref) => {
          // A bias feeding a normalization has a true gradient of 0: compare it at
          // the size of its layer's weight gradient.
          const out: Record<string, number> = {};
          for (const name of Object.keys(ref)) if (/^b\d+$/.test(name)) out[name] = maxAbs(ref[`W${name.slice(1)}`]!);
          return out;
        });
      }
    });
  }

  it("affine backward passes a numerical gradient check (float64)", () => {
    setKernelPath(path);
    const rs = new RandomState(231);
    const x = rs.randn(10, 2, 3);
    const w = rs.randn(6, 5);
    const b = rs.randn(5);
    const dout = rs.randn(10, 5);
    const { cache } = affineForward(x, w, b);
    const { dx, dw, db } = affineBackward(dout, cache);
    expect(relError(dx.data, evalNumericalGradientArray(() => affineForward(x, w, b).out, x, dout).data)).toBeLessThan(1e-9);
    expect(relError(dw.data, evalNumericalGradientArray(() => affineForward(x, w, b).out, w, dout).data)).toBeLessThan(1e-9);
    expect(relError(db.data, evalNumericalGradientArray(() => affineForward(x, w, b).out, b, dout).data)).toBeLessThan(1e-9);
    expect(getKernelPath()).toBe(path);
  });

  for (const normalization of ["batchnorm", "layernorm", null] as Normalization[]) {
    it(`FullyConnectedNet gradient check, normalization ${normalization} (float64)`, () => {
      setKernelPath(path);
      const rs = new RandomState(231);
      const X = rs.randn(2, 15);
      const y = rs.randint(0, 10, 2);
      const model = new FullyConnectedNet({ hiddenDims: [20, 30], inputDim: 15, numClasses: 10, reg: 3.14, weightScale: 5e-2, dtype: "float64", normalization, seed: 0 });
      const { grads } = model.loss(X, y);
      const numeric = numericalModelGradients(model, X, y);
      const report = gradcheckReport(grads, numeric, { relTol: (n) => (n.startsWith("W") ? 1e-3 : 1e-5), absTol: 1e-8 });
      for (const e of report.entries) expect(e.ok, `${e.name}: rel ${e.relError}, abs ${e.maxAbsError}`).toBe(true);
      expect(getKernelPath()).toBe(path);
    });
  }

  it("a training step is bit-for-bit repeatable on this path", () => {
    setKernelPath(path);
    const rs = new RandomState(5);
    const X = rs.randn(50, 3 * 32 * 32).astype("float32");
    const y = rs.randint(0, 10, 50);
    const run = (): Float32Array[] => {
      const model = new FullyConnectedNet({ hiddenDims: [100, 50], normalization: "batchnorm", seed: 3 });
      model.loss(X, y);
      return [...model.loss(X, y).grads.values()].map((g) => Float32Array.from(g.data));
    };
    expect(run()).toEqual(run());
  });
});

describe("the lean training step (per-model workspace)", () => {
  it("never hands out workspace buffers: earlier scores and gradients survive later calls", () => {
    const rs = new RandomState(8);
    const X1 = rs.randn(6, 40);
    const X2 = rs.randn(6, 40);
    const y = rs.randint(0, 10, 6);
    for (const normalization of [null, "batchnorm", "layernorm"] as Normalization[]) {
      const model = new FullyConnectedNet({ hiddenDims: [20, 30], inputDim: 40, normalization, weightScale: 0.1, seed: 1 });
      const s1 = model.scores(X1);
      const s1copy = s1.data.slice();
      const g1 = model.loss(X1, y).grads;
      const g1copy = [...g1.values()].map((g) => g.data.slice());
      model.scores(X2);
      model.loss(X2, y);
      expect(s1.data).toEqual(s1copy);
      expect([...g1.values()].map((g) => g.data)).toEqual(g1copy);
      // And the same inputs give the same results as a fresh model (no stale state in the workspace).
      const fresh = new FullyConnectedNet({ hiddenDims: [20, 30], inputDim: 40, normalization, weightScale: 0.1, seed: 1 });
      if (normalization !== "batchnorm") expect(model.loss(X1, y).grads).toEqual(fresh.loss(X1, y).grads);
    }
  });

  it("converts an input of the other dtype through the workspace with the same result", () => {
    const rs = new RandomState(9);
    const X = rs.randn(5, 12);
    const y = rs.randint(0, 10, 5);
    const a = new FullyConnectedNet({ hiddenDims: [7], inputDim: 12, seed: 2 });
    const b = new FullyConnectedNet({ hiddenDims: [7], inputDim: 12, seed: 2 });
    expect(a.loss(X, y)).toEqual(b.loss(X.astype("float32"), y));
    expect(a.scores(X).data).toEqual(b.scores(X.astype("float32")).data);
  });
});

describe("batch norm's backward kernel", () => {
  it("matches the TypeScript loops on every path: dgamma, dbeta (and float64 dx) bit for bit, float32 dx within a few ulps", () => {
    const r = mulberry32(21);
    for (const dtype of ["float32", "float64"] as const) {
      for (const [N, D] of [[64, 32], [100, 500], [33, 65], [7, 513], [2048, 1], [50, 100]]) {
        const [x] = pair(r, [N!, D!], dtype, 4, 1);
        const [g] = pair(r, [D!], dtype);
        const [b] = pair(r, [D!], dtype);
        const [dout] = pair(r, [N!, D!], dtype);
        const results = paths.map((p) => {
          setKernelPath(p);
          const { cache } = batchnormForward(x, g, b, { mode: "train" });
          const { dx, dgamma, dbeta } = batchnormBackwardAlt(dout, cache);
          return [dx.data, dgamma.data, dbeta.data];
        });
        for (const res of results.slice(1)) {
          expect(res.slice(1)).toEqual(results[0]!.slice(1));
          if (dtype === "float64") expect(res[0]).toEqual(results[0]![0]);
          else {
            // float32 dx: evaluated in float32 arithmetic (as numpy does) instead of rounded once from float64.
            const ref = results[0]![0]!;
            const terms = Math.max(...Array.from(dout.data, Math.abs)) * Math.max(...Array.from(g.data, Math.abs)) * 10;
            for (let i = 0; i < ref.length; i++) expect(Math.abs(res[0]![i]! - ref[i]!)).toBeLessThanOrEqual(1e-6 * Math.max(terms, Math.abs(ref[i]!)));
          }
        }
      }
    }
  });
});

describe("batch norm's forward kernel", () => {
  it("is bit-identical to the TypeScript loops on every path (train and test mode, ragged D, both dtypes)", () => {
    const r = mulberry32(22);
    for (const dtype of ["float32", "float64"] as const) {
      for (const [N, D] of [[64, 32], [100, 500], [33, 65], [7, 513], [2048, 1], [50, 100], [2, 2047]]) {
        const [x] = pair(r, [N!, D!], dtype, 4, 1);
        const [g] = pair(r, [D!], dtype);
        const [b] = pair(r, [D!], dtype);
        const results = paths.map((p) => {
          setKernelPath(p);
          const running = createRunningStats(D!, dtype);
          running.var.fill(0.5);
          const train = batchnormForward(x, g, b, { mode: "train", running });
          const test = batchnormForward(x, g, b, { mode: "test", running });
          const c = train.cache;
          return [train.out.data, c.xhat, c.xmu, c.ivar, c.sqrtvar, c.var, running.mean, running.var, test.out.data, test.cache.xhat];
        });
        for (const res of results.slice(1)) expect(res).toEqual(results[0]);
      }
    }
  });
});

describe("scores of many rows at once (rowwiseScores)", () => {
  /** The same net seen as a model without `rowwiseScores`: the Solver then scores 100 rows per call. */
  function batched(net: FullyConnectedNet): Model {
    return {
      dtype: net.dtype,
      params: net.params,
      loss: (X, y) => net.loss(X, y),
      scores: (X) => net.scores(X),
      snapshot: () => net.snapshot(),
      restore: (sn) => net.restore(sn),
    };
  }

  for (const path of paths) {
    it(`${path}: 1000 (and 1037) rows in one call equal batches of 100, bit for bit; so do the Solver's checks`, () => {
      setKernelPath(path);
      const r = mulberry32(31);
      const nets: [Normalization, number, DType, number[]][] = [
        ["batchnorm", 1, "float32", [100, 100, 100]],
        ["batchnorm", 1, "float64", [50, 50]],
        ["layernorm", 1, "float32", [64, 33]],
        [null, 0.5, "float32", [17]],
        [null, 1, "float64", [3]],
      ];
      for (const [normalization, keep, dtype, hiddenDims] of nets) {
        const inputDim = path === "ts" ? 65 : dtype === "float32" ? 3072 : 129;
        const net = new FullyConnectedNet({ hiddenDims, inputDim, normalization, dropoutKeepRatio: keep, dtype, weightScale: 5e-2, seed: 3 });
        // A few training steps so that the running statistics and the weights are not at their initial values.
        const xb = new Tensor(Float64Array.from({ length: 20 * inputDim }, () => r() * 2 - 1), [20, inputDim]);
        for (let s = 0; s < 3; s++) {
          const { grads } = net.loss(xb, Int32Array.from({ length: 20 }, (_, i) => i % 10));
          for (const [name, w] of net.params) w.data.forEach((v, i) => (w.data[i] = v - 0.1 * grads.get(name)!.data[i]!));
        }
        for (const n of [1000, 1037]) {
          const x = new Float32Array(n * inputDim).map(() => r() * 2 - 1);
          const X = new Tensor(dtype === "float32" ? x : Float64Array.from(x), [n, inputDim]);
          const all = net.scores(X).data;
          for (let start = 0; start < n; start += 100) {
            const end = Math.min(start + 100, n);
            expect(net.scores(X.rows(start, end)).data, `${normalization} ${dtype} rows ${start}–${end}`).toEqual(all.subarray(start * 10, end * 10));
          }
          // The Solver's check: its chunks of 1000 against batches of 100, on all rows and on a drawn subsample.
          const y = Int32Array.from(all.filter((_, i) => i % 10 === 0), (v, i) => (v > 0 ? i % 10 : (i * 3) % 10));
          const data = { xTrain: X, yTrain: y, xVal: X, yVal: y };
          for (const numSamples of [null, 1000, 250]) {
            const a = new Solver(net, data, { seed: 5 }).checkAccuracy(X, y, numSamples);
            const b = new Solver(batched(net), data, { seed: 5 }).checkAccuracy(X, y, numSamples);
            expect(a).toBe(b);
            expect(a).toBeGreaterThan(0);
          }
        }
      }
    });
  }
});
