/**
 * The signal study's findings, written from the measured numbers: whether the
 * signal and the gradient shrank or grew through depth, and by how many orders
 * of magnitude, follow from the numbers each sentence quotes.
 */
import { depthChange, ordersText, type DepthChange } from "../../experiments/signal.js";
import type { Finding } from "../study.js";
import type { SignalNorm, SignalResult, SignalRun } from "./types.js";

const NAMES: Record<SignalNorm, string> = { none: "without batch norm", batchnorm: "with batch norm" };
const sig = (x: number): string => (Number.isFinite(x) ? x.toExponential(1) : String(x));
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : String(x));
/** sqrt(eps) of bnlab's batch norm (eps = 1e-5): below it an affine output is not restored to unit variance. */
const SQRT_EPS = Math.sqrt(1e-5);

/** The median of the finite values (NaN when there are none). */
function median(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** Per layer, the median over training of its update-to-weight ratio. */
export function medianRatios(r: SignalRun): number[] {
  return r.updateRatio.layers.map(median);
}

/** What the findings quote, from a result. */
export interface SignalSummary {
  hiddenLayers: number;
  smallestScale: number;
  largestScale: number;
  /** At init, per net, at the smallest and largest sweep scale. */
  smallest: Partial<Record<SignalNorm, { run: SignalRun; init: DepthChange; end: DepthChange }>>;
  largest: Partial<Record<SignalNorm, { run: SignalRun; init: DepthChange; end: DepthChange }>>;
}

function sweepRuns(r: SignalResult): SignalRun[] {
  return r.runs.filter((x) => x.cell === "sweep");
}

export function summarizeSignal(r: SignalResult): SignalSummary {
  const runs = sweepRuns(r);
  const scales = [...new Set(runs.map((x) => x.weightScale))].sort((a, b) => a - b);
  const at = (w: number): SignalSummary["smallest"] => {
    const out: SignalSummary["smallest"] = {};
    for (const x of runs) if (x.weightScale === w) out[x.normalization] = { run: x, init: depthChange(x.signal.init), end: depthChange(x.signal.end) };
    return out;
  };
  return {
    hiddenLayers: r.settings.sweep.hiddenDims.length,
    smallestScale: scales[0] ?? NaN,
    largestScale: scales[scales.length - 1] ?? NaN,
    smallest: at(scales[0] ?? NaN),
    largest: at(scales[scales.length - 1] ?? NaN),
  };
}

/** The signal sentence of one net at one scale; for batch norm, says when its affine output fell under sqrt(eps). */
function signalClause(norm: SignalNorm, x: { run: SignalRun; init: DepthChange }, L: number): string {
  let s = `${NAMES[norm]} it ${ordersText(x.init.signalDecades)} (std ${sig(x.init.signalFirst)} in hidden layer 1, ${sig(x.init.signalLast)} in hidden layer ${L})`;
  if (norm === "batchnorm") {
    const a = x.run.signal.init.affineStd[L - 1]!;
    if (a < SQRT_EPS) s += `: there the affine output's std was ${sig(a)}, under sqrt(eps) = ${sig(SQRT_EPS)}, so batch norm's x/sqrt(var + eps) no longer restores unit variance`;
  }
  return s;
}

function depthFinding(id: string, which: "smallest" | "largest", s: SignalSummary): Finding | null {
  const at = s[which];
  const w = which === "smallest" ? s.smallestScale : s.largestScale;
  const norms = (["none", "batchnorm"] as const).filter((k) => at[k] !== undefined);
  if (norms.length === 0) return null;
  const L = s.hiddenLayers;
  const values: Record<string, number | null> = { weightScale: w };
  for (const k of norms) {
    values[`${k}SignalDecades`] = at[k]!.init.signalDecades;
    values[`${k}SignalFirst`] = at[k]!.init.signalFirst;
    values[`${k}SignalLast`] = at[k]!.init.signalLast;
  }
  return {
    id,
    text:
      `Signal at the ${which} weight scale w = ${sig(w)}, at initialization, from hidden layer 1 to hidden layer ${L} (standard deviation of the value entering the ReLU): ` +
      `${norms.map((k) => signalClause(k, at[k]!, L)).join("; ")}.`,
    values,
  };
}

function gradientFinding(s: SignalSummary): Finding | null {
  const parts: string[] = [];
  const values: Record<string, number | null> = {};
  for (const which of ["smallest", "largest"] as const) {
    const at = s[which];
    const w = which === "smallest" ? s.smallestScale : s.largestScale;
    const norms = (["none", "batchnorm"] as const).filter((k) => at[k] !== undefined);
    if (norms.length === 0) continue;
    parts.push(
      `at w = ${sig(w)} ${norms.map((k) => `${NAMES[k]} it ${ordersText(at[k]!.init.gradDecades)} (${sig(at[k]!.init.gradLast)} to ${sig(at[k]!.init.gradFirst)})`).join(" and ")}`,
    );
    for (const k of norms) values[`${which}${k === "none" ? "Baseline" : "Bn"}GradDecades`] = at[k]!.init.gradDecades;
  }
  if (parts.length === 0) return null;
  return {
    id: "gradient",
    text: `The norm of the loss gradient with respect to a hidden layer's output, at initialization, from hidden layer ${s.hiddenLayers} down to hidden layer 1: ${parts.join("; ")}.`,
    values,
  };
}

function deadFinding(r: SignalResult): Finding | null {
  const runs = sweepRuns(r);
  if (runs.length === 0) return null;
  const parts: string[] = [];
  const values: Record<string, number | null> = {};
  for (const k of ["none", "batchnorm"] as const) {
    const mine = runs.filter((x) => x.normalization === k);
    if (mine.length === 0) continue;
    const worst = (when: "init" | "end"): { frac: number; w: number; layer: number; mean: number } => {
      let best = { frac: -1, w: NaN, layer: 0 };
      let sum = 0;
      let n = 0;
      for (const x of mine) {
        x.signal[when].deadFraction.forEach((f, i) => {
          sum += f;
          n++;
          if (f > best.frac) best = { frac: f, w: x.weightScale, layer: i + 1 };
        });
      }
      return { ...best, mean: n === 0 ? NaN : sum / n };
    };
    const i = worst("init");
    const e = worst("end");
    const name = k === "none" ? "baseline" : "batchNorm";
    values[`${name}InitMax`] = i.frac;
    values[`${name}EndMax`] = e.frac;
    values[`${name}EndMean`] = e.mean;
    parts.push(
      `${NAMES[k]} at most ${pct(i.frac)} of a layer's units were dead at initialization${i.frac > 0 ? ` (layer ${i.layer} at w = ${sig(i.w)})` : ""} ` +
        `and ${pct(e.frac)} after training${e.frac > 0 ? ` (layer ${e.layer} at w = ${sig(e.w)})` : ""}, ${pct(e.mean)} on average over layers and scales`,
    );
  }
  return { id: "dead", text: `Dead ReLUs (units with no positive input on any of the ${runs[0]!.signal.rows} probe rows), over cell 7's ${new Set(runs.map((x) => x.weightScale)).size} scales: ${parts.join("; ")}.`, values };
}

function afterTrainingFinding(s: SignalSummary): Finding | null {
  const base = s.smallest.none;
  if (base === undefined) return null;
  const L = s.hiddenLayers;
  const change = Math.log10(base.end.signalLast / base.init.signalLast);
  const bn = s.smallest.batchnorm;
  const bnText =
    bn === undefined
      ? ""
      : `; with batch norm it was ${sig(bn.end.signalLast)} (from ${sig(bn.init.signalLast)} at initialization) and the best validation accuracy ${pct(bn.run.bestValAcc)}`;
  return {
    id: "after-training",
    text:
      `After training at w = ${sig(s.smallestScale)}, the baseline's signal in hidden layer ${L} ${ordersText(change)} from its value at initialization (${sig(base.init.signalLast)} to ${sig(base.end.signalLast)}); ` +
      `it still ${ordersText(base.end.signalDecades)} from layer 1 to layer ${L}, and its best validation accuracy was ${pct(base.run.bestValAcc)}${bnText}.`,
    values: { baselineEndSignalLast: base.end.signalLast, baselineInitSignalLast: base.init.signalLast, change, baselineBestValAcc: base.run.bestValAcc, bnBestValAcc: bn?.run.bestValAcc ?? null },
  };
}

function updateRatioFinding(r: SignalResult): Finding | null {
  const deep = r.runs.filter((x) => x.cell === "deepNet");
  const runs = deep.length > 0 ? deep : [];
  const base = runs.find((x) => x.normalization === "none");
  const bn = runs.find((x) => x.normalization === "batchnorm");
  if (base === undefined || bn === undefined) return null;
  const spread = (m: number[]): { lo: number; hi: number; f: number } => {
    const v = m.filter(Number.isFinite);
    const lo = Math.min(...v);
    const hi = Math.max(...v);
    return { lo, hi, f: hi / lo };
  };
  const mb = medianRatios(bn);
  const m0 = medianRatios(base);
  const sb = spread(mb);
  const s0 = spread(m0);
  const ratio = sb.f / s0.f;
  const verdict = ratio < 0.8 ? "more evenly than" : ratio > 1.25 ? "less evenly than" : "about as evenly as";
  const list = (m: number[]): string => m.map(sig).join(", ");
  return {
    id: "update-ratio",
    text:
      `Update-to-weight ratio ‖ΔW‖/‖W‖ of a step in cell 6's nets (median over training, layers 1 to ${mb.length}): with batch norm ${list(mb)}, ` +
      `a spread of ${sb.f.toFixed(1)}× between the fastest and the slowest layer; without it ${list(m0)}, ${s0.f.toFixed(1)}×. ` +
      `Batch norm's layers moved ${verdict} the baseline's.`,
    values: { bnSpread: sb.f, baselineSpread: s0.f, ratio, bnMin: sb.lo, bnMax: sb.hi, baselineMin: s0.lo, baselineMax: s0.hi },
  };
}

function deepNetFinding(r: SignalResult): Finding | null {
  const deep = r.runs.filter((x) => x.cell === "deepNet");
  if (deep.length === 0 || r.settings.deepNet === null) return null;
  const L = r.settings.deepNet.hiddenDims.length;
  const parts = deep.map((x) => {
    const d = depthChange(x.signal.init);
    return `${NAMES[x.normalization]} the signal ${ordersText(d.signalDecades)} from hidden layer 1 to ${L} (${sig(d.signalFirst)} to ${sig(d.signalLast)}) and the gradient with respect to a layer's output ${ordersText(d.gradDecades)} from layer ${L} down to 1, best validation accuracy ${pct(x.bestValAcc)}`;
  });
  const values: Record<string, number | null> = {};
  for (const x of deep) {
    const d = depthChange(x.signal.init);
    values[`${x.normalization}SignalDecades`] = d.signalDecades;
    values[`${x.normalization}GradDecades`] = d.gradDecades;
  }
  return { id: "deep-net", text: `Cell 6's nets (hidden ${JSON.stringify(r.settings.deepNet.hiddenDims)}, w = ${sig(r.settings.deepNet.weightScale)}) at initialization: ${parts.join("; ")}.`, values };
}

/** The findings of a signal result. */
export function signalFindings(r: SignalResult): Finding[] {
  const s = summarizeSignal(r);
  const out = [
    depthFinding("vanishing", "smallest", s),
    depthFinding("exploding", "largest", s),
    gradientFinding(s),
    deadFinding(r),
    afterTrainingFinding(s),
    deepNetFinding(r),
    updateRatioFinding(r),
  ].filter((f): f is Finding => f !== null);
  if (out.length === 0) out.push({ id: "runs", text: `No run to summarize (${r.runs.length} runs).`, values: { runs: r.runs.length } });
  return out;
}
