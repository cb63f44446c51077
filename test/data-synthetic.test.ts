/**
 * Synthetic CIFAR-shaped data and where real data is looked for.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataFormatError, NoDataError, cacheDir, getCifar10Data, noDataMessage, resolveDataDir, syntheticCifar } from "../src/node.js";
import { samplePath } from "./helpers/env.js";

describe("syntheticCifar", () => {
  it("is deterministic, CIFAR-shaped and centred on the training split", () => {
    const a = syntheticCifar({ numTrain: 60, numVal: 20, numTest: 10, seed: 3 });
    const b = syntheticCifar({ numTrain: 60, numVal: 20, numTest: 10, seed: 3 });
    const c = syntheticCifar({ numTrain: 60, numVal: 20, numTest: 10, seed: 4 });
    expect(a.xTrain.shape).toEqual([60, 3, 32, 32]);
    expect(a.xVal.shape).toEqual([20, 3, 32, 32]);
    expect(a.xTest.shape).toEqual([10, 3, 32, 32]);
    expect(a.xTrain.dtype).toBe("float32");
    expect(a.xTrain.data).toEqual(b.xTrain.data);
    expect(a.yTest).toEqual(b.yTest);
    expect(a.xTrain.data).not.toEqual(c.xTrain.data);
    expect(a.source).toEqual({ kind: "synthetic", dir: null, counts: { train: 60, val: 20, test: 10 }, files: [] });
    for (const y of [a.yTrain, a.yVal, a.yTest]) expect(y.every((v) => Number.isInteger(v) && v >= 0 && v < 10)).toBe(true);
    let worst = 0;
    for (let j = 0; j < 3072; j++) {
      let s = 0;
      for (let i = 0; i < 60; i++) s += a.xTrain.data[i * 3072 + j]!;
      worst = Math.max(worst, Math.abs(s / 60));
    }
    expect(worst).toBeLessThan(1e-3);
    const d64 = syntheticCifar({ numTrain: 60, numVal: 20, numTest: 10, seed: 3, dtype: "float64" });
    let diff = 0;
    for (let i = 0; i < d64.xTrain.size; i++) diff = Math.max(diff, Math.abs(d64.xTrain.data[i]! - a.xTrain.data[i]!));
    expect(diff).toBeLessThan(1e-4);
  });

  it("has class structure a classifier can learn (nearest class mean beats chance by far)", () => {
    const d = syntheticCifar({ numTrain: 600, numVal: 200, numTest: 0, seed: 1 });
    const D = 3072;
    const means = new Float64Array(10 * D);
    const counts = new Float64Array(10);
    for (let i = 0; i < 600; i++) {
      const y = d.yTrain[i]!;
      counts[y]!++;
      for (let j = 0; j < D; j++) means[y * D + j]! += d.xTrain.data[i * D + j]!;
    }
    expect(Math.min(...counts)).toBeGreaterThan(30);
    for (let c = 0; c < 10; c++) for (let j = 0; j < D; j++) means[c * D + j]! /= counts[c]!;
    let correct = 0;
    for (let i = 0; i < 200; i++) {
      let best = -1;
      let bestDist = Infinity;
      for (let c = 0; c < 10; c++) {
        let s = 0;
        for (let j = 0; j < D; j++) {
          const e = d.xVal.data[i * D + j]! - means[c * D + j]!;
          s += e * e;
        }
        if (s < bestDist) [bestDist, best] = [s, c];
      }
      if (best === d.yVal[i]) correct++;
    }
    // Chance is 10%; the data is noisy on purpose, so not 100% either.
    expect(correct / 200).toBeGreaterThan(0.5);
    expect(correct / 200).toBeLessThan(0.99);
  });
});

describe("resolveDataDir", () => {
  const tmp = mkdtempSync(join(tmpdir(), "bnlab-resolve-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
  const sample = samplePath();

  it("uses the cache folder of the platform", () => {
    expect(cacheDir({ XDG_CACHE_HOME: "/x/cache" }, "linux")).toBe("/x/cache/bnlab");
    expect(cacheDir({}, "linux")).toMatch(/\.cache[\\/]bnlab$/);
    expect(cacheDir({}, "darwin")).toMatch(/Library[\\/]Caches[\\/]bnlab$/);
    expect(cacheDir({ LOCALAPPDATA: "C:\\Users\\u\\AppData\\Local" }, "win32")).toMatch(/bnlab[\\/]Cache$/);
  });

  it("with nothing anywhere gives null, and the message names the three ways out", () => {
    const env = { XDG_CACHE_HOME: join(tmp, "empty-cache") };
    expect(resolveDataDir({ env })).toBeNull();
    const msg = noDataMessage(env);
    for (const s of ["--data DIR", "bnlab data download", "--synthetic", join(tmp, "empty-cache", "bnlab")]) expect(msg).toContain(s);
    expect(() => resolveDataDir({ dir: join(tmp, "nowhere"), env })).toThrow(DataFormatError);
    expect(() => resolveDataDir({ env: { ...env, BNLAB_DATA: join(tmp, "nowhere") } })).toThrow(/from BNLAB_DATA/);
    expect(new NoDataError(env).message).toBe(msg);
  });

  it.skipIf(sample === null)("prefers the explicit folder, then BNLAB_DATA, then the cache", () => {
    const root = sample ?? "";
    const cache = join(tmp, "cache");
    mkdirSync(join(cache, "bnlab"), { recursive: true });
    symlinkSync(join(root, "cifar-10-batches-py"), join(cache, "bnlab", "cifar-10-batches-py"));
    const envDir = join(tmp, "env");
    mkdirSync(envDir);
    symlinkSync(join(root, "cifar-10-batches-bin"), join(envDir, "cifar-10-batches-bin"));
    const env = { XDG_CACHE_HOME: cache };
    expect(resolveDataDir({ env })).toMatchObject({ from: "cache", location: { kind: "cifar10-py" } });
    expect(resolveDataDir({ env: { ...env, BNLAB_DATA: envDir } })).toMatchObject({ from: "env", location: { kind: "cifar10-bin" } });
    expect(resolveDataDir({ dir: join(root, "cifar-10-batches-py"), env: { ...env, BNLAB_DATA: envDir } })).toMatchObject({
      from: "option",
      location: { kind: "cifar10-py", archive: false },
    });
    const d = getCifar10Data({ dir: envDir, numTraining: 50, numValidation: 5, numTest: 5 });
    expect(d.source.kind).toBe("cifar10-bin");
  });
});
