/**
 * Loading the real CIFAR-10 sample in both layouts, unpacked and as archives, and
 * the assignment's preprocessing on it (acceptance items 1, 2 and 5).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as tar from "tar";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DataFormatError, OptionError, findCifar10, getCifar10Data, loadCifar10, type Cifar10Raw } from "../src/node.js";
import { samplePath } from "./helpers/env.js";

const sample = samplePath();
const BIN = ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin", "batches.meta.txt"];

function sameArrays(a: Cifar10Raw, b: Cifar10Raw): void {
  expect(a.yTrain).toEqual(b.yTrain);
  expect(a.yTest).toEqual(b.yTest);
  expect(Buffer.from(a.xTrain).equals(Buffer.from(b.xTrain))).toBe(true);
  expect(Buffer.from(a.xTest).equals(Buffer.from(b.xTest))).toBe(true);
  expect(a.labelNames).toEqual(b.labelNames);
}

describe.skipIf(sample === null)("CIFAR-10 sample: both layouts", () => {
  const root = sample ?? "";
  let bin: Cifar10Raw;
  let py: Cifar10Raw;
  let tmp: string;
  beforeAll(() => {
    bin = loadCifar10(join(root, "cifar-10-batches-bin"));
    py = loadCifar10(join(root, "cifar-10-batches-py"));
    tmp = mkdtempSync(join(tmpdir(), "bnlab-data-load-"));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("load to identical arrays with the README's counts and first labels", () => {
    expect(bin.location.kind).toBe("cifar10-bin");
    expect(py.location.kind).toBe("cifar10-py");
    sameArrays(bin, py);
    expect(bin.yTrain.length).toBe(5170);
    expect(bin.xTrain.length).toBe(5170 * 3072);
    expect(bin.yTest.length).toBe(1017);
    expect(Array.from(bin.yTrain.subarray(0, 5))).toEqual([6, 9, 9, 4, 1]);
    expect(bin.files.map((f) => f.records)).toEqual([1102, 1017, 1017, 1017, 1017, 1017]);
    expect(py.files.map((f) => f.name)).toEqual(["data_batch_1", "data_batch_2", "data_batch_3", "data_batch_4", "data_batch_5", "test_batch"]);
    expect(bin.labelNames).toEqual(["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"]);
    for (const y of [bin.yTrain, bin.yTest]) expect(y.every((v) => v >= 0 && v <= 9)).toBe(true);
  });

  it("pixels are channel-first: record 0 of the binary file is label then R, G, B planes", () => {
    const file = readFileSync(join(root, "cifar-10-batches-bin", "data_batch_1.bin"));
    const r1 = 3073;
    expect(Buffer.from(bin.xTrain.subarray(3072, 6144)).equals(file.subarray(r1 + 1, r1 + 3073))).toBe(true);
    // record 1102 is the first of data_batch_2
    const f2 = readFileSync(join(root, "cifar-10-batches-bin", "data_batch_2.bin"));
    expect(bin.yTrain[1102]).toBe(f2[0]);
    expect(Buffer.from(bin.xTrain.subarray(1102 * 3072, 1102 * 3072 + 3072)).equals(f2.subarray(1, 3073))).toBe(true);
  });

  it("detects the layout from a parent folder, preferring binary unless asked", () => {
    expect(findCifar10(root)?.kind).toBe("cifar10-bin");
    expect(findCifar10(root, "cifar10-py")?.kind).toBe("cifar10-py");
    expect(findCifar10(join(root, "cifar-10-batches-py"))?.path).toBe(join(root, "cifar-10-batches-py"));
    expect(findCifar10(tmp)).toBeNull();
    sameArrays(loadCifar10(root, { layout: "cifar10-py" }), bin);
  });

  it("reads both downloaded archive forms in memory", () => {
    for (const [folder, archive] of [
      ["cifar-10-batches-bin", "cifar-10-binary.tar.gz"],
      ["cifar-10-batches-py", "cifar-10-python.tar.gz"],
    ] as const) {
      const dir = join(tmp, `arch-${folder}`);
      mkdirSync(dir);
      tar.c({ gzip: true, file: join(dir, archive), cwd: root, sync: true }, [folder]);
      const loc = findCifar10(dir);
      expect(loc).toEqual({ kind: folder.endsWith("bin") ? "cifar10-bin" : "cifar10-py", path: join(dir, archive), archive: true });
      sameArrays(loadCifar10(dir), bin);
    }
  });

  it("a missing batch file or a partial record names the file; nothing is returned", () => {
    const dir = join(tmp, "cifar-10-batches-bin");
    mkdirSync(dir);
    for (const f of BIN) if (f !== "data_batch_3.bin") symlinkSync(join(root, "cifar-10-batches-bin", f), join(dir, f));
    expect(() => loadCifar10(dir)).toThrow(/data_batch_3\.bin: missing/);
    const whole = readFileSync(join(root, "cifar-10-batches-bin", "data_batch_3.bin"));
    writeFileSync(join(dir, "data_batch_3.bin"), whole.subarray(0, whole.length - 100));
    const err = (() => {
      try {
        loadCifar10(dir);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(DataFormatError);
    expect((err as DataFormatError).file).toBe(join(dir, "data_batch_3.bin"));
    expect((err as Error).message).toMatch(/1016 records \+ 2973 bytes of a partial one/);
  });

  it("getCifar10Data with numTraining 'rest' splits 4,170 / 1,000 / 1,000 and centres the training split", () => {
    const d64 = getCifar10Data({ dir: root, numTraining: "rest", dtype: "float64" });
    const d32 = getCifar10Data({ dir: root, numTraining: "rest" });
    expect(d64.xTrain.shape).toEqual([4170, 3, 32, 32]);
    expect(d64.xVal.shape).toEqual([1000, 3, 32, 32]);
    expect(d64.xTest.shape).toEqual([1000, 3, 32, 32]);
    expect([d64.yTrain.length, d64.yVal.length, d64.yTest.length]).toEqual([4170, 1000, 1000]);
    expect(d32.xTrain.dtype).toBe("float32");
    expect(d64.source).toMatchObject({ kind: "cifar10-bin", counts: { train: 4170, val: 1000, test: 1000 } });

    // Mean image from the raw bytes, independently; training split mean ~ 0 per pixel.
    const mean = new Float64Array(3072);
    for (let i = 0; i < 4170; i++) for (let j = 0; j < 3072; j++) mean[j]! += bin.xTrain[i * 3072 + j]!;
    for (let j = 0; j < 3072; j++) mean[j]! /= 4170;
    for (const d of [d64, d32]) {
      let worstMean = 0;
      const colMean = new Float64Array(3072);
      for (let i = 0; i < 4170; i++) for (let j = 0; j < 3072; j++) colMean[j]! += d.xTrain.data[i * 3072 + j]!;
      for (let j = 0; j < 3072; j++) worstMean = Math.max(worstMean, Math.abs(colMean[j]! / 4170));
      expect(worstMean).toBeLessThan(1e-4);
      for (let j = 0; j < 3072; j++) expect(Math.abs(d.meanImage!.data[j]! - mean[j]!)).toBeLessThan(1e-4);
    }
    // Validation = the 1,000 records after the training ones; test = the first 1,000 test records.
    expect(Array.from(d64.yVal.subarray(0, 3))).toEqual(Array.from(bin.yTrain.subarray(4170, 4173)));
    expect(d64.xVal.data[5]! + mean[5]!).toBeCloseTo(bin.xTrain[4170 * 3072 + 5]!, 9);
    expect(d64.xTest.data[999 * 3072 + 7]! + mean[7]!).toBeCloseTo(bin.xTest[999 * 3072 + 7]!, 9);
    // float32 and float64 agree to float32 rounding (|x| < 256).
    for (const key of ["xTrain", "xVal", "xTest"] as const) {
      const a = d32[key].data;
      const b = d64[key].data;
      let worst = 0;
      for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      expect(worst).toBeLessThan(2e-5);
    }
  });

  it("asking for more records than the sample holds says how many there are", () => {
    expect(() => getCifar10Data({ dir: root })).toThrow(OptionError);
    expect(() => getCifar10Data({ dir: root })).toThrow(/holds 5170 training records/);
    expect(() => getCifar10Data({ dir: root, numTraining: "rest", numTest: 2000 })).toThrow(/holds 1017 test records/);
    const noMean = getCifar10Data({ dir: root, numTraining: 100, numValidation: 10, numTest: 10, subtractMean: false });
    expect(noMean.meanImage).toBeNull();
    expect(noMean.xTrain.data[0]).toBe(bin.xTrain[0]);
  });
});
