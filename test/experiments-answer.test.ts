/**
 * Cell 8: the answer is written from the measured numbers — different results
 * give different text, and each claim carries its number.
 */
import { describe, expect, it } from "vitest";
import { answerFacts, writeAnswer } from "../src/experiments/answer.js";
import { classicSweep, makeDeepNet, makeSweep, tameSweep } from "./report-helpers.js";

describe("the written answer", () => {
  const deep = makeDeepNet([0.1, 0.3, 0.45, 0.55], [0.1, 0.15, 0.2, 0.28]);

  it("finds where the baseline is stuck, explodes and is competitive, and BN's range", () => {
    const sweep = classicSweep();
    const f = answerFacts(deep, sweep);
    const scales = sweep.weightScales;
    expect(f.baselineStuckScales).toEqual(scales.filter((w) => w < 1e-2));
    expect(f.baselineExplodedScales).toEqual(scales.filter((w) => w > 3e-1));
    expect(f.baselineCompetitiveScales).toEqual(scales.filter((w) => w >= 1e-2 && w <= 3e-1));
    expect(f.bnGoodScales).toEqual(scales.filter((w) => w >= 1e-3));
    expect(f.bnGoodRangeDecades).toBeCloseTo(Math.log10(1 / scales.find((w) => w >= 1e-3)!), 10);
    expect(f.speed?.target).toBe(0.25);
    expect(f.speed?.runs.map((r) => [r.normalization, r.epoch, r.iteration])).toEqual([
      ["batchnorm", 1, 20],
      ["none", 3, 60],
    ]);
  });

  it("cites the measured numbers", () => {
    const sweep = classicSweep();
    const a = writeAnswer(deep, sweep);
    const text = [...a.observations, ...a.reasons].join("\n");
    expect(text).toContain("2.3026"); // the stuck loss
    expect(text).toContain("NaN or infinite at"); // the diverged runs
    expect(text).toContain("iteration 37");
    expect(text).toContain(`${a.facts.bnGoodRangeDecades.toFixed(1)} decades`);
    expect(text).toContain("3.0× sooner"); // 60 vs 20 iterations
    expect(text).toContain("33.0%"); // BN's best validation accuracy
    expect(text).toMatch(/BN\(c·x\) = BN\(x\)/);
    expect(text).toMatch(/Vanishing signal/);
    expect(text).toMatch(/Exploding signal/);
  });

  it("changes when the results change", () => {
    const a = writeAnswer(deep, classicSweep());
    const b = writeAnswer(makeDeepNet([0.1, 0.12, 0.14, 0.2], [0.1, 0.2, 0.3, 0.4]), tameSweep());
    expect(b.observations.join("\n")).not.toEqual(a.observations.join("\n"));
    expect(b.facts.baselineStuckScales).toEqual([]);
    expect(b.facts.baselineExplodedScales).toEqual([]);
    const textB = [...b.observations, ...b.reasons].join("\n");
    expect(textB).toContain("did not get stuck at chance");
    expect(textB).toContain("did not blow up");
    expect(textB).not.toMatch(/Vanishing signal|Exploding signal/);
    expect(textB).toContain("the baseline got there"); // the baseline was faster in this made-up run
    expect(textB).not.toContain("sooner, as the");
  });

  it("does not claim the baseline learned when it never did, nor repeat a single exploded scale", () => {
    // The baseline: stuck at chance up to 0.6, blown up at the last scale only.
    const sweep = makeSweep((w, k) => (k === "batchnorm" ? [0.3, 0.45, 1.5] : w < 0.9 ? [0.115, 0.11, 2.3026] : [0.1, 0.1, 3e8]));
    const a = writeAnswer(null, sweep);
    expect(a.facts.baselineGoodScales).toEqual([]);
    expect(a.facts.baselineExplodedScales).toEqual([1]);
    const reasons = a.reasons.join("\n");
    expect(reasons).not.toContain("the baseline learns only near that scale");
    expect(reasons).toContain("in this grid it reached the good range at no scale (its best: 11.5% at 1.0e-4)");
    expect(reasons).toMatch(/Exploding signal: the same product is \S+ at w = 1\.0e\+0, so/);
    // With a baseline that does learn somewhere, the original sentence stays.
    expect(writeAnswer(null, classicSweep()).reasons.join("\n")).toContain("the baseline learns only near that scale");
  });
});

describe("the signal-gain model of the answer", () => {
  it("unitGainScale is where the gain through all layers is 1", async () => {
    const { signalGain } = await import("../src/experiments/answer.js");
    const sweep = classicSweep();
    const f = answerFacts(null, sweep);
    expect(signalGain(f.unitGainScale, sweep)).toBeCloseTo(1, 10);
    expect(signalGain(f.unitGainScale / 2, sweep)).toBeCloseTo(2 ** -8, 10); // 8 layers: degree-8 monomial
    expect(f.goodThreshold).toBeCloseTo(0.1 + 0.5 * (0.33 - 0.1), 12);
  });
});
