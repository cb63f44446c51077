/**
 * Checkpoint files (Node): a Solver's whole state (`SolverState`) as a safetensors file,
 * written atomically, read back with every check a damaged or foreign file needs.
 *
 * Layout (docs/checkpoints.md): 8 bytes, the header's length N as a little-endian
 * unsigned 64-bit integer; N bytes of JSON (padded with spaces to a multiple of 8):
 * one entry per array, `{ dtype: "F32" | "F64" | "I32" | "U32", shape, data_offsets: [begin, end] }`,
 * and `__metadata__` (strings only, as safetensors requires): `format` "bnlab-checkpoint",
 * `version` "1", `state` (the JSON state: model spec, settings, counters, the generators'
 * positions, the update rules' scalars) and `sha256`, the SHA-256 of the state's UTF-8
 * bytes followed by the whole data section; then the arrays' raw little-endian bytes,
 * back to back. numpy reads it with `np.frombuffer` (no pickle), so does `safetensors`.
 */
import { createHash } from "node:crypto";
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import { z } from "zod";
import { DataFormatError } from "../core/errors.js";
import type { RandomStateSnapshot } from "../core/random.js";
import type { FloatArray } from "../core/tensor.js";
import type { ModelSnapshot } from "../models/model.js";
import type { OptimState, SolverState } from "../train/solver-state.js";
import { tempPathFor } from "./temp-files.js";

/** `__metadata__.format` of every bnlab checkpoint file. */
export const CHECKPOINT_FORMAT = "bnlab-checkpoint";
/** The format's version; a reader refuses a newer one (docs/checkpoints.md lists the changes). */
export const CHECKPOINT_VERSION = 1;
/** The files `checkpointWriter` keeps in its folder. */
export const CHECKPOINT_FILES = { latest: "latest.safetensors", best: "best.safetensors" } as const;

type StDType = "F32" | "F64" | "I32" | "U32";
type Stored = Float32Array | Float64Array | Int32Array | Uint32Array;

const CTORS = { F32: Float32Array, F64: Float64Array, I32: Int32Array, U32: Uint32Array } as const;
const MAX_HEADER = 64 * 1024 * 1024;

function dtypeCode(a: Stored): StDType {
  if (a instanceof Float32Array) return "F32";
  if (a instanceof Float64Array) return "F64";
  if (a instanceof Int32Array) return "I32";
  return "U32";
}

const finite = z.number().refine(Number.isFinite, "a finite number");
const count = z.number().int().min(0);
const streamSchema = z.object({ pos: z.number().int().min(0).max(624), hasGauss: z.boolean(), cachedGaussian: finite }).strict();
const stateSchema = z
  .object({
    spec: z.object({ kind: z.string(), options: z.record(z.string(), z.unknown()) }).nullable(),
    settings: z
      .object({
        updateRule: z.string(),
        optimConfig: z.record(z.string(), finite),
        lrDecay: finite,
        batchSize: count,
        numEpochs: count,
        numTrainSamples: count.nullable(),
        numValSamples: count.nullable(),
        numTrain: count,
        numVal: count,
        rowShape: z.array(count),
      })
      .strict(),
    params: z.record(z.string(), z.array(count)),
    buffers: z.array(z.string()),
    hasBest: z.boolean(),
    bestValAcc: finite,
    bestIteration: count,
    optim: z.record(z.string(), z.object({ scalars: z.record(z.string(), finite), buffers: z.array(z.string()) }).strict()),
    rng: streamSchema,
    modelStreams: z.record(z.string(), streamSchema),
    epoch: count,
    iteration: count,
    iterationInCall: count,
  })
  .strict();
type StateJson = z.infer<typeof stateSchema>;

const streamJson = (s: RandomStateSnapshot): StateJson["rng"] => ({ pos: s.pos, hasGauss: s.hasGauss, cachedGaussian: s.cachedGaussian });

