/**
 * Purpose-built variants of the reference layers: what each output would be under
 * one known mistake. The diagnosis (diagnose.ts) computes every variant on the
 * inputs a check used and looks for the one the learner's output matches, so it
 * recognises a bug by what the code computes, never by reading the code.
 *
 * Plain float64 loops over row-major (N, D) arrays, written for clarity; with no
 * mistake selected each equals bnlab's layer to rounding (test/exercise.test.ts).
 */

/** Mistakes in a batch-norm (or layer-norm) forward pass. */
export interface ForwardMistakes {
  /** Variance divided by N − 1 instead of N. */
  unbiased?: boolean;
  /** sqrt(var) + eps instead of sqrt(var + eps). */
  epsOutside?: boolean;
  /** running = (1 − momentum)·running + momentum·batch. */
  momentumReversed?: boolean;
  /** Test mode normalizing with the batch's own statistics. */
  testUsesBatch?: boolean;
  /** Running statistics never updated. */
  noRunningUpdate?: boolean;
  /** Test mode updating the running statistics as train mode does. */
  testUpdatesRunning?: boolean;
  /** Variance as E[x²] − E[x]² (one pass), in float32 arithmetic. */
  onePassFloat32?: boolean;
  /** The running variance updated with the N − 1 variance (normalization itself correct). */
  runningUnbiased?: boolean;
  /** No eps at all: sqrt(var). */
  noEps?: boolean;
}

export interface ForwardVariant {
  out: Float64Array;
  runningMean: Float64Array | null;
  runningVar: Float64Array | null;
}

function colStats(x: ArrayLike<number>, N: number, D: number, m: ForwardMistakes): { mean: Float64Array; v: Float64Array; vUnbiased: Float64Array } {
  const mean = new Float64Array(D);
  const v = new Float64Array(D);
  const vUnbiased = new Float64Array(D);
  if (m.onePassFloat32 === true) {
    const f = Math.fround;
    for (let j = 0; j < D; j++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < N; i++) {
        const e = f(x[i * D + j]!);
        s = f(s + e);
        s2 = f(s2 + f(e * e));
      }
      mean[j] = f(s / N);
      v[j] = Math.max(0, f(f(s2 / N) - f(mean[j]! * mean[j]!)));
      vUnbiased[j] = N > 1 ? (v[j]! * N) / (N - 1) : NaN;
    }
    return { mean, v, vUnbiased };
  }
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) mean[j] = mean[j]! + x[i * D + j]!;
  for (let j = 0; j < D; j++) mean[j] = mean[j]! / N;
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) {
      const e = x[i * D + j]! - mean[j]!;
      v[j] = v[j]! + e * e;
    }
  }
  for (let j = 0; j < D; j++) {
    vUnbiased[j] = v[j]! / (N - 1);
    v[j] = v[j]! / N;
  }
  return { mean, v, vUnbiased };
}

/**
 * Batch-norm forward under `m`. `running` (D each) is not modified: the updated
 * statistics are returned (null when none were given).
 */
