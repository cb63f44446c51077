/**
 * A restricted reader for the Python-2 pickles (protocol 2) of CIFAR-10's python layout.
 *
 * It understands exactly the opcodes those files use (plus the few equivalents a
 * numpy/cPickle writer may choose instead, e.g. LONG_BINPUT once the memo passes 255,
 * BINUNICODE for a unicode string) and exactly three callables:
 * `numpy.core.multiarray._reconstruct` (also spelled `numpy._core.multiarray`),
 * `numpy.ndarray` (only as `_reconstruct`'s first argument) and `numpy.dtype`.
 * Nothing named in a pickle is ever executed: those three are modelled by plain
 * objects (`NdArrayValue`, `DTypeValue`); any other global, opcode or call is a
 * `DataFormatError` naming the file and what was found.
 *
 * It never hangs: each loop iteration consumes at least one byte, every read is
 * bounds-checked, and nothing recurses over the decoded values.
 */
import { DataFormatError } from "../core/errors.js";

/** A Python 2 `str` (bytes). `bytes` views the input buffer; nothing is copied. */
export class PyBytes {
  constructor(readonly bytes: Uint8Array) {}
  /** The bytes as text (UTF-8; CIFAR's names are ASCII). */
  text(): string {
    return new TextDecoder("utf-8", { fatal: false }).decode(this.bytes);
  }
}

/** A Python tuple (immutable sequence). */
export class PyTuple {
  constructor(readonly items: readonly PyValue[]) {}
}

/** A Python list. */
export class PyList {
  readonly items: PyValue[] = [];
}

/** A Python dict with string keys (bytes keys are decoded). */
export class PyDict {
  readonly entries = new Map<string, PyValue>();
}

/** One of the allowed globals, as a marker; it is never called. */
export class PyGlobal {
  constructor(
    readonly module: string,
    readonly name: string,
    readonly role: "reconstruct" | "ndarray" | "dtype",
  ) {}
}

/** A `numpy.dtype` built by the pickle: `str` is the code (e.g. "u1"), `byteorder` from its state. */
export class DTypeValue {
  byteorder = "|";
  constructor(readonly str: string) {}
}

/** A numpy array built by `_reconstruct` + BUILD: shape, dtype and the raw bytes (a view). */
export class NdArrayValue {
  shape: number[] | null = null;
  dtype: DTypeValue | null = null;
  fortranOrder = false;
  data: Uint8Array | null = null;
}

export type PyValue =
  | null
  | boolean
  | number
  | string
  | PyBytes
  | PyTuple
  | PyList
  | PyDict
  | PyGlobal
  | DTypeValue
  | NdArrayValue;

const ALLOWED_GLOBALS = new Map<string, PyGlobal["role"]>([
  ["numpy.core.multiarray _reconstruct", "reconstruct"],
  ["numpy._core.multiarray _reconstruct", "reconstruct"],
  ["numpy ndarray", "ndarray"],
  ["numpy dtype", "dtype"],
]);

const OPCODE_NAMES: Record<number, string> = {
  0x80: "PROTO", 0x7d: "EMPTY_DICT", 0x5d: "EMPTY_LIST", 0x29: "EMPTY_TUPLE", 0x28: "MARK",
  0x71: "BINPUT", 0x72: "LONG_BINPUT", 0x68: "BINGET", 0x6a: "LONG_BINGET",
  0x55: "SHORT_BINSTRING", 0x54: "BINSTRING", 0x58: "BINUNICODE",
  0x4b: "BININT1", 0x4d: "BININT2", 0x4a: "BININT",
  0x61: "APPEND", 0x65: "APPENDS", 0x73: "SETITEM", 0x75: "SETITEMS",
  0x63: "GLOBAL", 0x74: "TUPLE", 0x85: "TUPLE1", 0x86: "TUPLE2", 0x87: "TUPLE3",
  0x52: "REDUCE", 0x62: "BUILD", 0x88: "NEWTRUE", 0x89: "NEWFALSE", 0x4e: "NONE", 0x2e: "STOP",
};

/** The longest GLOBAL line (module or name) accepted; real ones are far shorter. */
const MAX_GLOBAL_LINE = 256;

/** A short description of a value's Python type, for error messages. */
function typeName(v: PyValue | undefined): string {
  if (v === undefined) return "nothing";
  if (v === null) return "None";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return "int";
  if (typeof v === "string") return "unicode";
  if (v instanceof PyBytes) return "str";
  if (v instanceof PyTuple) return "tuple";
  if (v instanceof PyList) return "list";
  if (v instanceof PyDict) return "dict";
  if (v instanceof PyGlobal) return `${v.module}.${v.name}`;
  if (v instanceof DTypeValue) return "numpy.dtype";
  return "numpy.ndarray";
}

