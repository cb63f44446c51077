/**
 * Malformed inputs (acceptance item 4): each gives a DataFormatError naming the
 * file, never another error and never a hang; a seeded property test feeds
 * thousands of random and mutated inputs to each parser.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DataFormatError, loadCifar10, parseBinaryBatch, parsePickledBatch, unpickle } from "../src/node.js";
import { parseBinaryMeta, parsePickledMeta } from "../src/data/index.js";
import { CLASS_NAMES, binaryBatch, pickleBatch, pickleMeta, prng, randomImages } from "./fixtures/data/make.js";

/** The error a call throws (or null). */
function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}

function expectFormatError(f: () => unknown, pattern: RegExp, file = "f"): void {
  const e = thrown(f);
  expect(e).toBeInstanceOf(DataFormatError);
  expect((e as DataFormatError).file).toBe(file);
  expect((e as Error).message).toMatch(pattern);
}

const ascii = (s: string): number[] => Array.from(s, (c) => c.charCodeAt(0));

describe("pickle reader refuses what it does not know", () => {
  it("reads a generated batch exactly (LONG_BINPUT past memo 255 included)", () => {
    const { x, y } = randomImages(300, 7);
    const b = parsePickledBatch(pickleBatch(x, y, { filenames: true }), "f");
    expect(Buffer.from(b.x).equals(Buffer.from(x))).toBe(true);
    expect(b.y).toEqual(y);
    expect(parsePickledMeta(pickleMeta(CLASS_NAMES), "f")).toEqual(CLASS_NAMES);
  });

  it("refuses a pickle calling os.system without calling anything", () => {
    // cos\nsystem\n  (U'echo pwned') TUPLE1 REDUCE STOP — what pickle.dumps of a malicious __reduce__ gives.
    const evil = Uint8Array.from([0x80, 2, 0x63, ...ascii("os\nsystem\n"), 0x71, 0, 0x55, 10, ...ascii("echo pwned"), 0x85, 0x52, 0x2e]);
    expectFormatError(() => unpickle(evil, "f"), /refusing global os\.system .*GLOBAL at byte 2/);
    const posix = Uint8Array.from([0x80, 2, 0x63, ...ascii("posix\nsystem\n"), 0x2e]);
    expectFormatError(() => unpickle(posix, "f"), /refusing global posix\.system/);
    const builtin = Uint8Array.from([0x63, ...ascii("__builtin__\neval\n"), 0x2e]);
    expectFormatError(() => unpickle(builtin, "f"), /refusing global __builtin__\.eval/);
  });

  it("refuses unsupported opcodes and protocols, naming them", () => {
    expectFormatError(() => unpickle(Uint8Array.from([0x80, 4, 0x4e, 0x2e]), "f"), /protocol 4/);
    expectFormatError(() => unpickle(Uint8Array.from([0x80, 2, 0x93, 0x2e]), "f"), /unsupported opcode .*0x93/);
    // INST (i) and OBJ (o) can instantiate arbitrary classes: not supported.
    expectFormatError(() => unpickle(Uint8Array.from([0x28, 0x69, ...ascii("os\nsystem\n"), 0x2e]), "f"), /unsupported opcode/);
    // REDUCE on an allowed global with foreign arguments
    const dtypeFloat = pickleBatch(new Uint8Array(3072 * 8), [1], { dtype: "f8", rows: 1 });
    expectFormatError(() => parsePickledBatch(dtypeFloat, "f"), /dtype "f8", expected uint8/);
  });

  it("rejects truncation, wrong shapes and bad labels with a clear message", () => {
    const { x, y } = randomImages(3, 1);
    const good = pickleBatch(x, y);
    expectFormatError(() => parsePickledBatch(good.subarray(0, good.length - 5000), "f"), /truncated/);
    expectFormatError(() => parsePickledBatch(good.subarray(0, 40), "f"), /truncated|end of data/);
    expectFormatError(() => parsePickledBatch(Uint8Array.from([...good, 0]), "f"), /1 bytes after STOP/);
    expectFormatError(() => parsePickledBatch(pickleBatch(x, y, { rows: 2 }), "f"), /holds 9216 bytes, but shape \(2, 3072\) needs 6144/);
    expectFormatError(() => parsePickledBatch(pickleBatch(x, [1, 12, 3]), "f"), /record 1 has label 12/);
    expectFormatError(() => parsePickledBatch(pickleMeta(CLASS_NAMES), "f"), /no "data" key/);
    expectFormatError(() => parsePickledMeta(pickleMeta(CLASS_NAMES.slice(0, 9)), "f"), /not a list of 10 names/);
  });

  it("binary version: partial record, bad label, empty file, bad meta", () => {
    const { x, y } = randomImages(2, 3);
    const good = binaryBatch(x, y);
    expect(parseBinaryBatch(good, "f").y).toEqual(y);
    expectFormatError(() => parseBinaryBatch(good.subarray(0, 3073 + 10), "f"), /1 records \+ 10 bytes of a partial one/);
    expectFormatError(() => parseBinaryBatch(new Uint8Array(0), "f"), /size 0 bytes/);
    const bad = good.slice();
    bad[3073] = 10;
    expectFormatError(() => parseBinaryBatch(bad, "f"), /record 1 has label 10/);
    expectFormatError(() => parseBinaryMeta(new TextEncoder().encode("cat\ndog\n"), "f"), /expected 10 class names/);
  });

  const tmp = mkdtempSync(join(tmpdir(), "bnlab-data-bad-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it("an unreadable archive names the archive", () => {
    const r = prng(5);
    const junk = new Uint8Array(5000).map(() => Math.floor(r() * 256));
    writeFileSync(join(tmp, "cifar-10-binary.tar.gz"), junk);
    expectFormatError(() => loadCifar10(tmp), /unreadable archive|lacks/, join(tmp, "cifar-10-binary.tar.gz"));
  });
});

