/**
 * Diagnosis by elimination: compute what each output would be under every known
 * mistake (variants.ts) on the inputs the check used, and name the mistake whose
 * outputs the learner's match. Outputs that differ from bnlab's are listed first.
 */
import type { Tensor } from "../core/tensor.js";
import { diagnosis, fmtErr, scaledError } from "./context.js";
import type { CauseId, Diagnosis } from "./types.js";
import {
  batchnormBackwardVariant,
  batchnormForwardVariant,
  layernormBackwardVariant,
  layernormForwardVariant,
  type BackwardMistakes,
  type ForwardMistakes,
  type LayernormMistakes,
} from "./variants.js";

/** Named outputs, as flat arrays. */
export type Outputs = Record<string, ArrayLike<number>>;

/** The outputs of `got` farther than `tol` from `want`, with their errors. */
export function wrongOutputs(got: Outputs, want: Outputs, tol: number): { name: string; error: number }[] {
  return Object.keys(want)
    .map((name) => ({ name, error: scaledError(got[name] ?? [], want[name]!) }))
    .filter((e) => !(e.error <= tol));
}

/**
 * The diagnosis of `got` against `want`: the wrong outputs, and the first candidate
 * (in order) whose variant matches every output within `matchTol`.
 */
export function diagnoseOutputs(
  got: Outputs,
  want: Outputs,
  tol: number,
  candidates: readonly [CauseId, () => Outputs][],
  what: string,
  matchTol = Math.max(1e-6, 10 * tol),
): Diagnosis | null {
  const wrong = wrongOutputs(got, want, tol);
  if (wrong.length === 0) return null;
  const list = describeWrong(wrong);
  let best: { id: CauseId; error: number } | null = null;
  for (const [id, compute] of candidates) {
    const v = compute();
    const error = Math.max(...Object.keys(want).map((k) => scaledError(got[k] ?? [], v[k]!)));
    if (error <= matchTol && (best === null || error < best.error)) best = { id, error };
  }
  // NOTE: NaN or Infinity where bnlab's output is finite is a cause of its own when no mistake explains it.
  const nonFinite = best === null ? wrong.find((w) => hasNewNonFinite(got[w.name] ?? [], want[w.name]!)) : undefined;
  if (nonFinite !== undefined) {
    const a = got[nonFinite.name]!;
    let k = 0;
    while (k < a.length && Number.isFinite(a[k]!)) k++;
    return diagnosis(outputNames(wrong), "notFinite", `${what}: ${nonFinite.name} holds ${a[k]} (first at index ${k}) where bnlab's is finite; ${list} differ from bnlab's`);
  }
  const detail = best === null
    ? `${what}: ${list} differ from bnlab's; no known mistake gives these values`
    : `${what}: ${list} differ from bnlab's, and match what that mistake computes (error ${fmtErr(best.error)})`;
  return diagnosis(outputNames(wrong), best?.id ?? null, detail);
}

const PASS = /^out \(pass (\d+)\)$/;

/** The wrong outputs' names, the passes of a sequence folded into one "out". */
function outputNames(wrong: { name: string }[]): string[] {
  return [...new Set(wrong.map((w) => (PASS.test(w.name) ? "out" : w.name)))];
}

/** "out (passes 1–51, error up to 2.5e-3), running var (error 5.0e-3)". */
function describeWrong(wrong: { name: string; error: number }[]): string {
  const passes = wrong.filter((w) => PASS.test(w.name));
  const rest = wrong.filter((w) => !PASS.test(w.name)).map((w) => `${w.name} (error ${fmtErr(w.error)})`);
  if (passes.length === 0) return rest.join(", ");
  const ks = passes.map((w) => Number(PASS.exec(w.name)![1]));
  const span = ks.length === 1 ? `pass ${ks[0]}` : ks.every((k, i) => i === 0 || k === ks[i - 1]! + 1) ? `passes ${ks[0]}–${ks[ks.length - 1]}` : `passes ${ks.join(", ")}`;
  const max = Math.max(...passes.map((w) => w.error));
  return [`out in ${span} (error up to ${fmtErr(max)})`, ...rest].join(", ");
}

function hasNewNonFinite(got: ArrayLike<number>, want: ArrayLike<number>): boolean {
  for (let i = 0; i < got.length; i++) if (!Number.isFinite(got[i]!) && Number.isFinite(want[i] ?? 0)) return true;
  return false;
}

/** One train- or test-mode call of a sequence of batch-norm forward passes. */
export interface ForwardStep {
  x: Tensor;
  mode: "train" | "test";
}