/**
 * Decodes a protocol-2 pickle into plain values. `file` names the source in errors.
 * Throws `DataFormatError` for anything outside the supported subset.
 */
export function unpickle(buf: Uint8Array, file: string): PyValue {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const stack: PyValue[] = [];
  const marks: number[] = [];
  const memo = new Map<number, PyValue>();
  let pos = 0;
  let opPos = 0;
  let opName = "";

  const fail = (problem: string): never => {
    throw new DataFormatError(file, `not a CIFAR-10 pickle: ${problem} (opcode ${opName} at byte ${opPos})`);
  };
  const need = (n: number): void => {
    if (n < 0 || pos + n > buf.length) fail(`truncated: needs ${n} more bytes, ${buf.length - pos} left`);
  };
  const pop = (): PyValue => {
    const floor = marks.length > 0 ? marks[marks.length - 1]! : 0;
    if (stack.length <= floor) fail("stack underflow");
    return stack.pop() as PyValue;
  };
  const top = (): PyValue => {
    const floor = marks.length > 0 ? marks[marks.length - 1]! : 0;
    if (stack.length <= floor) fail("stack underflow");
    return stack[stack.length - 1] as PyValue;
  };
  const popMark = (): PyValue[] => {
    const m = marks.pop();
    if (m === undefined) fail("no MARK on the stack");
    return stack.splice(m!);
  };
  const dictKey = (k: PyValue): string => {
    if (k instanceof PyBytes) return k.text();
    if (typeof k === "string") return k;
    return fail(`dict key of type ${typeName(k)}`);
  };
  const setItem = (d: PyValue, k: PyValue, v: PyValue): void => {
    if (!(d instanceof PyDict)) fail(`SETITEM on ${typeName(d)}`);
    (d as PyDict).entries.set(dictKey(k), v);
  };
  const readLine = (): string => {
    const limit = Math.min(buf.length, pos + MAX_GLOBAL_LINE);
    let end = pos;
    while (end < limit && buf[end] !== 0x0a) end++;
    if (end >= limit) fail("GLOBAL line without a newline");
    let s = "";
    for (let i = pos; i < end; i++) s += String.fromCharCode(buf[i]!);
    pos = end + 1;
    return s;
  };

  for (;;) {
    opPos = pos;
    opName = "(end of data)";
    need(1);
    const op = buf[pos++]!;
    opName = OPCODE_NAMES[op] ?? `0x${op.toString(16).padStart(2, "0")}`;
    switch (op) {
      case 0x80: {
        need(1);
        const proto = buf[pos++]!;
        if (proto > 2) fail(`protocol ${proto} (this reader supports protocol 2)`);
        break;
      }
      case 0x7d: stack.push(new PyDict()); break;
      case 0x5d: stack.push(new PyList()); break;
      case 0x29: stack.push(new PyTuple([])); break;
      case 0x28: marks.push(stack.length); break;
      case 0x71: need(1); memo.set(buf[pos++]!, top()); break;
      case 0x72: need(4); memo.set(view.getUint32(pos, true), top()); pos += 4; break;
      case 0x68:
      case 0x6a: {
        const n = op === 0x68 ? 1 : 4;
        need(n);
        const key = n === 1 ? buf[pos]! : view.getUint32(pos, true);
        pos += n;
        if (!memo.has(key)) fail(`memo key ${key} was never stored`);
        stack.push(memo.get(key) as PyValue);
        break;
      }
      case 0x55:
      case 0x54:
      case 0x58: {
        const n = op === 0x55 ? 1 : 4;
        need(n);
        const len = n === 1 ? buf[pos]! : view.getInt32(pos, true);
        pos += n;
        if (len < 0) fail(`negative string length ${len}`);
        need(len);
        const bytes = buf.subarray(pos, pos + len);
        pos += len;
        stack.push(op === 0x58 ? new TextDecoder("utf-8").decode(bytes) : new PyBytes(bytes));
        break;
      }
      case 0x4b: need(1); stack.push(buf[pos]!); pos += 1; break;
      case 0x4d: need(2); stack.push(view.getUint16(pos, true)); pos += 2; break;
      case 0x4a: need(4); stack.push(view.getInt32(pos, true)); pos += 4; break;
      case 0x61: {
        const v = pop();
        const list = top();
        if (!(list instanceof PyList)) fail(`APPEND to ${typeName(list)}`);
        (list as PyList).items.push(v);
        break;
      }
      case 0x65: {
        const items = popMark();
        const list = top();
        if (!(list instanceof PyList)) fail(`APPENDS to ${typeName(list)}`);
        for (const v of items) (list as PyList).items.push(v);
        break;
      }
      case 0x73: {
        const v = pop();
        const k = pop();
        setItem(top(), k, v);
        break;
      }
      case 0x75: {
        const items = popMark();
        if (items.length % 2 !== 0) fail("SETITEMS with an odd number of items");
        const d = top();
        for (let i = 0; i < items.length; i += 2) setItem(d, items[i]!, items[i + 1]!);
        break;
      }
      case 0x63: {
        const module = readLine();
        const name = readLine();
        const role = ALLOWED_GLOBALS.get(`${module} ${name}`);
        if (role === undefined) fail(`refusing global ${module}.${name} (only numpy's array reconstruction is allowed)`);
        stack.push(new PyGlobal(module, name, role!));
        break;
      }
      case 0x74: stack.push(new PyTuple(popMark())); break;
      case 0x85:
      case 0x86:
      case 0x87: {
        const n = op - 0x84;
        const items: PyValue[] = new Array<PyValue>(n);
        for (let i = n - 1; i >= 0; i--) items[i] = pop();
        stack.push(new PyTuple(items));
        break;
      }
      case 0x52: {
        const args = pop();
        const fn = pop();
        stack.push(reduce(fn, args, fail));
        break;
      }
      case 0x62: {
        const state = pop();
        build(top(), state, fail);
        break;
      }
      case 0x88: stack.push(true); break;
      case 0x89: stack.push(false); break;
      case 0x4e: stack.push(null); break;
      case 0x2e: {
        if (marks.length > 0) fail("STOP with an unclosed MARK");
        if (stack.length !== 1) fail(`STOP with ${stack.length} values on the stack (expected 1)`);
        if (pos !== buf.length) fail(`${buf.length - pos} bytes after STOP`);
        return stack[0] as PyValue;
      }
      default:
        fail("unsupported opcode");
    }
  }
}

