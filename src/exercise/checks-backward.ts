/**
 * Checks of the learner's backward passes: the notebook's cells 3 to 5
 * (gradient checks, staged vs closed form, the net's gradient check with the
 * learner's batch norm inside FullyConnectedNet), comparisons with bnlab's on
 * ragged shapes (N = 1 and float32 included), and repeatability.
 */
import type { Tensor } from "../core/tensor.js";
import type { DType } from "../core/tensor.js";
import { backwardCompare, backwardGradients, DEFAULT_SEED, netGradcheck } from "../experiments/checks.js";
import { RandomState } from "../core/random.js";
import { maxAbsError, relError } from "../gradcheck/index.js";
import { FullyConnectedNet } from "../models/fc-net.js";
import { batchnormBackward, batchnormForward } from "../layers/index.js";
import type { NetLayerImpls } from "../models/fc-net.js";
import { guardedBatchnorm, learnerBackward, learnerBnForward, REF_TOL, seededInputs, type ExerciseCheck, type Grads } from "./check-lib.js";
import { CheckFailure, diagnosis, fmtErr, NotImplementedSignal, scaledError, type LearnerContext } from "./context.js";
import { backwardCandidates, diagnoseOutputs, type Outputs } from "./diagnose.js";
import type { ExerciseFunction } from "./types.js";

type BackwardFn = "batchnormBackward" | "batchnormBackwardAlt";

const flat = (g: Grads): Outputs => ({ dx: g.dx.data, dgamma: g.dgamma.data, dbeta: g.dbeta.data });

/** The learner's backward on (x, gamma, dout) vs bnlab's (on bnlab's cache): error and diagnosis. */
function compareBackward(ctx: LearnerContext, fn: BackwardFn, x: Tensor, gamma: Tensor, beta: Tensor, dout: Tensor, what: string): { error: number; diagnosis: ReturnType<typeof diagnoseOutputs> } {
  const D = x.shape[1]!;
  const { cache } = learnerBnForward(ctx, x, gamma, beta, { mode: "train" });
  const got = flat(learnerBackward(ctx, fn, dout, cache, D));
  const want = flat(batchnormBackward(dout, batchnormForward(x, gamma, beta, { mode: "train" }).cache));
  const tol = REF_TOL[x.dtype];
  const error = Math.max(...Object.keys(want).map((k) => scaledError(got[k]!, want[k]!)));
  return { error, diagnosis: diagnoseOutputs(got, want, tol, backwardCandidates(x, gamma, dout), what) };
}

/** Cell 3 for one backward pass: numerical gradients of the learner's forward vs the learner's backward. */
function cell3(fn: BackwardFn, title: string): ExerciseCheck {
  return {
    id: fn === "batchnormBackward" ? "cell3" : "cell3-alt",
    title,
    functions: ["batchnormForward", fn],
    measure: "max relative error (the notebook's rel_error) of dx, dgamma, dbeta vs numerical gradients",
    run(ctx) {
      const g = guardedBatchnorm(ctx);
      const r = backwardGradients(DEFAULT_SEED, 4, 5, g.batchnormForward as typeof batchnormForward, g[fn] as typeof batchnormBackward);
      const errs = { dx: relError(r.numeric.dx, r.analytic.dx), dgamma: relError(r.numeric.dgamma, r.analytic.dgamma), dbeta: relError(r.numeric.dbeta, r.analytic.dbeta) };
      const error = Math.max(errs.dx, errs.dgamma, errs.dbeta);
      const threshold = 1e-6;
      const notes = [`dx error ${fmtErr(errs.dx)}, dgamma error ${fmtErr(errs.dgamma)}, dbeta error ${fmtErr(errs.dbeta)}`];
      if (error <= threshold) return { error, threshold, notes, diagnosis: null };
      const { x, gamma, beta, dout } = r.inputs;
      const d = compareBackward(ctx, fn, x, gamma, beta, dout, `${fn} on cell 3's inputs`).diagnosis;
      const wrong = (Object.keys(errs) as (keyof typeof errs)[]).filter((k) => !(errs[k] <= threshold));
      return { error, threshold, notes, diagnosis: d ?? diagnosis(wrong, null, `${wrong.join(", ")} disagree with the numerical gradients of your batchnormForward, but equal bnlab's: is the forward pass right?`) };
    },
  };
}

