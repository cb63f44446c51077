/**
 * RandomState against numpy's legacy np.random.RandomState: streams recorded by
 * scripts/fixtures/random.py in test/fixtures/random.json, compared exactly.
 *
 * Normals: bnlab's Box–Muller uses a correctly rounded log; the libm numpy ran
 * with may round a few logs the other way. The fixture lists those normals
 * (`crDiffers`) with the correctly rounded replay's values (`crValues`); every
 * other normal must equal numpy's bit for bit, and the listed ones must equal the
 * replay and lie within a few ulp of numpy's.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { OptionError, RandomState, SWEEP_DEFAULTS } from "../src/node.js";
import { createNet, skipNetDraws } from "../src/experiments/training.js";
import { logCorrectlyRounded, logCorrectlyRoundedFast } from "../src/core/crmath.js";
import type { RandomStateSnapshot } from "../src/node.js";
import { repoRoot } from "./helpers/env.js";

interface RandnStep {
  op: "randn";
  shape: number[];
  values: number[];
  crDiffers: number[];
  crValues: number[];
}

type Step =
  | RandnStep
  | { op: "rand"; shape: number[]; values: number[] }
  | { op: "randint"; low: number; high: number; size: number; values: number[] }
  | { op: "randint1"; low: number; values: number[] }
  | { op: "choice"; n: number; size: number; values: number[] }
  | { op: "permutation"; n: number; values: number[] };

interface Case {
  seed: number;
  uint32: number[];
  steps: Step[];
  state: RandomStateSnapshot;
  stateCachedCr: number;
  afterState: RandnStep;
}

const fixture = JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "random.json"), "utf8")) as {
  numpy: string;
  libmLogDiffers: number;
  normals: number;
  cases: Case[];
};

/** numpy's values with the listed libm-rounding exceptions replaced by the correctly rounded replay. */
function expectedNormals(step: RandnStep): number[] {
  const want = [...step.values];
  step.crDiffers.forEach((idx, k) => {
    const cr = step.crValues[k]!;
    expect(Math.abs(cr - want[idx]!)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.abs(want[idx]!));
    want[idx] = cr;
  });
  return want;
}

function run(rng: RandomState, step: Step): ArrayLike<number> {
  switch (step.op) {
    case "randn": {
      const t = rng.randn(...step.shape);
      expect(t.shape).toEqual(step.shape);
      expect(t.dtype).toBe("float64");
      return t.data;
    }
    case "rand": {
      const t = rng.rand(...step.shape);
      expect(t.shape).toEqual(step.shape);
      return t.data;
    }
    case "randint":
      return rng.randint(step.low, step.high, step.size);
    case "randint1":
      return rng.randint(step.low, undefined, step.values.length);
    case "choice":
      return rng.choice(step.n, step.size);
    case "permutation":
      return rng.permutation(step.n);
  }
}