export function batchnormForwardVariant(
  x: ArrayLike<number>,
  N: number,
  D: number,
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  mode: "train" | "test",
  running: { mean: ArrayLike<number>; var: ArrayLike<number> } | null,
  m: ForwardMistakes = {},
  epsGiven = 1e-5,
  momentum = 0.9,
): ForwardVariant {
  const eps = m.noEps === true ? 0 : epsGiven;
  const batch = colStats(x, N, D, m);
  const batchVar = m.unbiased === true ? batch.vUnbiased : batch.v;
  let mean = batch.mean;
  let v = batchVar;
  if (mode === "test" && m.testUsesBatch !== true) {
    mean = Float64Array.from(running!.mean);
    v = Float64Array.from(running!.var);
  }
  const out = new Float64Array(N * D);
  for (let j = 0; j < D; j++) {
    const s = m.epsOutside === true ? Math.sqrt(v[j]!) + eps : Math.sqrt(v[j]! + eps);
    for (let i = 0; i < N; i++) out[i * D + j] = (gamma[j]! * (x[i * D + j]! - mean[j]!)) / s + beta[j]!;
  }
  if (running === null) return { out, runningMean: null, runningVar: null };
  const rm = Float64Array.from(running.mean);
  const rv = Float64Array.from(running.var);
  const update = (mode === "train" || m.testUpdatesRunning === true) && m.noRunningUpdate !== true;
  if (update) {
    const [keep, take] = m.momentumReversed === true ? [1 - momentum, momentum] : [momentum, 1 - momentum];
    const runVar = m.runningUnbiased === true ? batch.vUnbiased : batchVar;
    for (let j = 0; j < D; j++) {
      rm[j] = keep * rm[j]! + take * batch.mean[j]!;
      rv[j] = keep * rv[j]! + take * runVar[j]!;
    }
  }
  return { out, runningMean: rm, runningVar: rv };
}

/** Mistakes in a batch-norm (or layer-norm) backward pass. */
export interface BackwardMistakes {
  /** The branch through the mean (dx2 = −Σdx1/N) left out of the staged graph. */
  noMeanBranch?: boolean;
  /** The branch through the variance (dxmu2) left out. */
  noVarBranch?: boolean;
  /** dx computed with gamma = 1 (gamma left out of dxhat). */
  noGamma?: boolean;
  /** The closed form's leading 1/N missing (dx N times too large). */
  missingInvN?: boolean;
  /** dgamma and dbeta swapped. */
  swappedParams?: boolean;
  /** The gradient as if the variance were N − 1 based (forward used unbiased var consistently). */
  unbiased?: boolean;
  /** eps added outside the square root (consistently in the backward pass). */
  epsOutside?: boolean;
  /** The cache holds the N − 1 variance's xhat and 1/std, the backward pass is otherwise right (1/N). */
  unbiasedCache?: boolean;
  /** No eps (consistently in the backward pass). */
  noEps?: boolean;
}

export interface BackwardVariant {
  dx: Float64Array;
  dgamma: Float64Array;
  dbeta: Float64Array;
}

/**
 * Batch-norm train-mode backward under `m`, from the forward inputs (x, gamma)
 * and dout, staged as the notebook's steps 9 to 0.
 */
export function batchnormBackwardVariant(
  x: ArrayLike<number>,
  N: number,
  D: number,
  gamma: ArrayLike<number>,
  dout: ArrayLike<number>,
  m: BackwardMistakes = {},
  epsGiven = 1e-5,
): BackwardVariant {
  const eps = m.noEps === true ? 0 : epsGiven;
  const { mean, v, vUnbiased } = colStats(x, N, D, {});
  const dx = new Float64Array(N * D);
  const dgamma = new Float64Array(D);
  const dbeta = new Float64Array(D);
  const div = m.unbiased === true ? N - 1 : N;
  for (let j = 0; j < D; j++) {
    const variance = m.unbiased === true || m.unbiasedCache === true ? vUnbiased[j]! : v[j]!;
    const sqrtvar = m.epsOutside === true ? Math.sqrt(variance) + eps : Math.sqrt(variance + eps);
    const ivar = 1 / sqrtvar;
    // d ivar / d var
    const dIvarDvar = m.epsOutside === true ? -1 / (sqrtvar * sqrtvar) / (2 * Math.sqrt(variance)) : -0.5 * ivar * ivar * ivar;
    const g = m.noGamma === true ? 1 : gamma[j]!;
    let divar = 0;
    for (let i = 0; i < N; i++) {
      const k = i * D + j;
      const xmu = x[k]! - mean[j]!;
      dbeta[j] = dbeta[j]! + dout[k]!;
      dgamma[j] = dgamma[j]! + dout[k]! * xmu * ivar;
      divar += dout[k]! * g * xmu;
    }
    const dvar = dIvarDvar * divar;
    let dmu = 0;
    for (let i = 0; i < N; i++) {
      const k = i * D + j;
      const xmu = x[k]! - mean[j]!;
      const dxmu1 = dout[k]! * g * ivar;
      const dxmu2 = m.noVarBranch === true ? 0 : (2 * xmu * dvar) / div;
      dx[k] = dxmu1 + dxmu2;
      dmu -= dxmu1 + dxmu2;
    }
    if (m.noMeanBranch !== true) for (let i = 0; i < N; i++) dx[i * D + j] = dx[i * D + j]! + dmu / N;
    if (m.missingInvN === true) for (let i = 0; i < N; i++) dx[i * D + j] = dx[i * D + j]! * N;
  }
  return m.swappedParams === true ? { dx, dgamma: dbeta, dbeta: dgamma } : { dx, dgamma, dbeta };
}