/** The learner's backward vs bnlab's on ragged shapes, float64 and float32. */
function backwardRef(fn: BackwardFn): ExerciseCheck {
  const name = fn === "batchnormBackward" ? "staged" : "closed-form";
  return {
    id: fn === "batchnormBackward" ? "backward-reference" : "backward-alt-reference",
    title: `${name} backward vs bnlab: ragged shapes, N = 1, float64 and float32`,
    functions: ["batchnormForward", fn],
    measure: "max |yours − bnlab's| / max(1, max|bnlab's|) over dx, dgamma, dbeta",
    run(ctx) {
      // NOTE: N = 1 comes after the others: there many mistakes give the same NaN, elsewhere they differ.
      const cases: [number, number, DType][] = [[2, 3, "float64"], [7, 3, "float64"], [19, 11, "float64"], [64, 20, "float64"], [13, 6, "float32"], [1, 4, "float64"]];
      let error = 0;
      let threshold = REF_TOL.float64;
      const notes: string[] = [];
      for (const [N, D, dtype] of cases) {
        const a = seededInputs(100 + N * 7 + D, N, D, dtype);
        const r = compareBackward(ctx, fn, a.x, a.gamma, a.beta, a.dout, `(N, D) = (${N}, ${D}), ${dtype}`);
        notes.push(`(N, D) = (${N}, ${D}) ${dtype}: error ${fmtErr(r.error)}`);
        error = Math.max(error, r.error);
        threshold = REF_TOL[dtype];
        if (r.diagnosis !== null) return { error, threshold, notes, diagnosis: r.diagnosis };
      }
      return { error, threshold: REF_TOL.float32, notes, diagnosis: null };
    },
  };
}

const cell4: ExerciseCheck = {
  id: "cell4",
  title: "cell 4: staged vs closed-form backward (N, D = 100, 500), and the speedup",
  functions: ["batchnormForward", "batchnormBackward", "batchnormBackwardAlt"],
  measure: "max relative error (rel_error) between the two backward passes' dx, dgamma, dbeta",
  run(ctx) {
    const g = guardedBatchnorm(ctx);
    // One guarded call of each first (a changed cache or input is caught here); the timed calls run unguarded.
    const a = seededInputs(4, 10, 6, "float64");
    const { cache } = g.batchnormForward(a.x, a.gamma, a.beta, { mode: "train" });
    g.batchnormBackward(a.dout, cache);
    g.batchnormBackwardAlt(a.dout, cache);
    g.batchnormBackward(a.dout, cache);
    const raw = ctx.raw();
    const r = backwardCompare(DEFAULT_SEED, { warmupReps: 5, reps: 21 }, {
      batchnormForward: g.batchnormForward as typeof batchnormForward,
      batchnormBackward: raw.batchnormBackward!,
      batchnormBackwardAlt: raw.batchnormBackwardAlt!,
    });
    const error = Math.max(r.dxDifference, r.dgammaDifference, r.dbetaDifference);
    const notes = [
      `dx difference ${fmtErr(r.dxDifference)}, dgamma difference ${fmtErr(r.dgammaDifference)}, dbeta difference ${fmtErr(r.dbetaDifference)}`,
      `speedup ${r.timing.speedup.toFixed(2)}x (staged ${r.timing.staged.medianMs.toFixed(3)} ms, closed form ${r.timing.alt.medianMs.toFixed(3)} ms, median of ${r.timing.reps})`,
    ];
    const threshold = 1e-8;
    if (error <= threshold) return { error, threshold, notes, diagnosis: null };
    return { error, threshold, notes, diagnosis: diagnosis(["dx", "dgamma", "dbeta"].filter((_k, i) => !([r.dxDifference, r.dgammaDifference, r.dbetaDifference][i]! <= threshold)), null, "the two backward passes disagree: see the backward-reference checks for which one differs from bnlab's") };
  },
};

/** The net's batch norm: the learner's forward and (closed form preferred) backward, guarded. */
function netLayers(ctx: LearnerContext): Partial<NetLayerImpls> {
  const g = guardedBatchnorm(ctx);
  const backward = ctx.has("batchnormBackwardAlt") ? g.batchnormBackwardAlt : ctx.has("batchnormBackward") ? g.batchnormBackward : null;
  if (backward === null) throw new NotImplementedSignal("batchnormBackwardAlt");
  return { batchnormForward: g.batchnormForward as NetLayerImpls["batchnormForward"], batchnormBackward: backward as NetLayerImpls["batchnormBackward"] };
}

/** Relative threshold of the net gradient checks; an absolute error below GRAD_ABS_TOL passes too. */
export const NET_GRAD_TOL = 1e-3;
export const GRAD_ABS_TOL = 1e-8;

