/**
 * Checks of the learner's layer norm and of the affine–batch norm–ReLU sandwich:
 * comparisons with bnlab's, numerical gradient checks, and the sandwich inside a
 * small net (the notebook's cell 5 built from the learner's sandwich).
 */
import { RandomState } from "../core/random.js";
import { Tensor } from "../core/tensor.js";
import { evalNumericalGradient, evalNumericalGradientArray, maxAbsError, relError } from "../gradcheck/index.js";
import {
  affineBackward,
  affineForward,
  affineNormReluBackward,
  affineNormReluForward,
  layernormBackward,
  layernormForward,
  reluForward,
  softmaxLoss,
} from "../layers/index.js";
import type { NormSpec } from "../layers/index.js";
import { columnStats } from "../experiments/checks.js";
import { fmtList, learnerBackward, learnerLnForward, REF_TOL, seededInputs, type CheckOutcome, type ExerciseCheck } from "./check-lib.js";
import { CheckFailure, diagnosis, fmtErr, output, scaledError, type LearnerContext } from "./context.js";
import { diagnoseOutputs, layernormBackwardCandidates, layernormForwardCandidates, type Outputs } from "./diagnose.js";

/** Row means and stds of an (N, D) tensor: column stats of the transpose. */
function rowStats(t: Tensor): { means: number[]; stds: number[] } {
  const [N, D] = t.shape as [number, number];
  const tr = new Float64Array(N * D);
  for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) tr[j * N + i] = t.data[i * D + j]!;
  return columnStats(new Tensor(tr, [D, N]));
}

const layernormRef: ExerciseCheck = {
  id: "layernorm-forward",
  title: "layer norm forward: per-sample means 0 and stds 1, and vs bnlab on ragged shapes",
  functions: ["layernormForward"],
  measure: "max |yours − bnlab's| / max(1, max|bnlab's|) of out",
  run(ctx) {
    const notes: string[] = [];
    const unit = seededInputs(41, 6, 10, "float64", 5, 3);
    const ones = Tensor.full([10], 1, "float64");
    const zeros = Tensor.zeros([10], "float64");
    const s = rowStats(learnerLnForward(ctx, unit.x, ones, zeros).out);
    notes.push(`gamma 1, beta 0: per-sample means ${fmtList(s.means)}  stds ${fmtList(s.stds, 6)}`);
    let error = 0;
    for (const [N, D, dtype] of [[6, 10, "float64"], [1, 7, "float64"], [13, 4, "float64"], [5, 9, "float32"]] as const) {
      const a = seededInputs(50 + N + D, N, D, dtype, 5, 3);
      const got: Outputs = { out: learnerLnForward(ctx, a.x, a.gamma, a.beta).out.data };
      const want: Outputs = { out: layernormForward(a.x, a.gamma, a.beta, {}).out.data };
      const e = scaledError(got.out!, want.out!);
      error = Math.max(error, e);
      notes.push(`(N, D) = (${N}, ${D}) ${dtype}: error ${fmtErr(e)}`);
      const d = diagnoseOutputs(got, want, REF_TOL[dtype], layernormForwardCandidates(a.x, a.gamma, a.beta), `layernormForward, (N, D) = (${N}, ${D}) ${dtype}`);
      if (d !== null) return { error, threshold: REF_TOL[dtype], notes, diagnosis: d };
    }
    return { error, threshold: REF_TOL.float32, notes, diagnosis: null };
  },
};

const layernormGrad: ExerciseCheck = {
  id: "layernorm-backward",
  title: "layer norm backward: numerical gradient check, and vs bnlab on ragged shapes",
  functions: ["layernormForward", "layernormBackward"],
  measure: "max relative error (rel_error) of dx, dgamma, dbeta vs numerical gradients",
  run(ctx) {
    const a = seededInputs(61, 4, 5, "float64", 12, 5);
    const f = (): Tensor => learnerLnForward(ctx, a.x, a.gamma, a.beta).out;
    const num = { dx: evalNumericalGradientArray(f, a.x, a.dout), dgamma: evalNumericalGradientArray(f, a.gamma, a.dout), dbeta: evalNumericalGradientArray(f, a.beta, a.dout) };
    const g = learnerBackward(ctx, "layernormBackward", a.dout, learnerLnForward(ctx, a.x, a.gamma, a.beta).cache, 5);
    const errs = { dx: relError(num.dx, g.dx), dgamma: relError(num.dgamma, g.dgamma), dbeta: relError(num.dbeta, g.dbeta) };
    const error = Math.max(errs.dx, errs.dgamma, errs.dbeta);
    const notes = [`dx error ${fmtErr(errs.dx)}, dgamma error ${fmtErr(errs.dgamma)}, dbeta error ${fmtErr(errs.dbeta)}`];
    for (const [N, D] of [[4, 5], [1, 6], [9, 3], [16, 12]] as const) {
      const b = seededInputs(70 + N + D, N, D, "float64", 12, 5);
      const got = learnerBackward(ctx, "layernormBackward", b.dout, learnerLnForward(ctx, b.x, b.gamma, b.beta).cache, D);
      const want = layernormBackward(b.dout, layernormForward(b.x, b.gamma, b.beta, {}).cache);
      const d = diagnoseOutputs(
        { dx: got.dx.data, dgamma: got.dgamma.data, dbeta: got.dbeta.data },
        { dx: want.dx.data, dgamma: want.dgamma.data, dbeta: want.dbeta.data },
        REF_TOL.float64,
        layernormBackwardCandidates(b.x, b.gamma, b.dout),
        `layernormBackward, (N, D) = (${N}, ${D})`,
      );
      if (d !== null) return { error: Math.max(error, Infinity), threshold: 1e-6, notes, diagnosis: d };
    }
    if (error <= 1e-6) return { error, threshold: 1e-6, notes, diagnosis: null };
    const wrong = (Object.keys(errs) as (keyof typeof errs)[]).filter((k) => !(errs[k] <= 1e-6));
    return { error, threshold: 1e-6, notes, diagnosis: diagnosis(wrong, null, `${wrong.join(", ")} disagree with the numerical gradients of your layernormForward, but equal bnlab's: is the forward pass right?`) };
  },
};