/** Seeded mutations of a valid input: byte flips, truncation, insertion, splices of opcode bytes. */
function mutate(base: Uint8Array, r: () => number, alphabet: number[]): Uint8Array {
  const kind = Math.floor(r() * 5);
  const pick = (n: number): number => Math.floor(r() * n);
  // Mutations concentrate on the structure (the first and last 200 bytes), not the pixel payload.
  const where = (): number => (r() < 0.5 ? pick(Math.min(200, base.length)) : Math.max(0, base.length - 1 - pick(200)));
  if (kind === 0) {
    const out = base.slice();
    const flips = 1 + pick(4);
    for (let i = 0; i < flips; i++) out[where()] = r() < 0.5 ? pick(256) : alphabet[pick(alphabet.length)]!;
    return out;
  }
  if (kind === 1) return base.slice(0, pick(base.length));
  if (kind === 2) {
    const at = where();
    const ins = Array.from({ length: 1 + pick(8) }, () => alphabet[pick(alphabet.length)]!);
    return Uint8Array.from([...base.subarray(0, at), ...ins, ...base.subarray(at)]);
  }
  if (kind === 3) return Uint8Array.from({ length: pick(300) }, () => alphabet[pick(alphabet.length)]!);
  return Uint8Array.from({ length: pick(4000) }, () => pick(256));
}

function fuzz(name: string, parse: (b: Uint8Array, f: string) => unknown, bases: Uint8Array[], alphabet: number[], seed: number): void {
  it(`${name}: 1,200 random and mutated inputs either parse or throw DataFormatError`, () => {
    const r = prng(seed);
    let parsed = 0;
    let refused = 0;
    for (let i = 0; i < 1200; i++) {
      const input = mutate(bases[i % bases.length]!, r, alphabet);
      const e = thrown(() => parse(input, `fuzz-${i}`));
      if (e === null) parsed++;
      else if (e instanceof DataFormatError && e.file === `fuzz-${i}`) refused++;
      else throw new Error(`input ${i} (${input.length} bytes) raised ${String(e)}`);
    }
    expect(parsed + refused).toBe(1200);
    expect(refused).toBeGreaterThan(100);
  });
}

describe("property tests", () => {
  const a = randomImages(2, 11);
  const b = randomImages(1, 12);
  const pickles = [pickleBatch(a.x, a.y), pickleBatch(b.x, b.y, { filenames: true }), pickleMeta(CLASS_NAMES)];
  // Bytes of every opcode the reader knows plus a few it refuses, so mutations reach deep states.
  const opcodes = [0x80, 0x7d, 0x5d, 0x29, 0x28, 0x71, 0x72, 0x68, 0x6a, 0x55, 0x54, 0x58, 0x4b, 0x4d, 0x4a, 0x61, 0x65, 0x73, 0x75, 0x63, 0x74, 0x85, 0x86, 0x87, 0x52, 0x62, 0x88, 0x89, 0x4e, 0x2e, 0x69, 0x6f, 0x93, 0x0a, 0, 1, 2, 255];
  fuzz("pickled batch", parsePickledBatch, pickles, opcodes, 20240601);
  fuzz("unpickle", unpickle, pickles, opcodes, 7);
  const bins = [binaryBatch(a.x, a.y), binaryBatch(b.x, b.y)];
  fuzz("binary batch", parseBinaryBatch, bins, [0, 1, 9, 10, 255], 99);
});
