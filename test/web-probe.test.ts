/**
 * The playground's per-layer probe agrees with the net's own forward and backward
 * pass, and leaves the net untouched.
 */
import { describe, expect, it } from "vitest";
import { RandomState } from "../src/core/random.js";
import { FullyConnectedNet } from "../src/models/fc-net.js";
import { columnPercentiles, layerStats, meanStd, probeNet } from "../web/src/probe.js";
import { layerStatsSpec } from "../web/src/charts.js";

function problem(seed: number): { X: ReturnType<RandomState["randn"]>; y: Int32Array } {
  const rng = new RandomState(seed);
  const X = rng.randn(9, 12);
  const y = rng.randint(0, 4, 9);
  return { X, y };
}

describe("probeNet", () => {
  for (const normalization of [null, "batchnorm", "layernorm"] as const) {
    it(`matches the net's loss and gradients (${normalization ?? "none"})`, () => {
      const net = new FullyConnectedNet({ hiddenDims: [7, 6, 5], inputDim: 12, numClasses: 4, normalization, weightScale: 0.5, dtype: "float64", seed: 3 });
      const { X, y } = problem(11);
      const before = net.snapshot();
      const probe = probeNet(net, X, y);
      // The probe changed neither parameters nor running statistics.
      const after = net.snapshot();
      for (const [k, v] of before.params) expect(Array.from(after.params.get(k)!)).toEqual(Array.from(v));
      for (const [k, v] of before.buffers) expect(Array.from(after.buffers.get(k)!)).toEqual(Array.from(v));

      const { loss, grads } = net.loss(X, y);
      expect(probe.loss).toBeCloseTo(loss, 12);
      expect(probe.layers).toHaveLength(3);
      probe.layers.forEach((l, i) => {
        expect(l.pre.shape).toEqual([9, net.hiddenDims[i]]);
        // The gradient at the ReLU input, summed over the batch, is db (no norm) or dbeta (norm).
        const name = normalization === null ? `b${i + 1}` : `beta${i + 1}`;
        const expected = grads.get(name)!.data;
        const H = net.hiddenDims[i]!;
        for (let j = 0; j < H; j++) {
          let s = 0;
          for (let n = 0; n < 9; n++) s += l.grad.data[n * H + j]!;
          expect(Math.abs(s - expected[j]!)).toBeLessThan(1e-12 + 1e-9 * Math.abs(expected[j]!));
        }
      });
    });
  }

  it("summarizes each layer: batch norm's ReLU input has zero mean and unit std", () => {
    const net = new FullyConnectedNet({ hiddenDims: [8, 8], inputDim: 12, numClasses: 4, normalization: "batchnorm", weightScale: 0.5, dtype: "float64", seed: 5 });
    const { X, y } = problem(2);
    const stats = layerStats(net, X, y);
    expect(stats).toHaveLength(2);
    for (const s of stats) {
      expect(Math.abs(s.pre.mean)).toBeLessThan(1e-9);
      // Per-column unit variance (minus eps's small effect, at this weight scale) means unit std overall.
      expect(s.pre.std).toBeGreaterThan(0.99);
      expect(s.pre.std).toBeLessThan(1.0001);
      expect(s.grad.mean).toBeGreaterThan(0);
    }
    const plain = new FullyConnectedNet({ hiddenDims: [8, 8], inputDim: 12, numClasses: 4, weightScale: 1e-3, dtype: "float64", seed: 5 });
    const tiny = layerStats(plain, X, y);
    // Without normalization, a tiny weight scale shrinks the activations layer by layer.
    expect(tiny[1]!.pre.std).toBeLessThan(tiny[0]!.pre.std);
    expect(tiny[0]!.pre.std).toBeLessThan(0.1);
  });

  it("percentiles of one column as numpy's default (linear interpolation)", () => {
    // Column 1 of a (10, 2) array holds 10, 9, …, 1: np.percentile(range(1, 11), [15, 50, 85]).
    const a = Array.from({ length: 20 }, (_, k) => (k % 2 === 0 ? 100 : 10 - (k - 1) / 2));
    const p = columnPercentiles(a, 2, 1);
    expect(p.p15).toBeCloseTo(2.35, 12);
    expect(p.p50).toBeCloseTo(5.5, 12);
    expect(p.p85).toBeCloseTo(8.65, 12);
  });

  it("layerStats carries the first unit's percentiles; the chart draws them as bands", () => {
    const net = new FullyConnectedNet({ hiddenDims: [6, 5], inputDim: 12, numClasses: 4, weightScale: 0.5, dtype: "float64", seed: 1 });
    const { X, y } = problem(4);
    const stats = layerStats(net, X, y);
    const probe = probeNet(net, X, y);
    stats.forEach((s, i) => {
      expect(s.unit).toEqual(columnPercentiles(probe.layers[i]!.pre.data, net.hiddenDims[i]!, 0));
      expect(s.unit.p15).toBeLessThanOrEqual(s.unit.p50);
      expect(s.unit.p50).toBeLessThanOrEqual(s.unit.p85);
      expect(s.unit.p15).toBeLessThan(s.unit.p85);
    });
    const spec = layerStatsSpec([{ label: "left", normalization: "none", points: [{ iteration: 0, layers: stats }] }], "unitPercentiles") as unknown as {
      data: { values: { layer: number; p15: number; p85: number }[] };
    };
    expect(spec.data.values).toHaveLength(2);
    expect(spec.data.values[1]!.p85).toBe(stats[1]!.unit.p85);
  });

  it("meanStd of values and of absolute values", () => {
    expect(meanStd([1, -1, 3, -3])).toEqual({ mean: 0, std: Math.sqrt(5) });
    expect(meanStd([1, -1, 3, -3], true)).toEqual({ mean: 2, std: 1 });
  });
});
