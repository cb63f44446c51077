/**
 * The covariate-shift study's findings, written from the measured numbers: each
 * sentence's verdict (reduced / increased, smoother / rougher, as well as / worse)
 * follows from the numbers it quotes.
 */
import type { Finding, StudyTable } from "../study.js";
import type { ArmName, ArmResult, CovariateShiftResult } from "./types.js";

/** Display names of the arms. */
export const ARM_LABELS: Record<ArmName, string> = { baseline: "baseline", batchnorm: "batch norm", noisy: "noisy batch norm" };

/** The median of the finite values (NaN when there are none). */
export function median(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const m = v.length >> 1;
  return v.length % 2 === 1 ? v[m]! : (v[m - 1]! + v[m]!) / 2;
}

/** The summary numbers of one arm that the findings quote. */
export interface ArmSummary {
  /** Median over probes and layers 2…L of ‖G − G′‖ / ‖G‖. */
  relShift: number;
  /** Median over probes and layers 2…L of cos(G, G′). */
  cos: number;
  /** Median over probes (after the first) and hidden layers of the distribution shift (mean |Δ mean| / mean std). */
  distShift: number;
  /** Median over probes of the loss range over the step sizes. */
  lossRange: number;
  /** Median over probes of the largest gradient change over the step sizes. */
  gradChange: number;
  /** Median over probes of the effective β-smoothness. */
  beta: number;
  bestValAcc: number;
  finalValAcc: number;
  finalTrainAcc: number;
  probes: number;
}

/** Range (max − min) of the finite values, NaN if none. */
function range(xs: readonly number[]): number {
  const v = xs.filter(Number.isFinite);
  return v.length === 0 ? NaN : Math.max(...v) - Math.min(...v);
}

export function summarizeArm(a: ArmResult): ArmSummary {
  const rel: number[] = [];
  const cos: number[] = [];
  for (const p of a.probes) {
    for (let i = 1; i < p.ics.l2.length; i++) {
      rel.push(p.ics.l2[i]! / p.ics.gNorm[i]!);
      cos.push(p.ics.cos[i]!);
    }
  }
  return {
    relShift: median(rel),
    cos: median(cos),
    distShift: median(a.probes.flatMap((p) => p.activation.shift)),
    lossRange: median(a.probes.map((p) => range(p.landscape.losses))),
    gradChange: median(a.probes.map((p) => Math.max(...p.landscape.gradDiffs))),
    beta: median(a.probes.map((p) => p.landscape.beta)),
    bestValAcc: a.bestValAcc,
    finalValAcc: a.valAccHistory[a.valAccHistory.length - 1] ?? NaN,
    finalTrainAcc: a.trainAccHistory[a.trainAccHistory.length - 1] ?? NaN,
    probes: a.probes.length,
  };
}