const cell5: ExerciseCheck = {
  id: "cell5",
  title: "cell 5: FullyConnectedNet with your batch norm inside, gradient check (reg 0 and 3.14)",
  functions: ["batchnormForward"],
  measure: `max relative error (rel_error) of the parameters' gradients vs numerical ones (an absolute error below ${GRAD_ABS_TOL} passes)`,
  run(ctx) {
    let error = 0;
    const bad: string[] = [];
    // NOTE: b_i's true gradient is 0 with batch norm after the affine layer (the mean
    // subtraction cancels it), so its relative error is noise: the absolute error decides.
    const r = netGradcheck(DEFAULT_SEED, [0, 3.14], netLayers(ctx), (reg, name, num, ana) => {
      if (maxAbsError(num, ana) <= GRAD_ABS_TOL) return;
      const e = relError(num, ana);
      error = Number.isNaN(e) ? Infinity : Math.max(error, e);
      if (!(e <= NET_GRAD_TOL)) bad.push(`${name} (reg ${reg})`);
    });
    const notes = r.checks.map((c) => `reg ${c.reg}: initial loss ${c.initialLoss.toFixed(6)}; ${c.errors.map((e) => `${e.name} ${fmtErr(e.relError)}`).join(", ")}`);
    const lossDiff = Math.max(...r.checks.map((c, i) => Math.abs(c.initialLoss - referenceLosses(r)[i]!)));
    if (bad.length === 0 && lossDiff <= 1e-10) return { error, threshold: NET_GRAD_TOL, notes, diagnosis: null };
    const detail = bad.length > 0
      ? `the net's gradients of ${bad.join(", ")} disagree with the numerical ones: the batch-norm backward inside the net is wrong (see cell 3)`
      : `the gradients check out but the initial loss differs from bnlab's net by ${fmtErr(lossDiff)}: the forward pass is wrong (see cell 1)`;
    return { error: bad.length > 0 ? error : Infinity, threshold: NET_GRAD_TOL, notes, diagnosis: diagnosis(bad.length > 0 ? ["dx", "dgamma", "dbeta"] : ["out"], null, detail) };
  },
};

/** The initial losses of cell 5's nets with bnlab's batch norm (same draws). */
function referenceLosses(r: ReturnType<typeof netGradcheck>): number[] {
  const rng = new RandomState(r.seed);
  const X = rng.randn(r.shape.N, r.shape.D);
  const y = rng.randint(r.shape.C, undefined, r.shape.N);
  return r.checks.map((c) => {
    const net = new FullyConnectedNet({ hiddenDims: [r.shape.H1, r.shape.H2], inputDim: r.shape.D, numClasses: r.shape.C, reg: c.reg, weightScale: r.weightScale, dtype: "float64", normalization: "batchnorm", rng });
    return net.loss(X, y).loss;
  });
}

const repeatable: ExerciseCheck = {
  id: "repeatable",
  title: "no side effects: inputs and cache unchanged, the same result twice",
  functions: ["batchnormForward"],
  measure: "max difference between two calls on the same arguments",
  run(ctx) {
    const a = seededInputs(77, 9, 4, "float64");
    const f1 = learnerBnForward(ctx, a.x, a.gamma, a.beta, { mode: "train" });
    const f2 = learnerBnForward(ctx, a.x, a.gamma, a.beta, { mode: "train" });
    let error = scaledError(f1.out.data, f2.out.data);
    const fns: ExerciseFunction[] = ["batchnormBackward", "batchnormBackwardAlt"];
    for (const fn of fns) {
      if (!ctx.has(fn)) continue;
      let g1: Grads;
      let g2: Grads;
      try {
        g1 = learnerBackward(ctx, fn, a.dout, f1.cache, 4);
        g2 = learnerBackward(ctx, fn, a.dout, f1.cache, 4);
      } catch (err) {
        if (err instanceof NotImplementedSignal) continue;
        throw err;
      }
      const e = Math.max(scaledError(g1.dx.data, g2.dx.data), scaledError(g1.dgamma.data, g2.dgamma.data), scaledError(g1.dbeta.data, g2.dbeta.data));
      if (e > 0) throw new CheckFailure(diagnosis(["dx"], "notDeterministic", `${fn} gave different results on two calls with the same dout and cache (difference ${fmtErr(e)})`), e);
      error = Math.max(error, e);
    }
    if (error > 0) return { error, threshold: 0, notes: [], diagnosis: diagnosis(["out"], "notDeterministic", `batchnormForward gave different outputs for the same x (difference ${fmtErr(error)})`) };
    return { error, threshold: 0, notes: [], diagnosis: null };
  },
};

export const BACKWARD_CHECKS: ExerciseCheck[] = [
  cell3("batchnormBackward", "cell 3: staged backward, numerical gradient check (N, D = 4, 5)"),
  cell3("batchnormBackwardAlt", "cell 3 (closed form): batchnormBackwardAlt, numerical gradient check"),
  backwardRef("batchnormBackward"),
  backwardRef("batchnormBackwardAlt"),
  cell4,
  cell5,
  repeatable,
];

