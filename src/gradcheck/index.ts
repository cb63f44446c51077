/**
 * Numerical gradients by centred differences, and the relative error the
 * notebook compares them with. Run these in float64: with float32 the rounding
 * of f swamps a step of h = 1e-5.
 */
import { Tensor } from "../core/tensor.js";
import type { FloatArray, Labels } from "../core/tensor.js";
import type { Model } from "../models/model.js";

type Numbers = Tensor | FloatArray | readonly number[];

function values(a: Numbers): ArrayLike<number> {
  return a instanceof Tensor ? a.data : a;
}

/**
 * The numerical gradient of a scalar function of x, by centred differences:
 * grad[i] = (f(x + h·e_i) − f(x − h·e_i)) / 2h.
 *
 * `f` takes no argument: it reads x, which is perturbed in place (each element is
 * restored afterwards), exactly as the assignment's `eval_numerical_gradient`.
 *
 * @param x the point (any shape); its data is modified during the call and restored
 * @returns the gradient, float64, shape of x
 */
export function evalNumericalGradient(f: () => number, x: Tensor, h = 1e-5): Tensor {
  const xd = x.data;
  const grad = new Float64Array(xd.length);
  for (let i = 0; i < xd.length; i++) {
    const old = xd[i]!;
    xd[i] = old + h;
    const fp = f();
    xd[i] = old - h;
    const fm = f();
    xd[i] = old;
    grad[i] = (fp - fm) / (2 * h);
  }
  return new Tensor(grad, x.shape);
}

/**
 * The numerical gradient of Σ f(x)·df for a tensor-valued f: the gradient that
 * flows back to x when df flows into f's output (centred differences).
 *
 * @param f returns a tensor of df's shape, reading the perturbed x
 * @param x the point (any shape); modified during the call and restored
 * @param df upstream gradient, shape of f's output
 * @returns the gradient, float64, shape of x
 */
export function evalNumericalGradientArray(f: () => Tensor, x: Tensor, df: Tensor, h = 1e-5): Tensor {
  const xd = x.data;
  const dd = df.data;
  const grad = new Float64Array(xd.length);
  for (let i = 0; i < xd.length; i++) {
    const old = xd[i]!;
    xd[i] = old + h;
    const pos = f().data.slice();
    xd[i] = old - h;
    const neg = f().data;
    xd[i] = old;
    if (pos.length !== dd.length || neg.length !== dd.length) {
      throw new RangeError(`evalNumericalGradientArray: f returned ${neg.length} values but df has ${dd.length}`);
    }
    let s = 0;
    for (let k = 0; k < dd.length; k++) s += (pos[k]! - neg[k]!) * dd[k]!;
    grad[i] = s / (2 * h);
  }
  return new Tensor(grad, x.shape);
}