/** The arrays of a state by their names in the file (`params/W1`, `optim/W1/m`, `rng/solver`, `history/loss`, …). */
function arraysOf(state: SolverState): Map<string, { data: Stored; shape: number[] }> {
  const out = new Map<string, { data: Stored; shape: number[] }>();
  const shapeOf = (name: string, a: FloatArray): number[] => state.paramShapes.get(name) ?? [a.length];
  const snap = (prefix: string, s: ModelSnapshot): void => {
    for (const [k, a] of s.params) out.set(`${prefix}params/${k}`, { data: a, shape: shapeOf(k, a) });
    for (const [k, a] of s.buffers) out.set(`${prefix}buffers/${k}`, { data: a, shape: [a.length] });
  };
  snap("", state.model);
  if (state.best !== null) snap("best/", state.best);
  for (const [name, o] of state.optim) for (const [k, a] of Object.entries(o.buffers)) out.set(`optim/${name}/${k}`, { data: a, shape: shapeOf(name, a) });
  const key = (s: RandomStateSnapshot): { data: Uint32Array; shape: number[] } => ({ data: Uint32Array.from(s.key), shape: [s.key.length] });
  out.set("rng/solver", key(state.rng));
  for (const [k, s] of state.modelStreams) out.set(`rng/model/${k}`, key(s));
  out.set("history/loss", { data: Float64Array.from(state.lossHistory), shape: [state.lossHistory.length] });
  out.set("history/trainAcc", { data: Float64Array.from(state.trainAccHistory), shape: [state.trainAccHistory.length] });
  out.set("history/valAcc", { data: Float64Array.from(state.valAccHistory), shape: [state.valAccHistory.length] });
  out.set("history/accIterations", { data: Int32Array.from(state.accIterations), shape: [state.accIterations.length] });
  return out;
}

function sha256(stateText: string, data: Uint8Array): string {
  return createHash("sha256").update(stateText, "utf8").update(data).digest("hex");
}

/** Little-endian bytes of an array (a copy; big-endian hosts swap). */
function leBytes(a: Stored): Uint8Array {
  const bytes = new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));
  if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 0) {
    const w = a.BYTES_PER_ELEMENT;
    for (let i = 0; i < bytes.length; i += w) bytes.subarray(i, i + w).reverse();
  }
  return bytes;
}

