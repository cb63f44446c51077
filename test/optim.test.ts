/**
 * Update rules against the assignment's optim.py run in numpy (float64):
 * test/fixtures/optim.json from scripts/fixtures/optim.py. Several steps per rule,
 * the config returned by one step passed to the next, as the Solver does.
 */
import { describe, expect, it } from "vitest";
import { OptionError, adam, getUpdateRule, rmsprop, sgd, sgdMomentum, validateOptimConfig } from "../src/node.js";
import type { OptimConfig } from "../src/node.js";
import { optimCases } from "./helpers/optim-fixture.js";


/** max |a-b| / max(|a|+|b|, tiny), with an absolute floor for near-zero entries. */
function expectClose(got: ArrayLike<number>, want: ArrayLike<number>, rel = 1e-7, abs = 1e-12): void {
  expect(got.length).toBe(want.length);
  for (let i = 0; i < want.length; i++) {
    const a = got[i]!;
    const b = want[i]!;
    expect(Math.abs(a - b), `index ${i}: ${a} vs ${b}`).toBeLessThanOrEqual(Math.max(abs, rel * (Math.abs(a) + Math.abs(b))));
  }
}

describe("update rules match numpy (optim.py)", () => {
  for (const c of optimCases.filter((k) => k.dtype === undefined)) {
    it(`${c.rule} ${JSON.stringify(c.config)}: ${c.dws.length} steps`, () => {
      const rule = getUpdateRule(c.rule);
      const w = Float64Array.from(c.w0);
      let config: OptimConfig = { ...c.config };
      for (let s = 0; s < c.dws.length; s++) {
        config = rule(w, Float64Array.from(c.dws[s]!), config);
        expectClose(w, c.ws[s]!);
      }
      for (const [k, v] of Object.entries(c.state)) {
        const got = config[k as keyof OptimConfig];
        if (typeof v === "number") expect(got).toBe(v);
        else expectClose(got as Float64Array, v);
      }
      for (const [k, v] of Object.entries(c.config)) expect(config[k as keyof OptimConfig]).toBe(v);
    });
  }
});

describe("update-rule behaviour", () => {
  it("fills in the assignment's defaults and creates state of w's dtype", () => {
    const w32 = new Float32Array([1, 2, 3]);
    const dw32 = new Float32Array([0.5, -1, 2]);
    expect(sgd(w32.slice(), dw32)).toEqual({ learningRate: 1e-2 });
    const m = sgdMomentum(w32.slice(), dw32);
    expect([m.learningRate, m.momentum]).toEqual([1e-2, 0.9]);
    expect(m.velocity).toBeInstanceOf(Float32Array);
    const r = rmsprop(w32.slice(), dw32);
    expect([r.learningRate, r.decayRate, r.epsilon]).toEqual([1e-2, 0.99, 1e-8]);
    const a = adam(new Float64Array(3), new Float64Array([1, 1, 1]));
    expect([a.learningRate, a.beta1, a.beta2, a.epsilon, a.t]).toEqual([1e-3, 0.9, 0.999, 1e-8, 1]);
    expect(a.m).toBeInstanceOf(Float64Array);
  });

  it("adam's first step moves each weight by about learningRate (bias correction with t = 1)", () => {
    const w = new Float64Array([0, 0]);
    adam(w, new Float64Array([3, -0.2]));
    expectClose(w, [-1e-3, 1e-3], 1e-6);
  });

  it("updates w in place, including float32 weights", () => {
    const w = new Float32Array([1, 1]);
    sgd(w, new Float32Array([1, -2]), { learningRate: 0.5 });
    expect(Array.from(w)).toEqual([0.5, 2]);
  });

  it("rejects unknown names and bad values with the option named", () => {
    expect(() => getUpdateRule("adagrad")).toThrow(OptionError);
    expect(() => getUpdateRule("adagrad")).toThrow(/updateRule.*"adagrad"/);
    expect(getUpdateRule("sgd_momentum")).toBe(getUpdateRule("sgdMomentum"));
    const w = new Float64Array(2);
    const dw = new Float64Array(2);
    expect(() => sgd(w, dw, { learningRate: -1 })).toThrow(/learningRate.*-1/);
    expect(() => sgd(w, dw, { learningRate: Number.NaN })).toThrow(/learningRate.*NaN/);
    expect(() => sgdMomentum(w, dw, { momentum: 1.5 })).toThrow(/momentum.*1\.5/);
    expect(() => rmsprop(w, dw, { epsilon: 0 })).toThrow(/epsilon/);
    expect(() => adam(w, dw, { beta2: 1 })).toThrow(/beta2/);
    expect(() => sgd(w, new Float64Array(3))).toThrow(/dw.*length 3/);
    expect(() => sgdMomentum(w, dw, { velocity: new Float64Array(5) })).toThrow(/velocity/);
    expect(() => validateOptimConfig("sgd", { learning_rate: 1e-3 })).toThrow(/optimConfig\.learning_rate/);
    expect(() => validateOptimConfig("adam", { learningRate: -3 })).toThrow(/optimConfig\.learningRate.*-3/);
    expect(() => validateOptimConfig("adam", { learningRate: 1e-3, beta1: 0.8 })).not.toThrow();
  });
});
