/**
 * The activation study's findings, written from the measured numbers: how far
 * the followed unit's input distribution moved over training with and without
 * batch norm, how far all units' medians moved, and which net reached what
 * held-out accuracy how soon.
 */
import type { Finding } from "../study.js";
import type { ActivationArmResult, ActivationsResult } from "./types.js";

const f3 = (x: number): string => (Number.isFinite(x) ? (Math.abs(x) >= 1e-3 && Math.abs(x) < 1e4 ? x.toPrecision(3) : x.toExponential(2)) : String(x));
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : String(x));
const times = (r: number): string => (Number.isFinite(r) ? `${r >= 10 ? r.toFixed(0) : r.toFixed(2)}×` : String(r));

/** How one net's followed unit moved: the range of its median over training, and its band's width at the start and the end. */
export function unitMotion(a: ActivationArmResult): { medianRange: number; medianStart: number; medianEnd: number; spreadStart: number; spreadEnd: number; meanShiftEnd: number } {
  const p = a.probes;
  const med = p.map((q) => q.p50).filter(Number.isFinite);
  const first = p[0];
  const last = p[p.length - 1];
  return {
    medianRange: med.length === 0 ? NaN : Math.max(...med) - Math.min(...med),
    medianStart: first?.p50 ?? NaN,
    medianEnd: last?.p50 ?? NaN,
    spreadStart: first === undefined ? NaN : first.p85 - first.p15,
    spreadEnd: last === undefined ? NaN : last.p85 - last.p15,
    meanShiftEnd: last?.meanMedianShift ?? NaN,
  };
}

/** The first probe at which the accuracy reached `target` (null: never). */
function firstReaching(a: ActivationArmResult, target: number): number | null {
  return a.probes.find((q) => q.valAcc >= target)?.iteration ?? null;
}

export function activationsFindings(r: ActivationsResult): Finding[] {
  const base = r.arms.find((a) => a.arm === "baseline");
  const bn = r.arms.find((a) => a.arm === "batchnorm");
  const s = r.settings;
  const out: Finding[] = [];
  const steps = Math.max(0, ...r.arms.map((a) => a.numIterations));
  out.push({
    id: "setup",
    text:
      `On CIFAR-10 (${s.numTrain} training rows of 3072 features; the paper used MNIST): ${s.hiddenDims.length} hidden layers of ${s.hiddenDims.join("/")} ${s.activation} units, ` +
      `Gaussian initial weights of standard deviation ${f3(s.weightScale)}, batches of ${s.batchSize}, ${steps} steps of ${s.updateRule} at learning rate ${f3(s.learningRate)} for both nets.`,
    values: { numTrain: s.numTrain, steps, learningRate: s.learningRate, weightScale: s.weightScale },
  });
  if (base && bn) {
    const finalB = base.probes[base.probes.length - 1]?.valAcc ?? NaN;
    const finalN = bn.probes[bn.probes.length - 1]?.valAcc ?? NaN;
    const target = finalB;
    const tN = firstReaching(bn, target);
    const tB = firstReaching(base, target);
    const when =
      tN === null
        ? `batch norm never reached the baseline's final ${pct(target)}`
        : `batch norm reached the baseline's final ${pct(target)} after ${tN} steps${tB !== null && tN > 0 ? ` (the baseline after ${tB}, ${times(tB / tN)} as many)` : ""}`;
    const gap = finalN - finalB;
    out.push({
      id: "accuracy",
      text:
        `Held-out accuracy (${s.numVal} validation rows) after ${steps} steps: ${pct(finalN)} with batch norm, ${pct(finalB)} without (${gap >= 0 ? "+" : ""}${(100 * gap).toFixed(1)} points; ` +
        `best ${pct(bn.bestValAcc)} and ${pct(base.bestValAcc)}); ${when}.`,
      values: { bnFinalAcc: finalN, baselineFinalAcc: finalB, gap, bnStepsToTarget: tN, baselineStepsToTarget: tB },
    });
    const mb = unitMotion(base);
    const mn = unitMotion(bn);
    const ratio = mn.medianRange / mb.medianRange;
    const verdict = ratio < 0.9 ? "moved less" : ratio > 1.1 ? "moved more" : "moved about as much";
    out.push({
      id: "unit",
      text:
        `The input of unit ${s.unit} of hidden layer ${s.hiddenDims.length}: without batch norm its median went from ${f3(mb.medianStart)} to ${f3(mb.medianEnd)} (range over training ${f3(mb.medianRange)}) ` +
        `and its 15th–85th percentile band from ${f3(mb.spreadStart)} to ${f3(mb.spreadEnd)} wide; with batch norm the median went from ${f3(mn.medianStart)} to ${f3(mn.medianEnd)} (range ${f3(mn.medianRange)}) ` +
        `and the band from ${f3(mn.spreadStart)} to ${f3(mn.spreadEnd)}. With batch norm the distribution ${verdict} (${times(ratio)} the baseline's range of the median)` +
        `${verdict === "moved less" ? ", as in the paper's figure 1" : ", unlike the paper's figure 1"}.`,
      values: { baselineMedianRange: mb.medianRange, bnMedianRange: mn.medianRange, ratio, baselineSpreadEnd: mb.spreadEnd, bnSpreadEnd: mn.spreadEnd },
    });
    const shiftRatio = mn.meanShiftEnd / mb.meanShiftEnd;
    // NOTE: the baseline's and batch norm's inputs live on different scales; the band width tells how large a move is.
    const relB = mb.meanShiftEnd / (base.probes[0]?.meanSpread ?? NaN);
    const relN = mn.meanShiftEnd / (bn.probes[0]?.meanSpread ?? NaN);
    out.push({
      id: "all-units",
      text:
        `Over all ${s.hiddenDims[s.hiddenDims.length - 1]} units of hidden layer ${s.hiddenDims.length}, the median input moved by ${f3(mb.meanShiftEnd)} on average from step 0 to the end without batch norm ` +
        `(${f3(relB)} times the initial 15th–85th percentile width) and by ${f3(mn.meanShiftEnd)} with it (${f3(relN)} times): ${times(shiftRatio)} the baseline's move.`,
      values: { baselineShift: mb.meanShiftEnd, bnShift: mn.meanShiftEnd, shiftRatio, baselineRelShift: relB, bnRelShift: relN },
    });
  }
  return out;
}
