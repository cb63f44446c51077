/**
 * Update rules, one signature for all (as the assignment's optim.py):
 *
 *   rule(w, dw, config?) -> config
 *
 * `w` (any shape, flat buffer) is updated in place from its gradient `dw` (same
 * length). `config` holds the hyperparameters and the per-parameter state; the
 * rule fills in defaults, creates the state on the first call and returns the
 * full config, which the caller passes back on the next call for the same
 * parameter. State buffers have the dtype of `w` (numpy's `zeros_like(w)`).
 *
 * Arithmetic follows numpy's on the same arrays: float64 weights in float64; float32
 * weights (with float32 gradient and state) in float32, every operation rounded, each
 * scalar rounded to float32 first (NumPy 2's rule for Python scalars) — defined by
 * src/optim/float32.ts, and run by the WebAssembly kernels on the wasm paths (the same
 * bits). Mixed dtypes take the float64 loop, storing into w's dtype.
 */
import { OptionError } from "../core/errors.js";
import { UPDATE_RULE_NAMES, isUpdateRuleName, type UpdateRuleName } from "../core/names.js";
import { dtypeOf } from "../core/tensor.js";
import type { FloatArray } from "../core/tensor.js";
import { activeKernel, allocResident } from "../kernels/index.js";
import type { OptimKernelsF32 } from "../kernels/types.js";
import { optimF32Reference } from "./float32.js";

/** Plain SGD: w -= learningRate * dw. */
export interface SgdConfig {
  learningRate: number;
}

/** SGD with momentum: v = momentum*v - learningRate*dw; w += v. */
export interface SgdMomentumConfig {
  learningRate: number;
  momentum: number;
  /** Same length as w; zeros on the first call. */
  velocity: FloatArray;
}

/** RMSProp: cache = decayRate*cache + (1-decayRate)*dw²; w -= learningRate*dw/(√cache + epsilon). */
export interface RmspropConfig {
  learningRate: number;
  decayRate: number;
  epsilon: number;
  /** Same length as w; zeros on the first call. */
  cache: FloatArray;
}

/** Adam with bias correction; `t` is incremented before use (first step uses t = 1). */
export interface AdamConfig {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  /** First moment, same length as w. */
  m: FloatArray;
  /** Second moment, same length as w. */
  v: FloatArray;
  /** Number of steps taken. */
  t: number;
}

/** The one update-rule signature. */
export type UpdateRule<C> = (w: FloatArray, dw: FloatArray, config?: Partial<C>) => C;

/** The names `getUpdateRule` accepts (the list with its labels: src/core/names.ts). */
export type { UpdateRuleName };

/** Any rule's config: every field optional (what a caller such as the Solver holds per parameter). */
export type OptimConfig = Partial<SgdConfig & SgdMomentumConfig & RmspropConfig & AdamConfig>;

/** The hyperparameter defaults of the assignment. */
export const UPDATE_RULE_DEFAULTS = {
  sgd: { learningRate: 1e-2 },
  sgdMomentum: { learningRate: 1e-2, momentum: 0.9 },
  rmsprop: { learningRate: 1e-2, decayRate: 0.99, epsilon: 1e-8 },
  adam: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
} as const;

const STATE_KEYS: Record<UpdateRuleName, readonly string[]> = {
  sgd: [],
  sgdMomentum: ["velocity"],
  rmsprop: ["cache"],
  adam: ["m", "v", "t"],
};

function checkLengths(w: FloatArray, dw: FloatArray): void {
  if (dw.length !== w.length) throw new OptionError("dw", `a gradient of length ${w.length} (the length of w)`, `length ${dw.length}`);
}

function checkRate(name: string, v: number): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) throw new OptionError(name, "a finite number >= 0", v);
}

function checkFraction(name: string, v: number): void {
  if (typeof v !== "number" || !(v >= 0 && v < 1)) throw new OptionError(name, "a number in [0, 1)", v);
}

function checkEpsilon(name: string, v: number): void {
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) throw new OptionError(name, "a finite number > 0", v);
}