describe("RandomState equals numpy's legacy RandomState", () => {
  expect(fixture.cases.length).toBeGreaterThanOrEqual(3);
  for (const c of fixture.cases) {
    it(`seed ${c.seed}: raw 32-bit draws`, () => {
      const rng = new RandomState(c.seed);
      expect(c.uint32.map(() => rng.nextUint32())).toEqual(c.uint32);
    });

    it(`seed ${c.seed}: an interleaved stream of randn, rand, randint, choice, permutation`, () => {
      const rng = new RandomState(c.seed);
      for (const [i, step] of c.steps.entries()) {
        const got = Array.from(run(rng, step));
        // Exact equality: the doubles must be bit-identical (JSON round-trips doubles exactly).
        const want = step.op === "randn" ? expectedNormals(step) : step.values;
        expect(got, `step ${i} (${step.op})`).toEqual(want);
      }
    });

    it(`seed ${c.seed}: getState/setState (numpy's state with a cached normal)`, () => {
      const rng = new RandomState(c.seed);
      rng.randn(3);
      const s = rng.getState();
      expect(s).toEqual({ ...c.state, cachedGaussian: c.stateCachedCr });
      const other = new RandomState(12345);
      other.setState(c.state); // numpy's state, numpy's cached normal
      expect(Array.from(other.randn(4).data)).toEqual(expectedNormals(c.afterState));
      const own = Array.from(rng.randn(4).data);
      expect(own.slice(1)).toEqual(expectedNormals(c.afterState).slice(1));
      expect(own[0]).toBe(c.stateCachedCr);
    });
  }

  it("differs from numpy's libm only in a few normals (and never outside them)", () => {
    expect(fixture.normals).toBeGreaterThan(4000);
    expect(fixture.libmLogDiffers).toBeLessThan(fixture.normals / 100);
  });

  it("logCorrectlyRounded is correctly rounded on known values", () => {
    expect(logCorrectlyRounded(1)).toBe(0);
    expect(logCorrectlyRounded(2)).toBe(0.6931471805599453);
    expect(logCorrectlyRounded(0.5)).toBe(-0.6931471805599453);
    expect(logCorrectlyRounded(10)).toBe(2.302585092994046);
    expect(logCorrectlyRounded(Math.E)).toBe(1);
    expect(logCorrectlyRounded(5e-324)).toBe(-744.4400719213812);
    expect(logCorrectlyRounded(1.7976931348623157e308)).toBe(709.782712893384);
    expect(Number.isNaN(logCorrectlyRounded(-1))).toBe(true);
  });

  it("seed() re-seeds in place and drops the cached normal", () => {
    const rng = new RandomState(5);
    rng.randn(1); // leaves a cached normal
    rng.seed(231);
    const fresh = new RandomState(231);
    expect(Array.from(rng.randn(9).data)).toEqual(Array.from(fresh.randn(9).data));
  });

  it("getState is a deep copy", () => {
    const rng = new RandomState(3);
    const s = rng.getState();
    const a = Array.from(rng.rand(10).data);
    rng.setState(s);
    expect(Array.from(rng.rand(10).data)).toEqual(a);
  });

  it("randn() with no shape gives a scalar tensor; rand stays in [0, 1)", () => {
    const rng = new RandomState(0);
    expect(rng.randn().shape).toEqual([]);
    const u = rng.rand(1000).data;
    expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...u)).toBeLessThan(1);
  });

  it("rejects bad seeds, bounds and sizes with the option named", () => {
    expect(() => new RandomState(-1)).toThrow(OptionError);
    expect(() => new RandomState(2 ** 32)).toThrow(/seed/);
    expect(() => new RandomState(1.5)).toThrow(/seed.*1\.5/);
    const rng = new RandomState(0);
    expect(() => rng.randint(5, 5, 1)).toThrow(/randint high/);
    expect(() => rng.randint(0, 10, -1)).toThrow(/size/);
    expect(() => rng.choice(0, 3)).toThrow(/choice n/);
    expect(() => rng.permutation(-2)).toThrow(/permutation n/);
    expect(() => rng.randn(2, 1.5)).toThrow(/randn shape/);
    expect(() => rng.setState({ key: [1, 2], pos: 0, hasGauss: false, cachedGaussian: 0 })).toThrow(/state\.key/);
  });

  it("unseeded generators differ (entropy seed)", () => {
    const a = Array.from(new RandomState().rand(4).data);
    const b = Array.from(new RandomState().rand(4).data);
    expect(a).not.toEqual(b);
  });
});

describe("logCorrectlyRoundedFast equals logCorrectlyRounded exactly", () => {
  /** Every input where the two differ (Object.is: NaN and -0 compared too), at most a few. */
  function mismatches(xs: Iterable<number>): string[] {
    const bad: string[] = [];
    for (const x of xs) {
      const fast = logCorrectlyRoundedFast(x);
      const ref = logCorrectlyRounded(x);
      if (!Object.is(fast, ref) && bad.length < 5) bad.push(`x=${x}: fast ${fast}, reference ${ref}`);
    }
    return bad;
  }

  it("on 200,000 Box–Muller radii r2 = x1² + x2² (x = 2u - 1) and uniform draws", () => {
    const rng = new RandomState(20240);
    const xs = new Float64Array(200_000);
    let n = 0;
    while (n < 150_000) {
      const x1 = 2 * rng.randomSample() - 1;
      const x2 = 2 * rng.randomSample() - 1;
      const r2 = x1 * x1 + x2 * x2;
      if (r2 < 1 && r2 !== 0) xs[n++] = r2;
    }
    while (n < xs.length) {
      const u = rng.randomSample();
      if (u > 0) xs[n++] = u;
    }
    expect(mismatches(xs)).toEqual([]);
  });

  it("near 1, at powers of two, at table-entry boundaries, across the exponent range and at special values", () => {
    const xs: number[] = [];
    for (let k = 1; k <= 3000; k++) xs.push(1 - k * 2 ** -53, 1 + k * 2 ** -52, 1 - k * 2 ** -30, 1 + k * 2 ** -30);
    for (let e = -1074; e <= 1023; e++) {
      const p = 2 ** e;
      xs.push(p, p * (1 - 2 ** -53), p * (1 + 2 ** -52));
    }
    for (const e of [-60, -20, -3, -1, 0, 1, 40]) {
      for (let i = 0; i <= 256; i++) {
        const b = 2 ** e * (1 + i / 256);
        xs.push(b, b * (1 - 2 ** -53), b * (1 + 2 ** -52));
      }
    }
    const rng = new RandomState(7);
    for (let k = 0; k < 20_000; k++) xs.push(Math.exp(1418 * rng.randomSample() - 709)); // log-uniform
    xs.push(Number.MIN_VALUE, 2.2250738585072014e-308, 2.225073858507201e-308, Number.MAX_VALUE);
    xs.push(Math.E, 10, Math.SQRT2, Math.SQRT1_2, 0, -0, -1, NaN, Infinity, -Infinity);
    expect(xs.length).toBeGreaterThan(30_000);
    expect(mismatches(xs)).toEqual([]);
    expect(logCorrectlyRoundedFast(1)).toBe(0);
    expect(logCorrectlyRoundedFast(0)).toBe(-Infinity);
  });

  it("randn's inlined pair loop gives the same values and state as standardNormal() calls", () => {
    // Odd and even sizes, a cached normal carried in and out, and draws crossing the 624-word regeneration.
    const a = new RandomState(99);
    const b = new RandomState(99);
    for (const size of [0, 1, 2, 3, 7, 500, 1, 1301, 0, 2, 999]) {
      const got = Array.from(a.randn(size).data);
      const want = Array.from({ length: size }, () => b.standardNormal());
      expect(got).toEqual(want);
      expect(a.getState()).toEqual(b.getState());
    }
  });
});