/** max_i |x_i − y_i| / max(1e-8, |x_i| + |y_i|), the notebook's `rel_error`. */
export function relError(x: Numbers, y: Numbers): number {
  const a = values(x);
  const b = values(y);
  if (a.length !== b.length) throw new RangeError(`relError: x has ${a.length} values, y has ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!) / Math.max(1e-8, Math.abs(a[i]!) + Math.abs(b[i]!));
    if (Number.isNaN(e)) return NaN; // NOTE: a NaN anywhere must never read as a pass.
    if (e > m) m = e;
  }
  return m;
}

/**
 * max_i |x_i − ref_i| / max_i |ref_i|: the norm-wise relative error, which stays meaningful when
 * some entries are near 0 (where `relError` explodes); the absolute error when ref is all zeros.
 * NaN anywhere gives NaN.
 */
export function normRelError(x: Numbers, ref: Numbers): number {
  const a = values(x);
  const b = values(ref);
  if (a.length !== b.length) throw new RangeError(`normRelError: x has ${a.length} values, ref has ${b.length}`);
  let err = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    err = Math.max(err, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? err : err / scale;
}

/** max_i |x_i − y_i|. */
export function maxAbsError(x: Numbers, y: Numbers): number {
  const a = values(x);
  const b = values(y);
  if (a.length !== b.length) throw new RangeError(`maxAbsError: x has ${a.length} values, y has ${b.length}`);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const e = Math.abs(a[i]! - b[i]!);
    if (Number.isNaN(e)) return NaN;
    if (e > m) m = e;
  }
  return m;
}

/** One compared gradient. */
export interface GradcheckEntry {
  name: string;
  relError: number;
  maxAbsError: number;
  /** The relative tolerance applied to this entry. */
  relTol: number;
  /** Elements whose relative error is >= relTol AND whose absolute error is >= absTol. */
  failing: number;
  /** No failing element. */
  ok: boolean;
}

/** Tolerances of `gradcheckReport`. */
export interface GradcheckTolerance {
  /** Relative tolerance, or one per name (e.g. looser for weights). Default 1e-7. */
  relTol?: number | ((name: string) => number);
  /** An entry whose largest absolute difference is below this also passes. Default 1e-8. */
  absTol?: number;
}

/**
 * Compares analytic and numerical gradients by name, element by element: an
 * element passes when its relative error is below `relTol` OR its absolute error
 * is below `absTol`. A true gradient of ~0 (a bias feeding a normalization layer,
 * or a weight the loss barely depends on) makes the relative error of two tiny
 * round-off values meaningless, while the absolute one is not.
 */
export function gradcheckReport(
  analytic: ReadonlyMap<string, Tensor>,
  numeric: ReadonlyMap<string, Tensor>,
  tol: GradcheckTolerance = {},
): { ok: boolean; entries: GradcheckEntry[] } {
  const absTol = tol.absTol ?? 1e-8;
  const entries: GradcheckEntry[] = [];
  for (const [name, a] of analytic) {
    const n = numeric.get(name);
    if (n === undefined) throw new RangeError(`gradcheckReport: no numerical gradient for "${name}"`);
    const relTol = typeof tol.relTol === "function" ? tol.relTol(name) : (tol.relTol ?? 1e-7);
    if (a.size !== n.size) throw new RangeError(`gradcheckReport: "${name}" has ${a.size} analytic values, ${n.size} numerical`);
    let failing = 0;
    for (let i = 0; i < a.size; i++) {
      const x = a.data[i]!;
      const y = n.data[i]!;
      const abs = Math.abs(x - y);
      const rel = abs / Math.max(1e-8, Math.abs(x) + Math.abs(y));
      if (!(rel < relTol) && !(abs < absTol)) failing++;
    }
    entries.push({ name, relError: relError(a, n), maxAbsError: maxAbsError(a, n), relTol, failing, ok: failing === 0 });
  }
  return { ok: entries.every((e) => e.ok), entries };
}

/**
 * The numerical gradient of `model.loss(X, y).loss` with respect to each named
 * parameter (all of them by default). Each parameter is perturbed in place and
 * restored. `beforeEach` runs before every loss evaluation (e.g. to rewind a
 * dropout stream so that every evaluation draws the same mask).
 *
 * @param X inputs (N, …); y labels (N)
 * @returns name -> gradient (float64, shape of the parameter)
 */
export function numericalModelGradients(
  model: Model,
  X: Tensor,
  y: Labels,
  options: { names?: readonly string[]; h?: number; beforeEach?: () => void } = {},
): Map<string, Tensor> {
  const names = options.names ?? [...model.params.keys()];
  const f = (): number => {
    options.beforeEach?.();
    return model.loss(X, y).loss;
  };
  const out = new Map<string, Tensor>();
  for (const name of names) {
    const p = model.params.get(name);
    if (p === undefined) throw new RangeError(`numericalModelGradients: the model has no parameter "${name}"`);
    out.set(name, evalNumericalGradient(f, p, options.h ?? 1e-5));
  }
  return out;
}