/** The state buffer named `name`, or a new zero buffer of w's dtype; checks its length. */
function stateBuffer(name: string, given: FloatArray | undefined, w: FloatArray): FloatArray {
  if (given === undefined) return allocResident(w.length, dtypeOf(w));
  if (!(given instanceof Float32Array || given instanceof Float64Array) || given.length !== w.length) {
    throw new OptionError(name, `a float buffer of length ${w.length}`, given instanceof Object && "length" in given ? `length ${given.length}` : given);
  }
  return given;
}

/** The float32 implementation for n weights: the active backend's, else the reference. */
function f32Impl(n: number): OptimKernelsF32 {
  return activeKernel("optimF32", n) ?? optimF32Reference;
}

const fr = Math.fround;

/** Vanilla stochastic gradient descent. */
export const sgd: UpdateRule<SgdConfig> = (w, dw, config = {}) => {
  const c: SgdConfig = { learningRate: config.learningRate ?? UPDATE_RULE_DEFAULTS.sgd.learningRate };
  checkRate("learningRate", c.learningRate);
  checkLengths(w, dw);
  const lr = c.learningRate;
  if (w instanceof Float32Array && dw instanceof Float32Array) {
    f32Impl(w.length).sgd(w, dw, fr(lr));
    return c;
  }
  for (let i = 0; i < w.length; i++) w[i] = w[i]! - lr * dw[i]!;
  return c;
};

/** Stochastic gradient descent with momentum. */
export const sgdMomentum: UpdateRule<SgdMomentumConfig> = (w, dw, config = {}) => {
  const d = UPDATE_RULE_DEFAULTS.sgdMomentum;
  const lr = config.learningRate ?? d.learningRate;
  const mu = config.momentum ?? d.momentum;
  checkRate("learningRate", lr);
  checkFraction("momentum", mu);
  checkLengths(w, dw);
  const v = stateBuffer("velocity", config.velocity, w);
  if (w instanceof Float32Array && dw instanceof Float32Array && v instanceof Float32Array) {
    f32Impl(w.length).sgdMomentum(w, dw, v, fr(lr), fr(mu));
    return { learningRate: lr, momentum: mu, velocity: v };
  }
  for (let i = 0; i < w.length; i++) {
    const vi = mu * v[i]! - lr * dw[i]!;
    v[i] = vi;
    w[i] = w[i]! + vi;
  }
  return { learningRate: lr, momentum: mu, velocity: v };
};

/** RMSProp: per-parameter step sizes from a moving average of squared gradients. */
export const rmsprop: UpdateRule<RmspropConfig> = (w, dw, config = {}) => {
  const d = UPDATE_RULE_DEFAULTS.rmsprop;
  const lr = config.learningRate ?? d.learningRate;
  const rho = config.decayRate ?? d.decayRate;
  const eps = config.epsilon ?? d.epsilon;
  checkRate("learningRate", lr);
  checkFraction("decayRate", rho);
  checkEpsilon("epsilon", eps);
  checkLengths(w, dw);
  const cache = stateBuffer("cache", config.cache, w);
  if (w instanceof Float32Array && dw instanceof Float32Array && cache instanceof Float32Array) {
    f32Impl(w.length).rmsprop(w, dw, cache, fr(lr), fr(rho), fr(1 - rho), fr(eps));
    return { learningRate: lr, decayRate: rho, epsilon: eps, cache };
  }
  for (let i = 0; i < w.length; i++) {
    const g = dw[i]!;
    const ci = rho * cache[i]! + (1 - rho) * (g * g);
    cache[i] = ci;
    // NOTE: divides by the stored cache value (float32 when w is), as numpy does.
    w[i] = w[i]! - (lr * g) / (Math.sqrt(cache[i]!) + eps);
  }
  return { learningRate: lr, decayRate: rho, epsilon: eps, cache };
};

