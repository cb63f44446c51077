/**
 * What a check runs the learner's code through: each call is guarded (a "not
 * implemented" error, a thrown error, a changed argument), each output is
 * validated (a Tensor, its shape and dtype, finite), and outputs are compared
 * with bnlab's by one error measure.
 */
import { Tensor } from "../core/tensor.js";
import type { DType } from "../core/tensor.js";
import { CAUSES, isNotImplemented, type CauseId, type Diagnosis, type ExerciseFunction, type LearnerLayers } from "./types.js";

/** A learner's function threw "not implemented" (or is missing). */
export class NotImplementedSignal extends Error {
  constructor(readonly fn: ExerciseFunction) {
    super(`${fn} is not implemented`);
  }
}

/** A learner's function threw: the original error, and which function. */
export class LearnerThrew extends Error {
  constructor(
    readonly fn: ExerciseFunction,
    readonly original: unknown,
  ) {
    super(`${fn} threw: ${original instanceof Error ? original.message : String(original)}`);
  }
}

/** A check found a wrong result: its diagnosis (and the measured error, when there is one). */
export class CheckFailure extends Error {
  constructor(
    readonly diagnosis: Diagnosis,
    readonly error: number | null = null,
  ) {
    super(diagnosis.detail);
  }
}

export function diagnosis(wrong: string[], causeId: CauseId | null, detail: string): Diagnosis {
  return { wrong, causeId, cause: causeId === null ? null : CAUSES[causeId], detail };
}

/** Typed arrays reachable from a value (Tensors, caches, parameter objects), with their paths. */
function typedArrays(value: unknown, path: string, skip: ReadonlySet<unknown>, out: [string, Float32Array | Float64Array | Int32Array][], depth: number, seen: Set<unknown>): void {
  if (value === null || typeof value !== "object" || skip.has(value) || seen.has(value)) return;
  seen.add(value);
  if (value instanceof Float32Array || value instanceof Float64Array || value instanceof Int32Array) {
    out.push([path, value]);
    return;
  }
  if (depth > 4) return;
  if (value instanceof Tensor) {
    typedArrays(value.data, path, skip, out, depth + 1, seen);
    return;
  }
  for (const [k, v] of Object.entries(value)) typedArrays(v, path === "" ? k : `${path}.${k}`, skip, out, depth + 1, seen);
}

/** A copy of every typed array reachable from `args` (except those in `skip`), to detect changes later. */
export function snapshotArrays(args: Record<string, unknown>, skip: ReadonlySet<unknown> = new Set()): { path: string; live: ArrayLike<number>; copy: Float64Array }[] {
  const found: [string, Float32Array | Float64Array | Int32Array][] = [];
  const seen = new Set<unknown>();
  for (const [k, v] of Object.entries(args)) typedArrays(v, k, skip, found, 0, seen);
  return found.map(([path, live]) => ({ path, live, copy: Float64Array.from(live) }));
}

/** Paths of the snapshotted arrays whose contents changed. */
export function changedArrays(snap: { path: string; live: ArrayLike<number>; copy: Float64Array }[]): string[] {
  const changed: string[] = [];
  for (const s of snap) {
    if (s.live.length !== s.copy.length) {
      changed.push(s.path);
      continue;
    }
    for (let i = 0; i < s.copy.length; i++) {
      if (!Object.is(s.live[i], s.copy[i])) {
        changed.push(s.path);
        break;
      }
    }
  }
  return changed;
}

/**
 * The learner's functions as a check sees them. `call(name, args, argNames, allowed)`
 * runs one and throws NotImplementedSignal / LearnerThrew / CheckFailure (an argument changed).
 */
export class LearnerContext {
  /** Caches returned by a forward pass, with a snapshot taken when they were returned. */
  private readonly caches = new WeakMap<object, ReturnType<typeof snapshotArrays>>();

  constructor(private readonly layers: LearnerLayers) {}

  /** The learner's functions themselves (for timing, where guarding would distort the figures). */
  raw(): LearnerLayers {
    return this.layers;
  }

  has(fn: ExerciseFunction): boolean {
    return typeof this.layers[fn] === "function";
  }