type Fail = (problem: string) => never;

function isIntTuple(v: PyValue): v is PyTuple {
  return v instanceof PyTuple && v.items.every((x) => typeof x === "number" && Number.isInteger(x) && x >= 0);
}

/** Models the allowed calls: `_reconstruct(ndarray, (0,), 'b')` and `dtype('u1', 0, 1)`. */
function reduce(fn: PyValue, args: PyValue, fail: Fail): PyValue {
  if (!(fn instanceof PyGlobal)) return fail(`REDUCE on ${typeName(fn)}`);
  if (!(args instanceof PyTuple)) return fail(`REDUCE with ${typeName(args)} arguments`);
  if (fn.role === "reconstruct") {
    const [subtype, shape] = args.items;
    if (args.items.length !== 3 || !(subtype instanceof PyGlobal) || subtype.role !== "ndarray" || !isIntTuple(shape as PyValue)) {
      return fail("_reconstruct called with unexpected arguments");
    }
    return new NdArrayValue();
  }
  if (fn.role === "dtype") {
    const code = args.items[0];
    const str = code instanceof PyBytes ? code.text() : typeof code === "string" ? code : null;
    if (str === null || args.items.length < 1 || args.items.length > 3) return fail("numpy.dtype called with unexpected arguments");
    return new DTypeValue(str);
  }
  return fail(`REDUCE calling ${fn.module}.${fn.name}`);
}

function textOf(v: PyValue | undefined): string | null {
  if (v instanceof PyBytes) return v.text();
  if (typeof v === "string") return v;
  return null;
}

/** Models `ndarray.__setstate__` and `dtype.__setstate__` on the values built above. */
function build(obj: PyValue, state: PyValue, fail: Fail): void {
  if (!(state instanceof PyTuple)) {
    fail(`BUILD with ${typeName(state)} state`);
    return;
  }
  if (obj instanceof DTypeValue) {
    const order = textOf(state.items[1]);
    if (state.items.length < 2 || order === null) fail("numpy.dtype state without a byte order");
    obj.byteorder = order!;
    return;
  }
  if (obj instanceof NdArrayValue) {
    // numpy writes (version, shape, dtype, is_fortran, rawdata); older writers omit the version.
    const items = state.items.length === 5 ? state.items.slice(1) : state.items;
    const [shape, dtype, fortran, raw] = items;
    if (items.length !== 4 || !isIntTuple(shape as PyValue) || !(dtype instanceof DTypeValue) || typeof fortran !== "boolean") {
      fail("numpy.ndarray state is not (shape, dtype, is_fortran, data)");
      return;
    }
    if (!(raw instanceof PyBytes)) {
      fail(`numpy.ndarray data of type ${typeName(raw)} (expected raw bytes)`);
      return;
    }
    obj.shape = (shape as PyTuple).items as number[];
    obj.dtype = dtype;
    obj.fortranOrder = fortran;
    obj.data = raw.bytes;
    return;
  }
  fail(`BUILD on ${typeName(obj)}`);
}
