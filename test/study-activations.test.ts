/**
 * The activation study's measurements: numpy's percentiles, the unit's input
 * taken from the trace (the value entering the sigmoid), probes that leave
 * training bit for bit as it was, and findings whose verdicts follow the numbers.
 */
import { describe, expect, it } from "vitest";
import { RandomState } from "../src/core/random.js";
import { Tensor } from "../src/core/tensor.js";
import { syntheticCifar } from "../src/data/synthetic.js";
import { subsetData } from "../src/experiments/training.js";
import {
  ACTIVATIONS_QUICK,
  activationsFindings,
  createActivationNet,
  percentileSorted,
  trainActivationArm,
  unitPercentiles,
  type ActivationsOptions,
  type ActivationsResult,
} from "../src/studies/activations/index.js";

describe("percentiles", () => {
  it("interpolate linearly as numpy's default: np.percentile([1, 2, 3, 4], [15, 50, 85]) = 1.45, 2.5, 3.55", () => {
    const v = Float64Array.from([1, 2, 3, 4]);
    expect(percentileSorted(v, 15)).toBeCloseTo(1.45, 12);
    expect(percentileSorted(v, 50)).toBe(2.5);
    expect(percentileSorted(v, 85)).toBeCloseTo(3.55, 12);
    expect(percentileSorted(Float64Array.from([7]), 85)).toBe(7);
  });

  for (const arm of ["baseline", "batchnorm"] as const) {
    it(`${arm}: of the value entering the last hidden layer's sigmoid, per unit, from the trace`, () => {
      const o: ActivationsOptions = { ...ACTIVATIONS_QUICK, hiddenDims: [7, 6], weightScale: 0.3 };
      const model = createActivationNet(o, arm, 5, "float64", new RandomState(4));
      const rng = new RandomState(9);
      const X = new Tensor(Float64Array.from(rng.randn(11, 5).data), [11, 5]);
      const y = Int32Array.from({ length: 11 }, (_, i) => i % 10);
      const before = model.snapshot();
      const p = unitPercentiles(model, X, y);
      const t = model.trace(X, y);
      const last = t.layers[1]!;
      const pre = (arm === "baseline" ? last.affine : last.normalized!).data;
      // The sigmoid's output is sigmoid(pre): the value followed is what enters the sigmoid.
      pre.forEach((v, k) => expect(last.activated.data[k]).toBeCloseTo(1 / (1 + Math.exp(-v)), 12));
      for (let j = 0; j < 6; j++) {
        const col = Float64Array.from({ length: 11 }, (_, i) => pre[i * 6 + j]!).sort();
        expect([p.p15[j], p.p50[j], p.p85[j]]).toEqual([percentileSorted(col, 15), percentileSorted(col, 50), percentileSorted(col, 85)]);
      }
      const after = model.snapshot();
      for (const [k, v] of before.params) expect(after.params.get(k), k).toEqual(v);
      for (const [k, v] of before.buffers) expect(after.buffers.get(k), k).toEqual(v);
    });
  }
});

describe("the activation study's probes", () => {
  const data = subsetData(syntheticCifar({ numTrain: 120, numVal: 30, seed: 3 }), 120, 30);
  const o: ActivationsOptions = { ...ACTIVATIONS_QUICK, hiddenDims: [10, 10, 10], numTrain: 120, numVal: 30, numEpochs: 2, batchSize: 30, probeEvery: 2, probeRows: 40 };

  it("leave training bit for bit as it was (losses, accuracies, final weights)", () => {
    for (const arm of ["baseline", "batchnorm"] as const) {
      const a = trainActivationArm(data, o, arm, 231, true);
      const b = trainActivationArm(data, o, arm, 231, false);
      expect(a.result.lossHistory, arm).toEqual(b.result.lossHistory);
      expect(a.solver.valAccHistory, arm).toEqual(b.solver.valAccHistory);
      const pa = a.model.snapshot();
      const pb = b.model.snapshot();
      for (const [k, v] of pa.params) expect(pb.params.get(k), `${arm} ${k}`).toEqual(v);
      for (const [k, v] of pa.buffers) expect(pb.buffers.get(k), `${arm} ${k}`).toEqual(v);
      expect(a.result.probes.map((p) => p.iteration)).toEqual([0, 2, 4, 6, 8]);
      expect(b.result.probes).toEqual([]);
    }
  });

  it("findings: 'moved less' follows the ratio of the medians' ranges", () => {
    const arms = (["baseline", "batchnorm"] as const).map((arm) => trainActivationArm(data, o, arm, 231).result);
    const r: ActivationsResult = { seed: 231, settings: o, arms };
    const unit = (x: ActivationsResult): string => activationsFindings(x).find((f) => f.id === "unit")!.text;
    // Make batch norm's median still and the baseline's move: "moved less"; the other way round: "moved more".
    const still = structuredClone(r);
    still.arms[1]!.probes.forEach((p, k) => ((p.p50 = 0.5), (still.arms[0]!.probes[k]!.p50 = k)));
    expect(unit(still)).toContain("With batch norm the distribution moved less");
    const moving = structuredClone(r);
    moving.arms[0]!.probes.forEach((p, k) => ((p.p50 = 0.5), (moving.arms[1]!.probes[k]!.p50 = k)));
    expect(unit(moving)).toContain("With batch norm the distribution moved more");
    expect(activationsFindings(r).find((f) => f.id === "setup")!.text).toContain("the paper used MNIST");
  });
});