  /**
   * Calls `fn` with `args` (named by `names` for messages). Arrays in `mayChange`
   * (a train-mode pass's running statistics) may be modified; any other array
   * reachable from the arguments must come back unchanged.
   */
  call<R>(fn: ExerciseFunction, args: unknown[], names: string[], mayChange: ReadonlySet<unknown> = new Set()): R {
    const f = this.layers[fn] as ((...a: unknown[]) => R) | undefined;
    if (typeof f !== "function") throw new NotImplementedSignal(fn);
    const named: Record<string, unknown> = {};
    args.forEach((a, i) => (named[names[i] ?? `arg${i}`] = a));
    for (const [name, a] of Object.entries(named)) {
      const before = a !== null && typeof a === "object" ? this.caches.get(a) : undefined;
      if (before !== undefined) {
        const changed = changedArrays(before);
        if (changed.length > 0) {
          throw new CheckFailure(diagnosis(["cache"], "mutatedInput", `the ${name} passed to ${fn} was changed after the forward pass returned it (${changed.join(", ")})`));
        }
      }
    }
    const snap = snapshotArrays(named, mayChange);
    let result: R;
    try {
      result = f(...args);
    } catch (err) {
      if (isNotImplemented(err)) throw new NotImplementedSignal(fn);
      throw new LearnerThrew(fn, err);
    }
    const changed = changedArrays(snap);
    if (changed.length > 0) {
      throw new CheckFailure(diagnosis(changed, "mutatedInput", `${fn} changed ${changed.join(", ")} (arrays it was given)`));
    }
    if (result !== null && typeof result === "object" && "cache" in result) {
      const cache = (result as { cache: unknown }).cache;
      if (cache !== null && typeof cache === "object") this.caches.set(cache, snapshotArrays({ cache }));
    }
    return result;
  }
}

/** Whether `v` is a bnlab Tensor (or looks like one: a float array and a shape). */
function asTensor(v: unknown): Tensor | null {
  if (v instanceof Tensor) return v;
  if (v !== null && typeof v === "object" && "data" in v && "shape" in v) {
    const { data, shape } = v as { data: unknown; shape: unknown };
    if ((data instanceof Float32Array || data instanceof Float64Array) && Array.isArray(shape)) return v as Tensor;
  }
  return null;
}

const fmtShape = (s: readonly number[]): string => `(${s.join(", ")})`;

/**
 * The output `name` of `fn`, checked: a Tensor of `shape` and `dtype`, every value finite
 * (unless `allowNonFinite`, for comparing with a variant that is NaN too). Throws CheckFailure.
 */
export function output(fn: string, name: string, value: unknown, shape: readonly number[], dtype: DType, allowNonFinite = false): Tensor {
  const t = asTensor(value);
  if (t === null) {
    throw new CheckFailure(diagnosis([name], "wrongShape", `${fn} returned ${name} = ${describe(value)}, not a Tensor of shape ${fmtShape(shape)}`));
  }
  if (t.shape.length !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
    throw new CheckFailure(diagnosis([name], "wrongShape", `${fn}: ${name} has shape ${fmtShape(t.shape)}, expected ${fmtShape(shape)}`));
  }
  const dt: DType = t.data instanceof Float64Array ? "float64" : "float32";
  if (dt !== dtype) throw new CheckFailure(diagnosis([name], "wrongDtype", `${fn}: ${name} is ${dt}, expected ${dtype} (the dtype of x)`));
  if (!allowNonFinite) {
    const bad = firstNonFinite(t.data);
    if (bad >= 0) {
      const at = shape.length === 2 ? `row ${Math.floor(bad / shape[1]!)}, column ${bad % shape[1]!}` : `index ${bad}`;
      throw new CheckFailure(diagnosis([name], "notFinite", `${fn}: ${name} holds ${t.data[bad]} (first at ${at})`));
    }
  }
  return t;
}

function describe(v: unknown): string {
  if (v === undefined) return "undefined";
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  return typeof v === "object" ? `an object with keys {${Object.keys(v).join(", ")}}` : `${typeof v} ${String(v)}`;
}

export function firstNonFinite(a: ArrayLike<number>): number {
  for (let i = 0; i < a.length; i++) if (!Number.isFinite(a[i]!)) return i;
  return -1;
}

/**
 * The comparison with bnlab's result: max|got − want| / max(1, max|want|) — relative for
 * outputs of size above 1, absolute below (so arrays that are exactly 0, such as dx at
 * N = 1, compare sensibly). NaN in both at the same place counts as equal.
 */
export function scaledError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let scale = 1;
  for (let i = 0; i < want.length; i++) if (Number.isFinite(want[i]!)) scale = Math.max(scale, Math.abs(want[i]!));
  let m = 0;
  for (let i = 0; i < got.length; i++) {
    const g = got[i]!;
    const w = want[i]!;
    if (Number.isNaN(g) && Number.isNaN(w)) continue;
    const d = Math.abs(g - w);
    if (Number.isNaN(d)) return Infinity;
    m = Math.max(m, d);
  }
  return m / scale;
}

/** "6.1e-17" style for errors. */
export function fmtErr(x: number): string {
  return Number.isFinite(x) ? x.toExponential(1) : String(x);
}