/** The checkpoint file's bytes for `state`. */
export function encodeCheckpoint(state: SolverState): Uint8Array {
  const json: StateJson = {
    spec: state.spec === null ? null : { kind: state.spec.kind, options: { ...state.spec.options } },
    settings: { ...state.settings, rowShape: [...state.settings.rowShape] },
    params: Object.fromEntries([...state.model.params].map(([k, a]) => [k, state.paramShapes.get(k) ?? [a.length]])),
    buffers: [...state.model.buffers.keys()],
    hasBest: state.best !== null,
    bestValAcc: state.bestValAcc,
    bestIteration: state.bestIteration,
    optim: Object.fromEntries([...state.optim].map(([k, o]) => [k, { scalars: { ...o.scalars }, buffers: Object.keys(o.buffers) }])),
    rng: streamJson(state.rng),
    modelStreams: Object.fromEntries([...state.modelStreams].map(([k, s]) => [k, streamJson(s)])),
    epoch: state.epoch,
    iteration: state.iteration,
    iterationInCall: state.iterationInCall,
  };
  const stateText = JSON.stringify(json);
  // NOTE: 8-byte arrays first: with the header padded to 8 bytes every array is then aligned.
  const arrays = [...arraysOf(state)].sort((a, b) => b[1].data.BYTES_PER_ELEMENT - a[1].data.BYTES_PER_ELEMENT);
  const header: Record<string, unknown> = {};
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, { data, shape }] of arrays) {
    const bytes = leBytes(data);
    header[name] = { dtype: dtypeCode(data), shape, data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  const body = new Uint8Array(offset);
  let at = 0;
  for (const c of chunks) {
    body.set(c, at);
    at += c.length;
  }
  const meta = { format: CHECKPOINT_FORMAT, version: String(CHECKPOINT_VERSION), sha256: sha256(stateText, body), state: stateText };
  let headerText = JSON.stringify({ __metadata__: meta, ...header });
  headerText += " ".repeat((8 - (Buffer.byteLength(headerText) % 8)) % 8);
  const headerBytes = Buffer.from(headerText, "utf8");
  const out = new Uint8Array(8 + headerBytes.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  out.set(body, 8 + headerBytes.length);
  return out;
}

const entrySchema = z.object({ dtype: z.enum(["F32", "F64", "I32", "U32"]), shape: z.array(count), data_offsets: z.tuple([count, count]) }).strict();
const metaSchema = z.object({ format: z.string(), version: z.string(), sha256: z.string(), state: z.string() }).strict();

/** Where zod found a problem, in one line. */
function zodProblem(err: z.ZodError): string {
  const i = err.issues[0];
  return i === undefined ? "invalid" : `${i.path.join(".") || "(top)"}: ${i.message}`;
}

/** Reads a checkpoint's bytes; DataFormatError(file, what is wrong) for anything truncated, corrupted or not a checkpoint. */
export function decodeCheckpoint(bytes: Uint8Array, file: string): SolverState {
  const bad = (problem: string): never => {
    throw new DataFormatError(file, problem);
  };
  if (bytes.length < 8) bad(`truncated: ${bytes.length} bytes, not even the 8-byte header length of a checkpoint`);
  const n = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER)) bad(`not a checkpoint: header length ${n} is over ${MAX_HEADER} bytes`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.length) bad(`truncated: the header says ${headerLength} bytes, the file has ${bytes.length - 8} after the length`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch {
    bad("not a checkpoint: the header is not JSON");
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) bad("not a checkpoint: the header is not a JSON object");
  const h = header as Record<string, unknown>;
  const metaParsed = metaSchema.safeParse(h["__metadata__"]);
  if (!metaParsed.success) bad(`not a bnlab checkpoint: __metadata__ ${zodProblem(metaParsed.error)}`);
  const meta = metaParsed.data!;
  if (meta.format !== CHECKPOINT_FORMAT) bad(`not a bnlab checkpoint: format ${JSON.stringify(meta.format)}`);
  if (meta.version !== String(CHECKPOINT_VERSION)) bad(`checkpoint format version ${JSON.stringify(meta.version)}; this bnlab reads version ${CHECKPOINT_VERSION}`);
  const body = bytes.subarray(8 + headerLength);
  // Entries must tile the data section exactly, in some order, as safetensors requires.
  const entries = new Map<string, z.infer<typeof entrySchema>>();
  for (const [name, e] of Object.entries(h)) {
    if (name === "__metadata__") continue;
    const p = entrySchema.safeParse(e);
    if (!p.success) bad(`array ${JSON.stringify(name)}: ${zodProblem(p.error)}`);
    entries.set(name, p.data!);
  }
  const spans = [...entries.values()].map((e) => e.data_offsets).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let end = 0;
  for (const [b, e] of spans) {
    if (b !== end || e < b) bad(`corrupted: array data offsets do not tile the data section (gap or overlap at byte ${end})`);
    end = e;
  }
  if (end > body.length) bad(`truncated: the arrays need ${end} bytes of data, the file has ${body.length}`);
  if (end < body.length) bad(`corrupted: ${body.length - end} bytes after the last array`);
  if (sha256(meta.state, body) !== meta.sha256) bad("corrupted: the SHA-256 of the state and data does not match the header's");
  let stateRaw: unknown;
  try {
    stateRaw = JSON.parse(meta.state);
  } catch {
    bad("corrupted: the state in __metadata__ is not JSON");
  }
  const sp = stateSchema.safeParse(stateRaw);
  if (!sp.success) bad(`invalid state: ${zodProblem(sp.error)}`);
  const s = sp.data!;

  const arrays = new Map<string, Stored>();
  for (const [name, e] of entries) {
    const Ctor = CTORS[e.dtype];
    const [b, en] = e.data_offsets;
    const size = e.shape.reduce((x, y) => x * y, 1);
    if (size * Ctor.BYTES_PER_ELEMENT !== en - b) bad(`array ${name}: shape [${e.shape.join(", ")}] of ${e.dtype} needs ${size * Ctor.BYTES_PER_ELEMENT} bytes, its offsets give ${en - b}`);
    // NOTE: a copy (a Buffer's slice is a view of the file's memory, which may be a shared pool).
    const copy = new Uint8Array(body.subarray(b, en));
    if (new Uint8Array(new Uint16Array([1]).buffer)[0] === 0) for (let i = 0; i < copy.length; i += Ctor.BYTES_PER_ELEMENT) copy.subarray(i, i + Ctor.BYTES_PER_ELEMENT).reverse();
    arrays.set(name, new Ctor(copy.buffer, 0, size));
  }
  const take = (name: string): Stored => arrays.get(name) ?? bad(`missing array ${name}`);
  const float = (name: string): FloatArray => {
    const a = take(name);
    return a instanceof Float32Array || a instanceof Float64Array ? a : bad(`array ${name} is ${dtypeCode(a)}, expected F32 or F64`);
  };
  const typed = <T extends Stored>(name: string, C: { new (...args: never[]): T; name: string }): T => {
    const a = take(name);
    return a instanceof C ? a : bad(`array ${name} is ${dtypeCode(a)}, expected ${C.name}`);
  };
  const snapshot = (prefix: string): ModelSnapshot => ({
    params: new Map(Object.keys(s.params).map((k) => [k, float(`${prefix}params/${k}`)])),
    buffers: new Map(s.buffers.map((k) => [k, float(`${prefix}buffers/${k}`)])),
  });
  const stream = (name: string, j: StateJson["rng"]): RandomStateSnapshot => {
    const key = typed(name, Uint32Array);
    if (key.length !== 624) bad(`array ${name}: ${key.length} words, a generator state has 624`);
    return { key: Array.from(key), pos: j.pos, hasGauss: j.hasGauss, cachedGaussian: j.cachedGaussian };
  };
  const optim = new Map<string, OptimState>();
  for (const [k, o] of Object.entries(s.optim)) {
    optim.set(k, { scalars: { ...o.scalars }, buffers: Object.fromEntries(o.buffers.map((b) => [b, float(`optim/${k}/${b}`)])) });
  }
  const model = snapshot("");
  for (const [k, shape] of Object.entries(s.params)) {
    if (shape.reduce((x, y) => x * y, 1) !== model.params.get(k)!.length) bad(`array params/${k}: shape [${shape.join(", ")}] in the state, ${model.params.get(k)!.length} values stored`);
  }
  const state: SolverState = {
    spec: s.spec,
    settings: s.settings,
    paramShapes: new Map(Object.entries(s.params)),
    model,
    best: s.hasBest ? snapshot("best/") : null,
    bestValAcc: s.bestValAcc,
    bestIteration: s.bestIteration,
    optim,
    rng: stream("rng/solver", s.rng),
    modelStreams: new Map(Object.entries(s.modelStreams).map(([k, j]) => [k, stream(`rng/model/${k}`, j)])),
    lossHistory: Array.from(typed("history/loss", Float64Array)),
    trainAccHistory: Array.from(typed("history/trainAcc", Float64Array)),
    valAccHistory: Array.from(typed("history/valAcc", Float64Array)),
    accIterations: Array.from(typed("history/accIterations", Int32Array)),
    epoch: s.epoch,
    iteration: s.iteration,
    iterationInCall: s.iterationInCall,
  };
  if (state.trainAccHistory.length !== state.accIterations.length || state.valAccHistory.length !== state.accIterations.length) {
    bad("invalid state: the accuracy histories and accIterations differ in length");
  }
  if (state.lossHistory.length !== state.iteration) bad(`invalid state: ${state.lossHistory.length} losses for ${state.iteration} iterations`);
  return state;
}

/** Writes `bytes` to `path` atomically and durably: a temporary file beside it, fsync, rename, fsync of the folder. */
export function writeFileDurable(path: string, bytes: Uint8Array): void {
  const tmp = tempPathFor(path);
  try {
    const fd = openSync(tmp, "w");
    try {
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at, bytes.length - at);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
  try {
    const dfd = openSync(dirname(path), "r");
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    // NOTE: some platforms (Windows) cannot fsync a folder; the rename is still atomic.
  }
}

/** Writes `state` to `path` as a checkpoint (atomically). */
export function writeCheckpointFile(path: string, state: SolverState): void {
  writeFileDurable(path, encodeCheckpoint(state));
}

/** Reads the checkpoint at `path` (DataFormatError naming it when it cannot be read as one). */
export function readCheckpointFile(path: string): SolverState {
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(path);
  } catch (err) {
    throw new DataFormatError(path, `cannot be read: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
  }
  return decodeCheckpoint(bytes, path);
}

/**
 * A Solver's `onCheckpoint` that keeps `dir/latest.safetensors` (every call) and
 * `dir/best.safetensors` (the state at the check that set the best validation accuracy).
 */
export function checkpointWriter(dir: string): (state: SolverState) => void {
  mkdirSync(dir, { recursive: true });
  return (state) => {
    const bytes = encodeCheckpoint(state);
    writeFileDurable(join(dir, CHECKPOINT_FILES.latest), bytes);
    if (state.bestIteration > 0 && state.bestIteration === state.accIterations.at(-1)) writeFileDurable(join(dir, CHECKPOINT_FILES.best), bytes);
  };
}

/** The latest checkpoint in `dir`, or null when there is none. */
export function latestCheckpoint(dir: string): string | null {
  const p = join(dir, CHECKPOINT_FILES.latest);
  return existsSync(p) ? p : null;
}
