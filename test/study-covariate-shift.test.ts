/**
 * The covariate-shift study's measurements: the internal-covariate-shift probe
 * against a direct computation by hand on a tiny float64 net (the earlier
 * layers stepped with Adam written out here, G and G′ by centred differences),
 * layer 1's shift exactly zero, the probes leaving training bit for bit
 * unchanged, and findings whose verdicts follow the numbers.
 */
import { describe, expect, it } from "vitest";
import { RandomState } from "../src/core/random.js";
import type { FloatArray } from "../src/core/tensor.js";
import { syntheticCifar } from "../src/data/synthetic.js";
import { subsetData } from "../src/experiments/training.js";
import { evalNumericalGradient } from "../src/gradcheck/index.js";
import { FullyConnectedNet } from "../src/models/fc-net.js";
import { getUpdateRule, type OptimConfig } from "../src/optim/index.js";
import {
  COVARIATE_SHIFT_QUICK,
  covariateShiftFindings,
  icsProbe,
  landscapeProbe,
  paramLayer,
  trainArm,
  type ArmName,
  type ArmResult,
  type CovariateShiftOptions,
  type CovariateShiftResult,
  type ProbeRecord,
} from "../src/studies/covariate-shift/index.js";
import { activationProbe, distributionShift, quantileSorted } from "../src/studies/covariate-shift/activations.js";

const ADAM = { learningRate: 0.05, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Adam's step written out (the assignment's formula), on a copy of w. */
function adamByHand(w: FloatArray, dw: FloatArray, c: { m: Float64Array; v: Float64Array; t: number }): Float64Array {
  const out = Float64Array.from(w);
  const t = c.t + 1;
  for (let k = 0; k < w.length; k++) {
    const m = ADAM.beta1 * c.m[k]! + (1 - ADAM.beta1) * dw[k]!;
    const v = ADAM.beta2 * c.v[k]! + (1 - ADAM.beta2) * dw[k]! * dw[k]!;
    const mt = m / (1 - ADAM.beta1 ** t);
    const vt = v / (1 - ADAM.beta2 ** t);
    out[k] = w[k]! - (ADAM.learningRate * mt) / (Math.sqrt(vt) + ADAM.epsilon);
  }
  return out;
}

function tinyNet(normalization: "batchnorm" | null): FullyConnectedNet {
  return new FullyConnectedNet({ hiddenDims: [6, 5], inputDim: 4, numClasses: 3, normalization, dtype: "float64", weightScale: 0.5, seed: 7 });
}

function norm(a: FloatArray): number {
  let s = 0;
  for (const x of a) s += x * x;
  return Math.sqrt(s);
}

