/**
 * The update rules on float32 weights, bit for bit:
 * - against numpy's float32 arithmetic (test/fixtures/optim.json, the "float32" cases of
 *   scripts/fixtures/optim.py) through the public rules on every kernel path: length 261
 *   runs the WebAssembly kernels on the wasm paths, length 7 the TypeScript reference;
 * - each path's raw WebAssembly kernels against the TypeScript reference on ragged
 *   lengths (SIMD body, scalar tail, several chunks) over several steps;
 * - the relaxed-SIMD build the same way in a child node with --experimental-wasm-relaxed-simd.
 */
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import {
  adam, availableKernelPaths, getKernelPath, getUpdateRule, optimF32Reference, rmsprop, setKernelPath, sgdMomentum,
} from "../src/node.js";
import { WASM_MIN_OPTIM, backendFor } from "../src/kernels/index.js";
import type { OptimConfig } from "../src/node.js";
import { repoRoot } from "./helpers/env.js";
import { ADAM_STEPS, firstBitDifference, optimDifferential } from "./optim-f32.shared.js";
import { optimCases } from "./helpers/optim-fixture.js";

const cases32 = optimCases.filter((c) => c.dtype === "float32");
const initialPath = getKernelPath();
afterAll(() => setKernelPath(initialPath));

/** Expects identical float32 bits (index and both values in the message). */
function expectBits(got: Float32Array, want: ArrayLike<number>, what: string): void {
  const w = Float32Array.from(want);
  const i = firstBitDifference(got, w);
  expect(i, i < 0 ? "" : `${what}[${i}]: ${got[i]} vs numpy ${w[i]}`).toBe(-1);
}

describe("float32 update rules equal numpy's float32 arithmetic bit for bit", () => {
  it("the fixture has float32 cases of every rule, through both implementations", () => {
    expect(new Set(cases32.map((c) => c.rule))).toEqual(new Set(["sgd", "sgdMomentum", "rmsprop", "adam"]));
    expect(cases32.some((c) => c.w0.length >= WASM_MIN_OPTIM)).toBe(true);
    expect(cases32.some((c) => c.w0.length < WASM_MIN_OPTIM)).toBe(true);
  });

  for (const path of availableKernelPaths()) {
    for (const c of cases32) {
      it(`${path}: ${c.rule} ${JSON.stringify(c.config)}, length ${c.w0.length}, ${c.dws.length} steps`, () => {
        setKernelPath(path);
        const rule = getUpdateRule(c.rule);
        const w = Float32Array.from(c.w0);
        let config: OptimConfig = { ...c.config };
        for (let s = 0; s < c.dws.length; s++) {
          config = rule(w, Float32Array.from(c.dws[s]!), config);
          expectBits(w, c.ws[s]!, `step ${s + 1} w`);
        }
        for (const [k, v] of Object.entries(c.state)) {
          const got = config[k as keyof OptimConfig];
          if (typeof v === "number") expect(got).toBe(v);
          else {
            expect(got).toBeInstanceOf(Float32Array);
            expectBits(got as Float32Array, v, k);
          }
        }
      });
    }
  }
});

describe("WebAssembly update-rule kernels equal the float32 reference", () => {
  const wasmPaths = availableKernelPaths().filter((p) => p !== "ts");
  it("every wasm path has its own, the reference path the reference", () => {
    expect(backendFor("ts").optimF32).toBe(optimF32Reference);
    for (const p of wasmPaths) expect(backendFor(p).optimF32).toBeDefined();
    for (const p of wasmPaths) expect(backendFor(p).optimF32).not.toBe(optimF32Reference);
  });
  it("Adam's steps include one where float32(1 − 0.9ᵗ) is 1 and one where float32(1 − 0.999ᵗ) is too (the kernel's skipped divisions)", () => {
    const f = Math.fround;
    expect(ADAM_STEPS.some((t) => f(1 - 0.9 ** t) === 1 && f(1 - 0.999 ** t) !== 1)).toBe(true);
    expect(ADAM_STEPS.some((t) => f(1 - 0.999 ** t) === 1)).toBe(true);
    expect(ADAM_STEPS.some((t) => f(1 - 0.9 ** t) !== 1)).toBe(true);
  });
  for (const path of wasmPaths) {
    it(`${path}: every rule, ragged lengths and several chunks, 3 steps each (Adam: 5)`, () => {
      const r = optimDifferential(backendFor(path).optimF32!, optimF32Reference);
      expect(r.mismatches, JSON.stringify(r.firstMismatch)).toBe(0);
      expect(r.checked).toBeGreaterThan(50);
    });
  }
});

describe("the float32 and float64 paths", () => {
  it("float32 weights get float32 state; float64 weights float64 state", () => {
    const a = adam(new Float32Array(300), new Float32Array(300).fill(1));
    expect(a.m).toBeInstanceOf(Float32Array);
    expect(a.v).toBeInstanceOf(Float32Array);
    expect(sgdMomentum(new Float64Array(3), new Float64Array(3)).velocity).toBeInstanceOf(Float64Array);
  });

  it("float32 arithmetic differs from rounding one float64 evaluation (so the test above can fail)", () => {
    // Adam's third step on these values: float32 at every operation vs float64 then one rounding.
    let differ = 0;
    const n = 1000;
    const w32 = Float32Array.from({ length: n }, (_, i) => Math.sin(i));
    const w64 = Float64Array.from(w32);
    let c32: OptimConfig = {};
    let c64: OptimConfig = {};
    for (let s = 0; s < 3; s++) {
      const dw = Float32Array.from({ length: n }, (_, i) => Math.cos(i * (s + 2)));
      c32 = rmsprop(w32, dw, c32);
      c64 = rmsprop(w64, Float64Array.from(dw), c64);
    }
    for (let i = 0; i < n; i++) if (w32[i] !== Math.fround(w64[i]!)) differ++;
    expect(differ).toBeGreaterThan(0);
  });

  it("mixed dtypes (float32 w, float64 dw) take the float64 loop and keep w float32", () => {
    const w = Float32Array.from([1, 2, 3]);
    const c = adam(w, Float64Array.from([0.5, -1, 2]));
    expect(c.m).toBeInstanceOf(Float32Array);
    // Adam's first step moves each weight by learningRate against its gradient's sign.
    expect(Array.from(w)).toEqual([Math.fround(1 - 1e-3), Math.fround(2 + 1e-3), Math.fround(3 - 1e-3)]);
  });
});

describe("the relaxed-SIMD build where Node can run it", () => {
  it("its update-rule kernels equal the reference under --experimental-wasm-relaxed-simd", () => {
    let out: string;
    try {
      out = execFileSync(process.execPath, ["--experimental-wasm-relaxed-simd", "--import", "tsx", "test/optim-relaxed.check.ts"], {
        cwd: repoRoot,
        encoding: "utf8",
        timeout: 60_000,
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (e) {
      // A Node that rejects the flag (it became default or was removed): the suites above
      // then cover wasm-relaxed directly when it is available.
      expect(String((e as { stderr?: unknown }).stderr)).toMatch(/bad option|unknown|not allowed/i);
      return;
    }
    const r = JSON.parse(out.trim().split("\n").pop()!) as { paths: string[]; checked: number; mismatches: number };
    if (!r.paths.includes("wasm-relaxed")) return;
    expect(r.checked).toBeGreaterThan(50);
    expect(r.mismatches).toBe(0);
  }, 60_000);
});
