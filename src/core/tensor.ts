/**
 * Tensors: a typed array plus a row-major shape. Nothing more.
 *
 * bnlab keeps numerics explicit: a Tensor owns (or views) a Float32Array or
 * Float64Array and carries its shape. There is no autograd here; gradients are
 * written by hand next to each forward function, as in the assignment.
 */

/** The two floating-point types bnlab computes in. Training defaults to float32. */
export type DType = "float32" | "float64";

/** A contiguous float buffer of either dtype. */
export type FloatArray = Float32Array | Float64Array;

/** Allocates a zero-filled buffer of `n` elements of the given dtype. */
export function allocFloat(n: number, dtype: DType): FloatArray {
  return dtype === "float64" ? new Float64Array(n) : new Float32Array(n);
}

/** The dtype of a buffer. */
export function dtypeOf(a: FloatArray): DType {
  return a instanceof Float64Array ? "float64" : "float32";
}

/** Product of a shape's dimensions (1 for a scalar shape `[]`). */
export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

function checkShape(shape: readonly number[]): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new RangeError(`invalid shape [${shape.join(", ")}]: dimensions must be non-negative integers`);
    }
  }
}

/**
 * A dense row-major tensor.
 *
 * `data.length === size` always holds. `shape` is frozen; `reshape` returns a
 * new Tensor viewing the same data.
 */
export class Tensor {
  readonly data: FloatArray;
  readonly shape: readonly number[];

  constructor(data: FloatArray, shape: readonly number[]) {
    // NOTE: dtypeOf would call any other typed array "float32"; an Int32Array (labels) or a
    // Uint8Array (raw pixels) would then be written through as if it held floats and truncate.
    if (!(data instanceof Float32Array) && !(data instanceof Float64Array)) {
      const kind = (data as { constructor?: { name?: string } } | null)?.constructor?.name ?? typeof data;
      throw new TypeError(`Tensor: data must be a Float32Array or Float64Array, got ${kind} (convert it first, e.g. Float32Array.from(labels))`);
    }
    checkShape(shape);
    const n = shapeSize(shape);
    if (data.length !== n) {
      throw new RangeError(`data has ${data.length} elements but shape [${shape.join(", ")}] needs ${n}`);
    }
    this.data = data;
    this.shape = Object.freeze([...shape]);
  }

  /** A zero tensor of the given shape and dtype (float32 by default). */
  static zeros(shape: readonly number[], dtype: DType = "float32"): Tensor {
    checkShape(shape);
    return new Tensor(allocFloat(shapeSize(shape), dtype), shape);
  }

  /** A tensor filled with `value`. */
  static full(shape: readonly number[], value: number, dtype: DType = "float32"): Tensor {
    const t = Tensor.zeros(shape, dtype);
    t.data.fill(value);
    return t;
  }

  /** Copies `values` (any array-like of numbers) into a new tensor of the given shape. */
  static from(values: ArrayLike<number>, shape: readonly number[] = [values.length], dtype: DType = "float32"): Tensor {
    const data = allocFloat(values.length, dtype);
    for (let i = 0; i < values.length; i++) data[i] = values[i]!;
    return new Tensor(data, shape);
  }

  /** Builds a tensor from a nested array of numbers (rectangular). */
  static fromNested(values: NestedNumbers, dtype: DType = "float32"): Tensor {
    const shape: number[] = [];
    let v: NestedNumbers | number = values;
    while (Array.isArray(v)) {
      shape.push(v.length);
      v = v[0] as NestedNumbers | number;
    }
    const flat = (values as unknown[]).flat(Infinity) as number[];
    return Tensor.from(flat, shape, dtype);
  }

  get dtype(): DType {
    return dtypeOf(this.data);
  }

  get size(): number {
    return this.data.length;
  }

  get ndim(): number {
    return this.shape.length;
  }

  /** A new tensor viewing the same data with another shape of equal size. */
  reshape(shape: readonly number[]): Tensor {
    return new Tensor(this.data, shape);
  }

  /** A deep copy. */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** A copy converted to another dtype (a plain copy when it already has it). */
  astype(dtype: DType): Tensor {
    const out = allocFloat(this.size, dtype);
    out.set(this.data);
    return new Tensor(out, this.shape);
  }

  /** Element at a multi-index (bounds-checked; for tests and small code, not hot loops). */
  get(...index: number[]): number {
    return this.data[this.offset(index)]!;
  }

  /** Sets the element at a multi-index. */
  set(value: number, ...index: number[]): void {
    this.data[this.offset(index)] = value;
  }

  /** Rows `start` to `end` (exclusive) along the first axis, as a view. */
  rows(start: number, end: number): Tensor {
    const inner = this.shape.length === 0 ? 1 : shapeSize(this.shape.slice(1));
    return new Tensor(this.data.subarray(start * inner, end * inner), [end - start, ...this.shape.slice(1)]);
  }

  /** A nested plain array, for printing and JSON. */
  toNested(): NestedNumbers | number {
    const build = (dim: number, off: number): NestedNumbers | number => {
      if (dim === this.shape.length) return this.data[off]!;
      const stride = shapeSize(this.shape.slice(dim + 1));
      const out: (NestedNumbers | number)[] = [];
      for (let i = 0; i < this.shape[dim]!; i++) out.push(build(dim + 1, off + i * stride));
      return out as NestedNumbers;
    };
    return build(0, 0);
  }

  private offset(index: readonly number[]): number {
    if (index.length !== this.shape.length) {
      throw new RangeError(`index has ${index.length} dimensions, tensor has ${this.shape.length}`);
    }
    let off = 0;
    for (let d = 0; d < index.length; d++) {
      const i = index[d]!;
      const n = this.shape[d]!;
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`index ${i} out of range for axis ${d} of size ${n}`);
      off = off * n + i;
    }
    return off;
  }
}

/** A rectangular nested array of numbers. */
export type NestedNumbers = number[] | NestedNumbers[];

/** Integer labels, one per sample. */
export type Labels = Int32Array;