describe("icsProbe agrees with a direct computation (float64, centred differences)", () => {
  for (const normalization of ["batchnorm", null] as const) {
    it(`${normalization ?? "baseline"}: ‖G − G′‖ and cos(G, G′) per layer; layer 1 exactly 0`, () => {
      const model = tinyNet(normalization);
      const rng = new RandomState(3);
      const X = rng.randn(8, 4);
      const y = rng.randint(0, 3, 8);
      // Adam part-way through training: random moments and step count, per parameter.
      const state = new Map<string, { m: Float64Array; v: Float64Array; t: number }>();
      const configs = new Map<string, OptimConfig>();
      for (const [name, p] of model.params) {
        const m = Float64Array.from(rng.randn(p.size).data, (x) => 0.01 * x);
        const v = Float64Array.from(rng.rand(p.size).data, (x) => 1e-4 * x);
        state.set(name, { m, v, t: 3 });
        configs.set(name, { ...ADAM, m: m.slice(), v: v.slice(), t: 3 });
      }
      const probe = icsProbe(model, X, y, getUpdateRule("adam"), configs);
      expect(probe).toHaveLength(3);

      const lossOf = (): number => model.loss(X, y).loss;
      const snap = model.snapshot();
      const G = new Map<string, Float64Array>();
      for (const [name, p] of model.params) G.set(name, evalNumericalGradient(lossOf, p).data as Float64Array);
      for (let i = 1; i <= 3; i++) {
        model.restore(snap);
        for (const [name, p] of model.params) if (paramLayer(name) < i) p.data.set(adamByHand(snap.params.get(name)!, G.get(name)!, state.get(name)!));
        const g = G.get(`W${i}`)!;
        const g2 = evalNumericalGradient(lossOf, model.params.get(`W${i}`)!).data;
        const diff = g.map((x, k) => x - g2[k]!);
        const l2 = norm(diff);
        let dot = 0;
        for (let k = 0; k < g.length; k++) dot += g[k]! * g2[k]!;
        const cos = dot / (norm(g) * norm(g2));
        const got = probe[i - 1]!;
        if (i === 1) {
          // No earlier layer: G′ is G, bit for bit.
          expect(got.l2).toBe(0);
          expect(got.cos).toBe(1);
        } else {
          expect(l2).toBeGreaterThan(1e-3 * norm(g)); // the step really moved the gradient
          // NOTE: centred differences (h = 1e-5) on smooth pieces: relative error ~1e-8; 1e-6 allows kinks nearby.
          expect(Math.abs(got.l2 - l2) / l2).toBeLessThan(1e-6);
          expect(Math.abs(got.cos - cos)).toBeLessThan(1e-8);
        }
        expect(Math.abs(got.gNorm - norm(g)) / norm(g)).toBeLessThan(1e-7);
      }
      model.restore(snap);
      // The probe copied the rule's state: the configs it was given are untouched.
      for (const [name, c] of configs) {
        expect(c.t).toBe(3);
        expect(c.m).toEqual(state.get(name)!.m);
      }
    });
  }
});

describe("the probes leave the model and training exactly as without them", () => {
  const data = subsetData(syntheticCifar({ numTrain: 100, numVal: 50, numTest: 10, seed: 5 }), 100, 50);
  const o: CovariateShiftOptions = { ...COVARIATE_SHIFT_QUICK, hiddenDims: [20, 20, 20], numTrain: 100, numVal: 50, numEpochs: 2, batchSize: 25, probeEvery: 1, stepSizes: [0.01, 0.3, 3] };

  it("landscapeProbe and icsProbe restore parameters and running statistics bit for bit", () => {
    const model = new FullyConnectedNet({ hiddenDims: [20, 20], inputDim: 3072, normalization: "batchnorm", seed: 1 });
    const X = data.xTrain.rows(0, 25);
    const y = data.yTrain.subarray(0, 25);
    model.loss(X, y); // non-zero running statistics
    const before = model.snapshot();
    const land = landscapeProbe(model, X, y, [0.1, 1]);
    icsProbe(model, X, y, getUpdateRule("adam"), new Map());
    expect(model.snapshot()).toEqual(before);
    expect(land.losses).toHaveLength(2);
    expect(land.beta).toBeGreaterThan(0);
  });

  for (const arm of ["baseline", "batchnorm", "noisy"] as ArmName[]) {
    it(`${arm}: losses, accuracies, weights, running statistics, optimizer state and the streams equal the run without probes`, () => {
      const probed = trainArm(data, o, arm, 11, true);
      const plain = trainArm(data, o, arm, 11, false);
      expect(probed.model.noiseRng?.getState()).toEqual(plain.model.noiseRng?.getState());
      expect(probed.model.noiseRng === null).toBe(arm !== "noisy");
      expect(probed.result.probes).toHaveLength(8);
      expect(plain.result.probes).toHaveLength(0);
      expect(probed.result.lossHistory).toEqual(plain.result.lossHistory);
      expect(probed.result.trainAccHistory).toEqual(plain.result.trainAccHistory);
      expect(probed.result.valAccHistory).toEqual(plain.result.valAccHistory);
      expect(probed.model.snapshot()).toEqual(plain.model.snapshot());
      expect(probed.rng.getState()).toEqual(plain.rng.getState());
      expect([...probed.solver.optimConfigs]).toEqual([...plain.solver.optimConfigs]);
      for (const p of probed.result.probes) {
        expect(p.ics.l2[0]).toBe(0);
        expect(p.ics.l2.slice(1).every((v) => v > 0)).toBe(true);
      }
    });
  }
});