const f3 = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2)) : String(x));
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : String(x));
const times = (r: number): string => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r >= 0.1 ? r.toFixed(2) : r.toPrecision(2)}×` : String(r));

/** "reduced" below 0.9×, "increased" above 1.1×, else "left about unchanged". */
function changeWord(ratio: number, less: string, more: string, same: string): string {
  if (!Number.isFinite(ratio)) return same;
  return ratio < 0.9 ? less : ratio > 1.1 ? more : same;
}

/** The findings of a covariate-shift result. */
export function covariateShiftFindings(r: CovariateShiftResult): Finding[] {
  const arms = new Map(r.arms.map((a) => [a.arm, summarizeArm(a)] as const));
  const base = arms.get("baseline");
  const bn = arms.get("batchnorm");
  const noisy = arms.get("noisy");
  const L = r.settings.hiddenDims.length + 1;
  const out: Finding[] = [];
  const probes = r.arms[0]?.probes.length ?? 0;

  if (base && bn) {
    const ratio = bn.relShift / base.relShift;
    const verb = changeWord(ratio, "reduced", "increased", "left about unchanged");
    const agrees = verb === "reduced" ? "unlike" : "like";
    out.push({
      id: "shift",
      text:
        `Batch norm ${verb} the measured internal covariate shift: the median relative change ‖G − G′‖/‖G‖ of a layer's weight gradient when the earlier layers take their step ` +
        `(layers 2–${L}, ${probes} probes) was ${f3(bn.relShift)} with batch norm and ${f3(base.relShift)} without (${times(ratio)}); the median cos(G, G′) was ${f3(bn.cos)} and ${f3(base.cos)}. ` +
        `That is ${agrees} Santurkar et al., who found that batch norm does not reduce this shift.`,
      values: { bnRelShift: bn.relShift, baselineRelShift: base.relShift, ratio, bnCos: bn.cos, baselineCos: base.cos },
    });
    const distRatio = bn.distShift / base.distShift;
    out.push({
      id: "distribution",
      text:
        `In the original, distributional sense batch norm ${changeWord(distRatio, "reduced", "increased", "left about unchanged")} the shift: between probes ${r.settings.probeEvery} steps apart, ` +
        `the mean of a unit's input to the activation (on a fixed batch) moved by a median ${f3(bn.distShift)} standard deviations with batch norm and ${f3(base.distShift)} without (${times(distRatio)}); ` +
        `with batch norm that mean is the unit's β by construction, so only β's updates move it.`,
      values: { bnDistShift: bn.distShift, baselineDistShift: base.distShift, ratio: distRatio },
    });
  }

  if (noisy && bn) {
    const shiftRatio = noisy.relShift / bn.relShift;
    const distRatio = noisy.distShift / bn.distShift;
    const gap = bn.bestValAcc - noisy.bestValAcc;
    // NOTE: "as well as" means best validation accuracies within 2 points (the text says so).
    const verdict = Math.abs(gap) <= 0.02 ? "as well as" : gap > 0 ? "worse than" : "better than";
    const more = changeWord(distRatio, "less", "more", "about as much");
    const despite = more === "more" ? "despite" : "with";
    const vsBase = base ? `; the baseline reached ${pct(base.bestValAcc)} (final ${pct(base.finalValAcc)})` : "";
    out.push({
      id: "noisy",
      text:
        `Noisy batch norm (per-unit shift U(−${r.settings.noise.shift}, ${r.settings.noise.shift}) and scale U(1, ${1 + r.settings.noise.scale}) after each batch-norm layer, drawn afresh at every step) ` +
        `trained ${verdict} batch norm ${despite} ${more} shift of its activations' distributions (a unit's mean moved ${f3(noisy.distShift)} vs ${f3(bn.distShift)} standard deviations between probes, ${times(distRatio)}; ` +
        `the gradient measure ‖G − G′‖/‖G‖ was ${f3(noisy.relShift)} vs ${f3(bn.relShift)}, ${times(shiftRatio)}): ` +
        `best validation accuracy ${pct(noisy.bestValAcc)} vs ${pct(bn.bestValAcc)} (${Math.abs(gap) <= 0.02 ? "within" : "more than"} 2 points; final ${pct(noisy.finalValAcc)} vs ${pct(bn.finalValAcc)}, final training accuracy ${pct(noisy.finalTrainAcc)} vs ${pct(bn.finalTrainAcc)})${vsBase}. ` +
        `Its landscape's median effective β-smoothness was ${f3(noisy.beta)} (batch norm ${f3(bn.beta)}${base ? `, baseline ${f3(base.beta)}` : ""}).`,
      values: { distRatio, noisyDistShift: noisy.distShift, bnDistShift: bn.distShift, shiftRatio, noisyRelShift: noisy.relShift, bnRelShift: bn.relShift, noisyBeta: noisy.beta, bnBeta: bn.beta, noisyBestValAcc: noisy.bestValAcc, bnBestValAcc: bn.bestValAcc, noisyFinalValAcc: noisy.finalValAcc, bnFinalValAcc: bn.finalValAcc },
    });
  }

  if (base && bn) {
    const lossRatio = base.lossRange / bn.lossRange;
    const gradRatio = base.gradChange / bn.gradChange;
    const betaRatio = base.beta / bn.beta;
    const smoother = [lossRatio, gradRatio, betaRatio].filter((x) => x > 1).length;
    const overall = smoother === 3 ? "smoother by all three measures" : smoother === 0 ? "rougher by all three measures" : `smoother by ${smoother} of the three measures`;
    const steps = r.settings.stepSizes;
    out.push({
      id: "landscape",
      text:
        `Along the gradient (step sizes ${f3(Math.min(...steps))} to ${f3(Math.max(...steps))}) the loss landscape of the batch-norm net was ${overall}: ` +
        `median loss range ${f3(bn.lossRange)} vs ${f3(base.lossRange)} for the baseline (the baseline's ${times(lossRatio)} batch norm's), ` +
        `median largest gradient change ${f3(bn.gradChange)} vs ${f3(base.gradChange)} (${times(gradRatio)}), ` +
        `median effective β-smoothness ${f3(bn.beta)} vs ${f3(base.beta)} (${times(betaRatio)}).`,
      values: { lossRatio, gradRatio, betaRatio, bnLossRange: bn.lossRange, baselineLossRange: base.lossRange, bnBeta: bn.beta, baselineBeta: base.beta },
    });
    const accGap = bn.bestValAcc - base.bestValAcc;
    out.push({
      id: "accuracy",
      text:
        `Batch norm ${accGap > 0.005 ? "trained better" : accGap < -0.005 ? "trained worse" : "trained about as well"} on this run: best validation accuracy ${pct(bn.bestValAcc)} vs ${pct(base.bestValAcc)} for the baseline ` +
        `(${accGap >= 0 ? "+" : ""}${(100 * accGap).toFixed(1)} points), final training accuracy ${pct(bn.finalTrainAcc)} vs ${pct(base.finalTrainAcc)}.`,
      values: { bnBestValAcc: bn.bestValAcc, baselineBestValAcc: base.bestValAcc, gap: accGap },
    });
  }
  if (out.length === 0) {
    const lines = [...arms.entries()].map(([k, s]) => `${ARM_LABELS[k]}: best validation accuracy ${pct(s.bestValAcc)}, median ‖G − G′‖/‖G‖ ${f3(s.relShift)}, median β ${f3(s.beta)}`);
    out.push({ id: "arms", text: `Measured (no batch-norm/baseline pair to compare): ${lines.join("; ")}.`, values: {} });
  }
  return out;
}

/** One row per net: the accuracies and the medians the findings quote. */
export function covariateShiftTables(r: CovariateShiftResult): StudyTable[] {
  const rows = r.arms.map((a) => {
    const s = summarizeArm(a);
    return [ARM_LABELS[a.arm], pct(s.bestValAcc), pct(s.finalValAcc), pct(s.finalTrainAcc), f3(s.relShift), f3(s.cos), f3(s.distShift), f3(s.lossRange), f3(s.gradChange), f3(s.beta)];
  });
  return [
    {
      caption: `Per net: accuracies, and medians over ${r.arms[0]?.probes.length ?? 0} probes (the gradient measures over layers 2–${r.settings.hiddenDims.length + 1}, the distribution shift over the hidden layers).`,
      head: ["net", "best val acc", "final val acc", "final train acc", "‖G − G′‖/‖G‖", "cos(G, G′)", "distribution shift (std)", "loss range", "largest ‖Δ∇L‖", "β"],
      rows,
    },
  ];
}