/** The outputs of a sequence of forward passes: out0, out1, …, then "running mean" and "running var" when running statistics were used. */
export function forwardVariantOutputs(
  steps: readonly ForwardStep[],
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  running0: { mean: ArrayLike<number>; var: ArrayLike<number> } | null,
  m: ForwardMistakes,
): Outputs {
  const outputs: Outputs = {};
  let running: { mean: ArrayLike<number>; var: ArrayLike<number> } | null = running0 === null ? null : { mean: Float64Array.from(running0.mean), var: Float64Array.from(running0.var) };
  steps.forEach((s, k) => {
    const [N, D] = s.x.shape as [number, number];
    const r = batchnormForwardVariant(s.x.data, N, D, gamma, beta, s.mode, running, m);
    outputs[stepName(k, steps.length)] = r.out;
    if (running !== null) running = { mean: r.runningMean!, var: r.runningVar! };
  });
  if (running !== null) {
    outputs["running mean"] = running.mean;
    outputs["running var"] = running.var;
  }
  return outputs;
}

/** "out" for a single pass, "out (pass k)" in a sequence. */
export function stepName(k: number, n: number): string {
  return n === 1 ? "out" : `out (pass ${k + 1})`;
}

const FORWARD_MISTAKES: readonly [CauseId, ForwardMistakes][] = [
  ["unbiased", { unbiased: true }],
  ["epsOutside", { epsOutside: true }],
  ["momentumReversed", { momentumReversed: true }],
  ["noRunningUpdate", { noRunningUpdate: true }],
  ["runningUnbiased", { runningUnbiased: true }],
  ["testUsesBatch", { testUsesBatch: true }],
  ["testUpdatesRunning", { testUpdatesRunning: true }],
  ["onePass", { onePassFloat32: true }],
  ["noEps", { noEps: true }],
  // two mistakes at once that learners make together
  ["unbiased", { unbiased: true, momentumReversed: true }],
  ["momentumReversed", { momentumReversed: true, testUsesBatch: true }],
];

/** Candidates for a forward sequence. */
export function forwardCandidates(
  steps: readonly ForwardStep[],
  gamma: ArrayLike<number>,
  beta: ArrayLike<number>,
  running0: { mean: ArrayLike<number>; var: ArrayLike<number> } | null,
): [CauseId, () => Outputs][] {
  return FORWARD_MISTAKES.map(([id, m]) => [id, () => forwardVariantOutputs(steps, gamma, beta, running0, m)]);
}

const BACKWARD_MISTAKES: readonly [CauseId, BackwardMistakes][] = [
  ["noMeanBranch", { noMeanBranch: true }],
  ["noVarBranch", { noVarBranch: true }],
  ["noGamma", { noGamma: true }],
  ["missingInvN", { missingInvN: true }],
  ["swappedParams", { swappedParams: true }],
  ["unbiased", { unbiased: true }],
  ["unbiased", { unbiasedCache: true }],
  ["epsOutside", { epsOutside: true }],
  ["noEps", { noEps: true }],
];

/** Candidates for a batch-norm backward pass on x (N, D), gamma, dout. */
export function backwardCandidates(x: Tensor, gamma: Tensor, dout: Tensor): [CauseId, () => Outputs][] {
  const [N, D] = x.shape as [number, number];
  return BACKWARD_MISTAKES.map(([id, m]) => [id, () => ({ ...batchnormBackwardVariant(x.data, N, D, gamma.data, dout.data, m) })]);
}

const LAYERNORM_MISTAKES: readonly [CauseId, LayernormMistakes][] = [
  ["batchAxis", { batchAxis: true }],
  ["unbiased", { unbiased: true }],
  ["epsOutside", { epsOutside: true }],
  ["noGamma", { noGamma: true }],
  ["noMeanBranch", { noMeanBranch: true }],
  ["noVarBranch", { noVarBranch: true }],
  ["missingInvN", { missingInvN: true }],
  ["swappedParams", { swappedParams: true }],
];

/** Candidates for a layer-norm forward pass. */
export function layernormForwardCandidates(x: Tensor, gamma: Tensor, beta: Tensor): [CauseId, () => Outputs][] {
  const [N, D] = x.shape as [number, number];
  return LAYERNORM_MISTAKES.map(([id, m]) => [id, () => ({ out: layernormForwardVariant(x.data, N, D, gamma.data, beta.data, m) })]);
}

/** Candidates for a layer-norm backward pass. */
export function layernormBackwardCandidates(x: Tensor, gamma: Tensor, dout: Tensor): [CauseId, () => Outputs][] {
  const [N, D] = x.shape as [number, number];
  return LAYERNORM_MISTAKES.map(([id, m]) => [id, () => ({ ...layernormBackwardVariant(x.data, N, D, gamma.data, dout.data, m) })]);
}