describe("noisy batch norm in the study", () => {
  const data = subsetData(syntheticCifar({ numTrain: 100, numVal: 50, numTest: 10, seed: 6 }), 100, 50);
  const o: CovariateShiftOptions = { ...COVARIATE_SHIFT_QUICK, hiddenDims: [20, 20, 20], numTrain: 100, numVal: 50, numEpochs: 2, batchSize: 25, probeEvery: 2, stepSizes: [0.01, 0.3] };

  it("with zero noise is batch norm bit for bit: training, weights and every probe", () => {
    const noisy = trainArm(data, { ...o, noise: { shift: 0, scale: 0 } }, "noisy", 4);
    const bn = trainArm(data, o, "batchnorm", 4);
    expect(noisy.model.noiseRng).not.toBeNull();
    expect(noisy.result.lossHistory).toEqual(bn.result.lossHistory);
    expect(noisy.result.valAccHistory).toEqual(bn.result.valAccHistory);
    expect(noisy.model.snapshot()).toEqual(bn.model.snapshot());
    expect(noisy.result.probes).toEqual(bn.result.probes);
  });

  it("with noise moves the activations' distributions more than batch norm between probes", () => {
    const noisy = trainArm(data, { ...o, noise: { shift: 0.5, scale: 0.5 } }, "noisy", 4);
    const bn = trainArm(data, o, "batchnorm", 4);
    const meanShift = (r: ArmResult): number => {
      const v = r.probes.slice(1).flatMap((p) => p.activation.shift);
      return v.reduce((a, b) => a + b, 0) / v.length;
    };
    expect(noisy.result.lossHistory).not.toEqual(bn.result.lossHistory);
    expect(meanShift(noisy.result)).toBeGreaterThan(3 * meanShift(bn.result));
  });
});

describe("activationProbe", () => {
  it("gives each hidden layer's column means and stds of the value entering the activation, numpy's percentiles, and changes nothing", () => {
    const model = new FullyConnectedNet({ hiddenDims: [6, 5], inputDim: 4, numClasses: 3, normalization: "batchnorm", dtype: "float64", weightScale: 0.5, seed: 7, bnNoise: { shift: 0.3, scale: 0.2, seed: 1 } });
    const rng = new RandomState(9);
    const X = rng.randn(8, 4);
    const y = rng.randint(0, 3, 8);
    const noise = model.noiseRng!;
    const guard = { save: () => noise.getState(), restore: (s: unknown) => noise.setState(s as ReturnType<typeof noise.getState>) };
    const before = { snap: model.snapshot(), noise: noise.getState() };
    const dist = activationProbe(model, X, y, guard);
    expect(model.snapshot()).toEqual(before.snap);
    expect(noise.getState()).toEqual(before.noise);
    const layers = model.trace(X, y).layers;
    expect(dist).toHaveLength(2);
    dist.forEach((d, i) => {
      const v = layers[i]!.normalized!;
      const [N, D] = v.shape as [number, number];
      for (let j = 0; j < D; j++) {
        const col = Array.from({ length: N }, (_, r) => v.data[r * D + j]!);
        const m = col.reduce((a, b) => a + b, 0) / N;
        expect(d.mean[j]).toBeCloseTo(m, 12);
        expect(d.std[j]).toBeCloseTo(Math.sqrt(col.reduce((a, b) => a + (b - m) ** 2, 0) / N), 12);
      }
      expect(distributionShift(d, d)).toBe(0);
    });
    // numpy: np.percentile([1, 2, 3, 4], [15, 50, 85]) = [1.45, 2.5, 3.55]
    const q = Float64Array.from([1, 2, 3, 4]);
    const got = [0.15, 0.5, 0.85].map((p) => quantileSorted(q, p));
    [1.45, 2.5, 3.55].forEach((x, k) => expect(got[k]).toBeCloseTo(x, 14));
  });
});