describe("skipNormals advances the stream exactly as randn", () => {
  it("the same state (draws and cached normal) for odd, even and zero counts, with and without a cached normal, across twists", () => {
    for (const [seed, pre, n] of [[1, 0, 0], [2, 0, 1], [3, 0, 2], [4, 1, 7], [5, 1, 8], [6, 3, 153_600], [7, 0, 2501], [8, 2, 1]] as const) {
      const a = new RandomState(seed);
      const b = new RandomState(seed);
      // `pre` normals first: an odd count leaves a cached normal for the skip to take.
      a.randn(pre);
      b.randn(pre);
      a.randn(n);
      b.skipNormals(n);
      expect(b.getState(), `seed ${seed}, ${pre} then ${n}`).toEqual(a.getState());
      // And the streams go on alike.
      expect(Array.from(b.randn(5).data)).toEqual(Array.from(a.randn(5).data));
    }
  });

  it("the same state wherever the stream stands in its block (raw draws first), and after setState and seed", () => {
    for (let raw = 0; raw < 8; raw++) {
      for (const n of [2, 3, 311, 624, 5000]) {
        const a = new RandomState(40 + raw);
        const b = new RandomState(40 + raw);
        for (let k = 0; k < raw * 157; k++) {
          a.nextUint32();
          b.nextUint32();
        }
        a.randn(n);
        b.skipNormals(n);
        expect(b.getState(), `${raw * 157} raw draws, then ${n}`).toEqual(a.getState());
      }
    }
    // A skip after the state changes under it (setState, seed) starts from the new state, not from
    // the words it tempered before: b has a tempered block and stands inside it when its state changes.
    const a = new RandomState(6);
    a.randn(31);
    const b = new RandomState(5);
    b.skipNormals(10);
    b.setState(a.getState());
    a.randn(1000);
    b.skipNormals(1000);
    expect(b.getState()).toEqual(a.getState());
    b.skipNormals(10);
    a.seed(9);
    b.seed(9);
    for (const r of [a, b]) for (let k = 0; k < 7; k++) r.nextUint32();
    a.randn(999);
    b.skipNormals(999);
    expect(b.getState()).toEqual(a.getState());
  });

  it("skipNetDraws leaves the stream where building the net leaves it, for every normalization", () => {
    for (const normalization of ["batchnorm", "layernorm", "groupnorm", "batchrenorm", "none"] as const) {
      const o = { ...SWEEP_DEFAULTS, hiddenDims: [7, 5, 6] };
      const a = new RandomState(11);
      const b = new RandomState(11);
      createNet(o, 13, normalization, 1e-2, "float32", a);
      skipNetDraws(o, 13, b);
      expect(b.getState(), normalization).toEqual(a.getState());
    }
  });

  it("rejects a count that is not a non-negative integer", () => {
    expect(() => new RandomState(1).skipNormals(-1)).toThrow(OptionError);
    expect(() => new RandomState(1).skipNormals(1.5)).toThrow(OptionError);
  });
});