/** Seeded sandwich inputs: x (N, Din), w (Din, M), b, gamma, beta (M), dout (N, M). */
function sandwichInputs(seed: number, N: number, Din: number, M: number): { x: Tensor; w: Tensor; b: Tensor; gamma: Tensor; beta: Tensor; dout: Tensor } {
  const rng = new RandomState(seed);
  const x = rng.randn(N, Din);
  const w = rng.randn(Din, M);
  const b = rng.randn(M);
  const gamma = rng.randn(M);
  for (let i = 0; i < M; i++) gamma.data[i] = 1 + 0.3 * gamma.data[i]!;
  const beta = rng.randn(M);
  const dout = rng.randn(N, M);
  return { x, w, b, gamma, beta, dout };
}

type SandwichGrads = { dx: Tensor; dw: Tensor; db: Tensor; dgamma: Tensor; dbeta: Tensor };

function learnerSandwich(ctx: LearnerContext, s: ReturnType<typeof sandwichInputs>, norm: NormSpec): { out: Tensor; cache: unknown } {
  const r = ctx.call<{ out: unknown; cache: unknown }>("affineNormReluForward", [s.x, s.w, s.b, s.gamma, s.beta, norm], ["x", "w", "b", "gamma", "beta", "norm"]);
  if (r === null || typeof r !== "object") throw new CheckFailure(diagnosis(["out"], "wrongShape", "affineNormReluForward returned no { out, cache }"));
  return { out: output("affineNormReluForward", "out", r.out, [s.x.shape[0]!, s.w.shape[1]!], "float64", true), cache: r.cache };
}

function learnerSandwichBackward(ctx: LearnerContext, dout: Tensor, cache: unknown, s: ReturnType<typeof sandwichInputs>): SandwichGrads {
  const r = ctx.call<Record<string, unknown>>("affineNormReluBackward", [dout, cache], ["dout", "cache"]);
  if (r === null || typeof r !== "object") throw new CheckFailure(diagnosis(["dx"], "wrongShape", "affineNormReluBackward returned no { dx, dw, db, dgamma, dbeta }"));
  const fn = "affineNormReluBackward";
  return {
    dx: output(fn, "dx", r.dx, s.x.shape, "float64", true),
    dw: output(fn, "dw", r.dw, s.w.shape, "float64", true),
    db: output(fn, "db", r.db, s.b.shape, "float64", true),
    dgamma: output(fn, "dgamma", r.dgamma, s.gamma.shape, "float64", true),
    dbeta: output(fn, "dbeta", r.dbeta, s.beta.shape, "float64", true),
  };
}