/** Adam: moving averages of the gradient and its square, bias-corrected. */
export const adam: UpdateRule<AdamConfig> = (w, dw, config = {}) => {
  const d = UPDATE_RULE_DEFAULTS.adam;
  const lr = config.learningRate ?? d.learningRate;
  const beta1 = config.beta1 ?? d.beta1;
  const beta2 = config.beta2 ?? d.beta2;
  const eps = config.epsilon ?? d.epsilon;
  const t0 = config.t ?? 0;
  checkRate("learningRate", lr);
  checkFraction("beta1", beta1);
  checkFraction("beta2", beta2);
  checkEpsilon("epsilon", eps);
  if (!Number.isInteger(t0) || t0 < 0) throw new OptionError("t", "a non-negative integer step count", t0);
  checkLengths(w, dw);
  const m = stateBuffer("m", config.m, w);
  const v = stateBuffer("v", config.v, w);
  const t = t0 + 1; // incremented before use
  // NOTE: beta ** t is V8's pow, which can differ from the C library's (Python's) in the
  // last bit of a double; rounded to float32 for the float32 path it agreed with Python
  // for every t up to 200,000 (beta 0.8, 0.9, 0.99, 0.999).
  const c1 = 1 - beta1 ** t;
  const c2 = 1 - beta2 ** t;
  if (w instanceof Float32Array && dw instanceof Float32Array && m instanceof Float32Array && v instanceof Float32Array) {
    f32Impl(w.length).adam(w, dw, m, v, fr(lr), fr(beta1), fr(1 - beta1), fr(c1), fr(beta2), fr(1 - beta2), fr(c2), fr(eps));
    return { learningRate: lr, beta1, beta2, epsilon: eps, m, v, t };
  }
  for (let i = 0; i < w.length; i++) {
    const g = dw[i]!;
    m[i] = beta1 * m[i]! + (1 - beta1) * g;
    v[i] = beta2 * v[i]! + (1 - beta2) * (g * g);
    const mt = m[i]! / c1;
    const vt = v[i]! / c2;
    w[i] = w[i]! - (lr * mt) / (Math.sqrt(vt) + eps);
  }
  return { learningRate: lr, beta1, beta2, epsilon: eps, m, v, t };
};

const RULES: Record<UpdateRuleName, UpdateRule<OptimConfig>> = {
  sgd: sgd as UpdateRule<OptimConfig>,
  sgdMomentum: sgdMomentum as UpdateRule<OptimConfig>,
  rmsprop: rmsprop as UpdateRule<OptimConfig>,
  adam: adam as UpdateRule<OptimConfig>,
};

/** The assignment's snake_case names, accepted as aliases. */
const ALIASES: Record<string, UpdateRuleName> = { sgd_momentum: "sgdMomentum" };

/** The rule names, in the order the assignment introduces them (defined in src/core/names.ts). */
export { UPDATE_RULE_NAMES };

function resolveName(name: string): UpdateRuleName {
  const n = ALIASES[name] ?? name;
  if (!isUpdateRuleName(n)) throw new OptionError("updateRule", `one of ${UPDATE_RULE_NAMES.map((r) => `"${r}"`).join(", ")}`, name);
  return n;
}

/** The update rule called `name` ("sgd", "sgdMomentum" or "sgd_momentum", "rmsprop", "adam"); OptionError otherwise. */
export function getUpdateRule(name: string): UpdateRule<OptimConfig> {
  return RULES[resolveName(name)];
}

/**
 * Checks a config for the rule `name` before any step is taken: unknown keys
 * (e.g. the assignment's `learning_rate`) and bad values throw OptionError naming
 * `optimConfig.<key>`. State keys (velocity, cache, m, v, t) are allowed unless
 * `allowState` is false (a config shared by many parameters must not carry state).
 */
export function validateOptimConfig(name: string, config: object, { allowState = true }: { allowState?: boolean } = {}): void {
  const rule = resolveName(name);
  const allowed = [...Object.keys(UPDATE_RULE_DEFAULTS[rule]), ...(allowState ? STATE_KEYS[rule] : [])];
  for (const [key, value] of Object.entries(config)) {
    if (!allowed.includes(key)) {
      throw new OptionError(`optimConfig.${key}`, `one of the ${rule} keys ${allowed.join(", ")}`, value);
    }
  }
  const c = config as OptimConfig;
  if (c.learningRate !== undefined) checkRate("optimConfig.learningRate", c.learningRate);
  if (c.momentum !== undefined) checkFraction("optimConfig.momentum", c.momentum);
  if (c.decayRate !== undefined) checkFraction("optimConfig.decayRate", c.decayRate);
  if (c.beta1 !== undefined) checkFraction("optimConfig.beta1", c.beta1);
  if (c.beta2 !== undefined) checkFraction("optimConfig.beta2", c.beta2);
  if (c.epsilon !== undefined) checkEpsilon("optimConfig.epsilon", c.epsilon);
}
