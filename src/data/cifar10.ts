/**
 * Finding and loading CIFAR-10 in either official layout, unpacked or as the
 * downloaded `.tar.gz`.
 */
import { readFileSync, statSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { DataFormatError } from "../core/errors.js";
import type { Labels } from "../core/tensor.js";
import { readTar } from "./archive.js";
import {
  concatBatches,
  parseBinaryBatch,
  parseBinaryMeta,
  parsePickledBatch,
  parsePickledMeta,
  type Batch,
} from "./formats.js";

/** The two official layouts: the binary version (cifar-10-batches-bin) and the Python pickles (cifar-10-batches-py). */
export type Cifar10Kind = "cifar10-bin" | "cifar10-py";

interface Layout {
  folder: string;
  archive: string;
  train: string[];
  test: string;
  meta: string;
  parseBatch: (bytes: Uint8Array, file: string) => Batch;
  parseMeta: (bytes: Uint8Array, file: string) => string[];
}

const TRAIN = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}`);

export const LAYOUTS: Record<Cifar10Kind, Layout> = {
  "cifar10-bin": {
    folder: "cifar-10-batches-bin",
    archive: "cifar-10-binary.tar.gz",
    train: TRAIN.map((f) => `${f}.bin`),
    test: "test_batch.bin",
    meta: "batches.meta.txt",
    parseBatch: parseBinaryBatch,
    parseMeta: parseBinaryMeta,
  },
  "cifar10-py": {
    folder: "cifar-10-batches-py",
    archive: "cifar-10-python.tar.gz",
    train: TRAIN,
    test: "test_batch",
    meta: "batches.meta",
    parseBatch: parsePickledBatch,
    parseMeta: parsePickledMeta,
  },
};

/** Where a CIFAR-10 copy was found: a layout folder, or an archive holding one. */
export interface Cifar10Location {
  kind: Cifar10Kind;
  /** The `cifar-10-batches-*` folder, or the `.tar.gz` archive. */
  path: string;
  archive: boolean;
}

const KINDS: Cifar10Kind[] = ["cifar10-bin", "cifar10-py"];

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function isFile(p: string): boolean {
  try {
    return statSync(p).isFile();
  } catch {
    return false;
  }
}

/** A folder that looks like a layout folder itself (by name, or by holding its batch files). */
function layoutOfFolder(dir: string, kind: Cifar10Kind): boolean {
  const l = LAYOUTS[kind];
  return basename(dir) === l.folder || isFile(join(dir, l.train[0]!)) || isFile(join(dir, l.test));
}

/**
 * Detects CIFAR-10 at `dir`: `dir` is a `cifar-10-batches-{bin,py}` folder, or
 * holds one, or holds a downloaded archive (`cifar-10-binary.tar.gz`,
 * `cifar-10-python.tar.gz`); `dir` may also be such an archive. Unpacked folders
 * win over archives; the binary layout wins over the python one unless `prefer`
 * says otherwise. Returns null when nothing is there.
 */
export function findCifar10(dir: string, prefer?: Cifar10Kind): Cifar10Location | null {
  const root = resolve(dir);
  const order = prefer === undefined ? KINDS : [prefer, ...KINDS.filter((k) => k !== prefer)];
  if (isFile(root)) {
    for (const kind of order) if (basename(root) === LAYOUTS[kind].archive) return { kind, path: root, archive: true };
    return null;
  }
  if (!isDir(root)) return null;
  for (const kind of order) if (layoutOfFolder(root, kind)) return { kind, path: root, archive: false };
  for (const kind of order) {
    const p = join(root, LAYOUTS[kind].folder);
    if (isDir(p)) return { kind, path: p, archive: false };
  }
  for (const kind of order) {
    const p = join(root, LAYOUTS[kind].archive);
    if (isFile(p)) return { kind, path: p, archive: true };
  }
  return null;
}

/** One source file and the number of records it held. */
export interface FileCount {
  name: string;
  records: number;
}

/** CIFAR-10 as stored: uint8 pixels (N, 3, 32, 32) row-major and labels in 0..9. */
export interface Cifar10Raw {
  xTrain: Uint8Array;
  yTrain: Labels;
  xTest: Uint8Array;
  yTest: Labels;
  labelNames: string[];
  location: Cifar10Location;
  /** Records per file, training batches first, then the test batch. */
  files: FileCount[];
}

/** Reads the named files of a layout, from its folder or its archive; all must exist. */
function readMembers(loc: Cifar10Location, names: string[]): Map<string, { bytes: Uint8Array; label: string }> {
  const out = new Map<string, { bytes: Uint8Array; label: string }>();
  if (!loc.archive) {
    const missing = names.filter((n) => !isFile(join(loc.path, n)));
    if (missing.length > 0) {
      throw new DataFormatError(join(loc.path, missing[0]!), `missing (${missing.length} of the ${names.length} files of the layout are missing: ${missing.join(", ")})`);
    }
    for (const n of names) {
      const file = join(loc.path, n);
      out.set(n, { bytes: readFileSync(file), label: file });
    }
    return out;
  }
  const folder = LAYOUTS[loc.kind].folder;
  const wanted = new Set(names.map((n) => `${folder}/${n}`));
  const { files } = readTar(loc.path, (p) => wanted.has(p));
  const missing = names.filter((n) => !files.has(`${folder}/${n}`));
  if (missing.length > 0) {
    throw new DataFormatError(loc.path, `the archive lacks ${missing.map((n) => `${folder}/${n}`).join(", ")}`);
  }
  for (const n of names) out.set(n, { bytes: files.get(`${folder}/${n}`)!, label: `${loc.path}:${folder}/${n}` });
  return out;
}

/**
 * Loads CIFAR-10 from `dir` (see `findCifar10` for what is recognised): the
 * five training batches concatenated in order, the test batch, the class names.
 * Every file is read and checked before anything is returned.
 */
export function loadCifar10(dir: string, options: { layout?: Cifar10Kind } = {}): Cifar10Raw {
  const loc = findCifar10(dir, options.layout);
  if (loc === null) {
    throw new DataFormatError(
      resolve(dir),
      "no CIFAR-10 found: expected a cifar-10-batches-bin/ or cifar-10-batches-py/ folder, " +
        "or cifar-10-binary.tar.gz / cifar-10-python.tar.gz",
    );
  }
  return loadCifar10At(loc);
}

/** Loads CIFAR-10 from a location found by `findCifar10`. */
export function loadCifar10At(loc: Cifar10Location): Cifar10Raw {
  const layout = LAYOUTS[loc.kind];
  const names = [...layout.train, layout.test, layout.meta];
  const members = readMembers(loc, names);
  const parse = (n: string): Batch => {
    const m = members.get(n)!;
    return layout.parseBatch(m.bytes, m.label);
  };
  const trainBatches = layout.train.map(parse);
  const testBatch = parse(layout.test);
  const meta = members.get(layout.meta)!;
  const labelNames = layout.parseMeta(meta.bytes, meta.label);
  const train = concatBatches(trainBatches);
  const test = concatBatches([testBatch]);
  const files: FileCount[] = [
    ...layout.train.map((name, i) => ({ name, records: trainBatches[i]!.y.length })),
    { name: layout.test, records: testBatch.y.length },
  ];
  return { xTrain: train.x, yTrain: train.y, xTest: test.x, yTest: test.y, labelNames, location: loc, files };
}