const sandwichRef: ExerciseCheck = {
  id: "sandwich",
  title: "affine – batch norm – ReLU sandwich, forward and backward vs bnlab",
  functions: ["affineNormReluForward", "affineNormReluBackward"],
  measure: "max |yours − bnlab's| / max(1, max|bnlab's|) over out, dx, dw, db, dgamma, dbeta",
  run(ctx): CheckOutcome {
    let error = 0;
    const notes: string[] = [];
    for (const [N, Din, M] of [[6, 5, 4], [17, 9, 7]] as const) {
      const s = sandwichInputs(90 + N, N, Din, M);
      const norm = (): NormSpec => ({ kind: "batchnorm", param: { mode: "train" } });
      const mine = learnerSandwich(ctx, s, norm());
      const ref = affineNormReluForward(s.x, s.w, s.b, s.gamma, s.beta, norm());
      const gm = learnerSandwichBackward(ctx, s.dout, mine.cache, s);
      const gr = affineNormReluBackward(s.dout, ref.cache);
      const got: Outputs = { out: mine.out.data, dx: gm.dx.data, dw: gm.dw.data, db: gm.db.data, dgamma: gm.dgamma.data, dbeta: gm.dbeta.data };
      const want: Outputs = { out: ref.out.data, dx: gr.dx.data, dw: gr.dw.data, db: gr.db.data, dgamma: gr.dgamma.data, dbeta: gr.dbeta.data };
      const e = Math.max(...Object.keys(want).map((k) => scaledError(got[k]!, want[k]!)));
      error = Math.max(error, e);
      notes.push(`(N, D, M) = (${N}, ${Din}, ${M}): error ${fmtErr(e)}`);
      // NOTE: the one composition mistake recognised: ReLU before the normalization.
      const reluFirst = (): Outputs => ({ ...want, out: bnOut(reluForward(affineForward(s.x, s.w, s.b).out).out, s.gamma, s.beta).data });
      const d = diagnoseOutputs(got, want, REF_TOL.float64, [["reluBeforeNorm", reluFirst]], `the sandwich (it runs your batch norm: check that first) on (N, D, M) = (${N}, ${Din}, ${M})`);
      if (d !== null) return { error, threshold: REF_TOL.float64, notes, diagnosis: d };
    }
    return { error, threshold: REF_TOL.float64, notes, diagnosis: null };
  },
};

/** Batch norm (train mode) of a, for the wrong-order variant of the sandwich. */
function bnOut(a: Tensor, gamma: Tensor, beta: Tensor): Tensor {
  const [N, D] = a.shape as [number, number];
  const out = new Float64Array(N * D);
  for (let j = 0; j < D; j++) {
    let m = 0;
    for (let i = 0; i < N; i++) m += a.data[i * D + j]!;
    m /= N;
    let v = 0;
    for (let i = 0; i < N; i++) v += (a.data[i * D + j]! - m) ** 2;
    v /= N;
    for (let i = 0; i < N; i++) out[i * D + j] = (gamma.data[j]! * (a.data[i * D + j]! - m)) / Math.sqrt(v + 1e-5) + beta.data[j]!;
  }
  return new Tensor(out, [N, D]);
}

const sandwichNet: ExerciseCheck = {
  id: "sandwich-net",
  title: "cell 5 with your sandwich: a two-layer net (sandwich, affine, softmax), gradient check",
  functions: ["affineNormReluForward", "affineNormReluBackward"],
  measure: "max relative error (rel_error) of W1, b1, gamma1, beta1, W2, b2 vs numerical gradients",
  run(ctx) {
    const rng = new RandomState(231);
    const [N, D, H, C] = [5, 8, 6, 4];
    const X = rng.randn(N, D);
    const y = rng.randint(C, undefined, N);
    const s = sandwichInputs(7, N, D, H);
    const W2 = rng.randn(H, C);
    const b2 = rng.randn(C);
    const params: Record<string, Tensor> = { W1: s.w, b1: s.b, gamma1: s.gamma, beta1: s.beta, W2, b2 };
    const lossAndGrads = (withGrads: boolean): { loss: number; grads: Record<string, Tensor> } => {
      const h = learnerSandwich(ctx, { ...s, x: X }, { kind: "batchnorm", param: { mode: "train" } });
      const top = affineForward(h.out, W2, b2);
      const { loss, dx } = softmaxLoss(top.out, y);
      if (!withGrads) return { loss, grads: {} };
      const g2 = affineBackward(dx, top.cache);
      const g1 = learnerSandwichBackward(ctx, g2.dx, h.cache, { ...s, x: X });
      return { loss, grads: { W1: g1.dw, b1: g1.db, gamma1: g1.dgamma, beta1: g1.dbeta, W2: g2.dw, b2: g2.db } };
    };
    const { grads } = lossAndGrads(true);
    // NOTE: db1's true value is 0 (batch norm cancels the bias): an absolute error below 1e-8 passes.
    const errs = Object.entries(params).map(([name, p]) => {
      const num = evalNumericalGradient(() => lossAndGrads(false).loss, p);
      return { name, e: maxAbsError(num, grads[name]!) <= 1e-8 ? 0 : relError(num, grads[name]!), rel: relError(num, grads[name]!) };
    });
    const error = Math.max(...errs.map((x) => x.e));
    const threshold = 1e-6;
    const notes = [errs.map((x) => `${x.name} ${fmtErr(x.rel)}`).join(", ")];
    if (error <= threshold) return { error, threshold, notes, diagnosis: null };
    const wrong = errs.filter((x) => !(x.e <= threshold)).map((x) => `d${x.name}`);
    return { error, threshold, notes, diagnosis: diagnosis(wrong, null, `the sandwich's gradients ${wrong.join(", ")} disagree with the numerical ones: its backward must undo the forward in reverse order (ReLU, then batch norm, then affine)`) };
  },
};

export const OTHER_CHECKS: ExerciseCheck[] = [layernormRef, layernormGrad, sandwichRef, sandwichNet];