/** A hand-made probe: shift `rel` (relative), cosine `cos`, loss range `lr`, β `beta` and distribution shift `dist`. */
function probe(iteration: number, rel: number, cos: number, lr: number, beta: number, dist: number): ProbeRecord {
  return {
    iteration,
    ics: { l2: [0, rel, rel], cos: [1, cos, cos], gNorm: [1, 1, 1] },
    landscape: { loss: 2, gradNorm: 1, losses: [2, 2 + lr], gradDiffs: [beta / 10, beta], distances: [0.1, 1], beta },
    activation: { shift: iteration === 0 ? [NaN, NaN] : [dist, dist], p15: [-1, -1], p50: [0, 0], p85: [1, 1] },
  };
}

function arm(name: ArmName, rel: number, lr: number, beta: number, best: number, dist = 0.05): ArmResult {
  return {
    arm: name,
    lossHistory: [2.3, 2.0],
    trainAccHistory: [0.1, best + 0.1],
    valAccHistory: [0.1, best],
    bestValAcc: best,
    iterationsPerEpoch: 1,
    numIterations: 2,
    probes: [probe(0, rel, 0.9, lr, beta, dist), probe(1, rel, 0.9, lr, beta, dist)],
  };
}

function result(arms: ArmResult[]): CovariateShiftResult {
  return { seed: 1, settings: { ...COVARIATE_SHIFT_QUICK, hiddenDims: [5, 5], arms: arms.map((a) => a.arm) }, arms };
}

describe("the findings follow the numbers", () => {
  it("say whether batch norm reduced the shift and smoothed the landscape, with the numbers", () => {
    const paperLike = covariateShiftFindings(result([arm("baseline", 0.3, 50, 400, 0.3), arm("batchnorm", 0.36, 2, 40, 0.34)]));
    const reversed = covariateShiftFindings(result([arm("baseline", 0.36, 2, 40, 0.34), arm("batchnorm", 0.3, 50, 400, 0.3)]));
    const text = (fs: typeof paperLike, id: string): string => fs.find((f) => f.id === id)!.text;
    expect(text(paperLike, "shift")).toContain("Batch norm increased the measured internal covariate shift");
    expect(text(paperLike, "shift")).toContain("0.360 with batch norm and 0.300 without (1.20×)");
    expect(text(reversed, "shift")).toContain("Batch norm reduced");
    expect(text(paperLike, "landscape")).toContain("smoother by all three measures");
    expect(text(paperLike, "landscape")).toContain("(the baseline's 25× batch norm's)");
    expect(text(reversed, "landscape")).toContain("rougher by all three measures");
    expect(text(paperLike, "accuracy")).toContain("34.0% vs 30.0%");
    expect(text(reversed, "accuracy")).toContain("trained worse");
  });

  it("say whether noisy batch norm trained as well as batch norm despite more shift", () => {
    const asWell = covariateShiftFindings(result([arm("baseline", 0.3, 50, 400, 0.3), arm("batchnorm", 0.36, 2, 40, 0.34, 0.02), arm("noisy", 0.8, 3, 60, 0.33, 0.3)]));
    const worse = covariateShiftFindings(result([arm("baseline", 0.3, 50, 400, 0.3), arm("batchnorm", 0.36, 2, 40, 0.34, 0.02), arm("noisy", 0.8, 3, 60, 0.25, 0.015)]));
    const noisy = (fs: typeof asWell): string => fs.find((f) => f.id === "noisy")!.text;
    expect(noisy(asWell)).toContain("trained as well as batch norm despite more shift of its activations' distributions (a unit's mean moved 0.300 vs 0.0200 standard deviations between probes, 15×");
    expect(noisy(asWell)).toContain("0.800 vs 0.360, 2.22×");
    expect(noisy(asWell)).toContain("33.0% vs 34.0%");
    expect(noisy(worse)).toContain("trained worse than batch norm with less shift");
    const dist = (fs: typeof asWell): string => fs.find((f) => f.id === "distribution")!.text;
    expect(dist(asWell)).toContain("batch norm reduced the shift");
    expect(dist(asWell)).toContain("0.0200 standard deviations with batch norm and 0.0500 without (0.40×)");
  });
});

describe("paramLayer", () => {
  it("reads the layer of every parameter name", () => {
    expect(["W1", "b1", "gamma2", "beta12"].map(paramLayer)).toEqual([1, 1, 2, 12]);
    expect(() => paramLayer("Wx")).toThrow();
  });
});
