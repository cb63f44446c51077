import { describe, expect, it } from "vitest";
import { FullyConnectedNet, RandomState, Tensor, availableKernelPaths, getKernelPath, setKernelPath } from "../src/node.js";
import type { DType, FullyConnectedNetOptions, Normalization } from "../src/node.js";

/** Two models built from the same options and seed: same weights, same statistics, same mask stream. */
function twins(o: FullyConnectedNetOptions): [FullyConnectedNet, FullyConnectedNet] {
  return [new FullyConnectedNet(o), new FullyConnectedNet(o)];
}

function batch(rng: RandomState, N: number, D: number, C: number, dtype: DType): { X: Tensor; y: Int32Array } {
  const X = rng.randn(N, D);
  return { X: dtype === "float32" ? X.astype("float32") : X, y: rng.randint(0, C, N) };
}

describe("FullyConnectedNet.loss with reuseGradients", () => {
  const cases: [Normalization, number, number, DType][] = [
    ["batchnorm", 0, 1, "float32"],
    ["batchnorm", 0.7, 1, "float64"],
    ["layernorm", 0, 0.8, "float32"],
    [null, 0.25, 1, "float32"],
    [null, 0, 0.6, "float64"],
  ];
  for (const [normalization, reg, keep, dtype] of cases) {
    it(`gives the default's gradients bit for bit (${normalization}, reg ${reg}, keep ${keep}, ${dtype})`, () => {
      // Sizes above the WebAssembly thresholds (gemm, ReLU, batch norm) so the fast paths run too.
      const D = 300;
      const C = 7;
      const [fresh, reuse] = twins({
        hiddenDims: [64, 48], inputDim: D, numClasses: C, normalization, reg, dropoutKeepRatio: keep, dtype, weightScale: 5e-2, seed: 3,
      });
      const rng = new RandomState(11);
      let ownMap: Map<string, Tensor> | null = null;
      // Batch sizes change between calls (workspaces per size; gradients are not per size).
      for (const N of [50, 50, 13, 50, 1]) {
        const { X, y } = batch(rng, N, D, C, dtype);
        const a = fresh.loss(X, y);
        const b = reuse.loss(X, y, { reuseGradients: true });
        expect(b.loss).toBe(a.loss);
        expect([...b.grads.keys()]).toEqual([...fresh.params.keys()]);
        for (const [name, g] of a.grads) {
          const h = b.grads.get(name)!;
          expect(h.shape, name).toEqual(g.shape);
          expect(h.dtype, name).toBe(g.dtype);
          expect(Array.from(h.data), name).toEqual(Array.from(g.data));
        }
        // The same map and tensors every call: the model's own buffers.
        if (ownMap === null) ownMap = b.grads;
        else expect(b.grads).toBe(ownMap);
        // A default call after a reusing one still returns fresh arrays.
        expect(a.grads.get("W1")!.data).not.toBe(b.grads.get("W1")!.data);
      }
      // Updating the parameters identically keeps the twins identical (no hidden aliasing).
      for (const [name, t] of reuse.params) {
        const g = ownMap!.get(name)!.data;
        const f = fresh.params.get(name)!.data;
        for (let k = 0; k < t.data.length; k++) {
          t.data[k] = t.data[k]! - 0.1 * g[k]!;
          f[k] = f[k]! - 0.1 * g[k]!;
        }
      }
      const { X, y } = batch(rng, 50, D, C, dtype);
      expect(reuse.loss(X, y, { reuseGradients: true }).loss).toBe(fresh.loss(X, y).loss);
    });
  }

  it("leaves earlier default gradients alone", () => {
    const model = new FullyConnectedNet({ hiddenDims: [20], inputDim: 30, numClasses: 5, normalization: "batchnorm", seed: 1 });
    const rng = new RandomState(2);
    const { X, y } = batch(rng, 8, 30, 5, "float32");
    const kept = model.loss(X, y).grads;
    const copy = new Map([...kept].map(([n, t]) => [n, Array.from(t.data)]));
    const other = batch(rng, 8, 30, 5, "float32");
    model.loss(other.X, other.y, { reuseGradients: true });
    for (const [name, t] of kept) expect(Array.from(t.data), name).toEqual(copy.get(name));
  });
});

describe("FullyConnectedNet.loss with reg = 0 and a non-finite weight", () => {
  // The regularization then adds 0·Inf or 0·NaN: loss and that weight's gradient are NaN,
  // as in numpy. On the WebAssembly paths the model proves the weights finite from the
  // layer's output; an Infinity that only zero inputs meet (0·Inf = NaN there, skipped by
  // the reference gemm) must not slip through on any path.
  const D = 300;
  for (const path of availableKernelPaths()) {
    for (const [what, value, zeroColumn] of [["Infinity met only by zero inputs", Infinity, true], ["NaN", Number.NaN, false], ["-Infinity", -Infinity, false]] as const) {
      it(`${path}: ${what} in W1 makes the loss and dW1 there NaN`, () => {
        const previous = getKernelPath();
        setKernelPath(path);
        try {
          for (const normalization of ["batchnorm", null] as Normalization[]) {
            const model = new FullyConnectedNet({ hiddenDims: [64, 48], inputDim: D, numClasses: 7, normalization, weightScale: 5e-2, seed: 5 });
            const rng = new RandomState(6);
            const { X, y } = batch(rng, 50, D, 7, "float32");
            if (zeroColumn) for (let i = 0; i < 50; i++) X.data[i * D + 7] = 0;
            model.params.get("W1")!.data[7 * 64 + 5] = value;
            const { loss, grads } = model.loss(X, y, { reuseGradients: true });
            expect(loss, `${normalization}`).toBeNaN();
            expect(grads.get("W1")!.data[7 * 64 + 5], `${normalization}`).toBeNaN();
          }
        } finally {
          setKernelPath(previous);
        }
      });
    }
  }
});