/** Mistakes particular to layer norm. */
export interface LayernormMistakes extends ForwardMistakes, BackwardMistakes {
  /** Statistics over the batch (axis 0: batch norm) instead of over each sample's features. */
  batchAxis?: boolean;
}

/** (N, D) → (D, N). */
function transpose(a: ArrayLike<number>, N: number, D: number): Float64Array {
  const t = new Float64Array(N * D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) t[j * N + i] = a[i * D + j]!;
  return t;
}

/**
 * Layer-norm forward under `m`: batch norm of the transpose (each sample's
 * features normalized), scaled and shifted per feature.
 */
export function layernormForwardVariant(x: ArrayLike<number>, N: number, D: number, gamma: ArrayLike<number>, beta: ArrayLike<number>, m: LayernormMistakes = {}, eps = 1e-5): Float64Array {
  const ones = new Float64Array(Math.max(N, D)).fill(1);
  const zeros = new Float64Array(Math.max(N, D));
  let xhat: Float64Array;
  if (m.batchAxis === true) xhat = batchnormForwardVariant(x, N, D, ones, zeros, "train", null, m, eps).out;
  else xhat = transpose(batchnormForwardVariant(transpose(x, N, D), D, N, ones, zeros, "train", null, m, eps).out, D, N);
  const out = new Float64Array(N * D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) out[i * D + j] = gamma[j]! * xhat[i * D + j]! + beta[j]!;
  return out;
}

/** Layer-norm backward under `m`. */
export function layernormBackwardVariant(
  x: ArrayLike<number>,
  N: number,
  D: number,
  gamma: ArrayLike<number>,
  dout: ArrayLike<number>,
  m: LayernormMistakes = {},
  eps = 1e-5,
): BackwardVariant {
  if (m.batchAxis === true) return batchnormBackwardVariant(x, N, D, gamma, dout, m, eps);
  // dxhat = dout·gamma (per feature), then batch norm's backward on the transpose with gamma = 1.
  const dxhat = new Float64Array(N * D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) dxhat[i * D + j] = dout[i * D + j]! * (m.noGamma === true ? 1 : gamma[j]!);
  const ones = new Float64Array(N).fill(1);
  const t = batchnormBackwardVariant(transpose(x, N, D), D, N, ones, transpose(dxhat, N, D), { ...m, noGamma: false }, eps);
  const dx = transpose(t.dx, D, N);
  // dgamma, dbeta sum over samples: from xhat of the sample-wise normalization.
  const xhat = layernormForwardVariant(x, N, D, new Float64Array(D).fill(1), new Float64Array(D), {}, eps);
  const dgamma = new Float64Array(D);
  const dbeta = new Float64Array(D);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < D; j++) {
      dbeta[j] = dbeta[j]! + dout[i * D + j]!;
      dgamma[j] = dgamma[j]! + dout[i * D + j]! * xhat[i * D + j]!;
    }
  }
  return m.swappedParams === true ? { dx, dgamma: dbeta, dbeta: dgamma } : { dx, dgamma, dbeta };
}
