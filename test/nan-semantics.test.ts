/**
 * NaN semantics are numpy's, so a diverged run looks diverged: ReLU keeps NaN (and
 * -0) as `np.maximum(0, x)` does and its backward pass is the product
 * `dout * (x > 0)`, on every kernel path; a NaN input gives a NaN loss; batch norm
 * refuses an empty training batch instead of writing NaN into the running
 * statistics; a Tensor over a non-float array is refused instead of truncating.
 */
import { afterAll, describe, expect, it } from "vitest";
import {
  FullyConnectedNet, RandomState, Tensor, availableKernelPaths, batchnormForward, createRunningStats, getKernelPath,
  reluBackward, reluForward, setKernelPath, softmaxLoss,
} from "../src/index.js";
import type { FloatArray } from "../src/index.js";
import { WASM_MIN_RELU } from "../src/kernels/index.js";

const initialPath = getKernelPath();
afterAll(() => setKernelPath(initialPath));

// numpy 2.4.6, float32 and float64 alike:
//   x = [-0., nan, -1, 2, 0.];  d = [-1, -2, inf, 3, -4]
//   np.maximum(0, x) -> [-0., nan, 0., 2., 0.]      d * (x > 0) -> [-0., -0., nan, 3., -0.]
const X = [-0, Number.NaN, -1, 2, 0];
const D = [-1, -2, Infinity, 3, -4];
const FORWARD = [-0, Number.NaN, 0, 2, 0];
const BACKWARD = [-0, -0, Number.NaN, 3, -0];

/** The pattern repeated to n elements (so the SIMD body and the scalar tail both see each case). */
const tile = (v: number[], n: number): number[] => Array.from({ length: n }, (_, i) => v[i % v.length]!);

function expectSame(got: FloatArray, want: number[], what: string): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${what}[${i}]: got ${Object.is(got[i], -0) ? "-0" : got[i]}, numpy gives ${Object.is(want[i], -0) ? "-0" : want[i]}`);
  }
}

describe("ReLU keeps NaN as numpy does", () => {
  for (const path of availableKernelPaths()) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${path} ${dtype}: forward np.maximum(0, x), backward dout * (x > 0)`, () => {
        setKernelPath(path);
        for (const n of [5, WASM_MIN_RELU + 3]) {
          const make = (v: number[]): Tensor => Tensor.from(tile(v, n), [n], dtype);
          const f = reluForward(make(X));
          expectSame(f.out.data, tile(FORWARD, n), `forward n=${n}`);
          expectSame(reluBackward(make(D), f.cache).dx.data, tile(BACKWARD, n), `backward n=${n}`);
        }
      });
    }
  }
});

describe("a NaN input diverges visibly", () => {
  for (const normalization of [null, "layernorm"] as const) {
    it(`FullyConnectedNet (${normalization ?? "no normalization"}): one NaN pixel gives a NaN loss`, () => {
      const rng = new RandomState(0);
      const net = new FullyConnectedNet({ hiddenDims: [20, 20], inputDim: 12, numClasses: 5, normalization, seed: 1 });
      const X = rng.randn(4, 12).astype("float32");
      const y = Int32Array.from([0, 1, 2, 3]);
      expect(Number.isFinite(net.loss(X, y).loss)).toBe(true);
      X.data[5] = Number.NaN;
      expect(Number.isNaN(net.loss(X, y).loss)).toBe(true);
      // The row's scores are NaN, as numpy's would be (before, ReLU zeroed the NaN and the scores were finite).
      const scores = net.scores(X);
      expect(Array.from(scores.data.subarray(0, 5)).every(Number.isNaN)).toBe(true);
      expect(Number.isNaN(softmaxLoss(scores, y).loss)).toBe(true);
    });
  }
});

describe("batch norm with no rows", () => {
  it("train mode refuses N = 0 and leaves the running statistics as they were", () => {
    const running = createRunningStats(3, "float64");
    running.mean.set([1, 2, 3]);
    running.var.set([4, 5, 6]);
    const x = Tensor.zeros([0, 3], "float64");
    const g = Tensor.full([3], 1, "float64");
    const b = Tensor.zeros([3], "float64");
    expect(() => batchnormForward(x, g, b, { mode: "train", running })).toThrow(/x has no rows \(N = 0\); train mode needs a batch/);
    expect(Array.from(running.mean)).toEqual([1, 2, 3]);
    expect(Array.from(running.var)).toEqual([4, 5, 6]);
    // Test mode has nothing to take from the batch: an empty batch gives an empty output.
    expect(batchnormForward(x, g, b, { mode: "test", running }).out.shape).toEqual([0, 3]);
  });
});

describe("Tensor data must be a float array", () => {
  it.each([
    ["Int32Array", new Int32Array([1, 2, 3])],
    ["Uint8Array", new Uint8Array([1, 2, 3])],
    ["Float16-less plain array", [1, 2, 3] as unknown],
  ])("%s is refused with a TypeError naming it", (_name, data) => {
    expect(() => new Tensor(data as Float32Array, [3])).toThrow(TypeError);
    expect(() => new Tensor(data as Float32Array, [3])).toThrow(/Tensor: data must be a Float32Array or Float64Array, got (Int32Array|Uint8Array|Array)/);
  });
  it("float arrays still pass", () => {
    expect(new Tensor(new Float32Array(3), [3]).dtype).toBe("float32");
    expect(new Tensor(new Float64Array(3), [3]).dtype).toBe("float64");
  });
});
