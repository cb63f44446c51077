/**
 * Cell 8: the answer to the notebook's question ("describe the results of this
 * experiment and give a reason"), written from the measured results of cells 6
 * and 7. Every sentence that states a result carries the number it rests on, and
 * the sentences chosen depend on what was measured: other results, other text.
 */
import { NORMALIZATIONS } from "../core/names.js";
import { depthChange, ordersText } from "./signal.js";
import type { AnswerFacts, AnswerResult, DeepNetResult, NormKind, SignalFact, SignalFacts, SweepPoint, SweepResult, TrainingRun } from "./types.js";

/** ln(10): the softmax loss of a 10-class net that predicts uniformly. */
export const CHANCE_LOSS = Math.log(10);
/** A final loss within this of ln 10 counts as "stuck at chance". */
export const STUCK_TOLERANCE = 0.05;
/** A final loss above this multiple of ln 10 (or a non-finite one) counts as "exploded". */
export const EXPLODED_FACTOR = 3;
/** The baseline is "competitive" at a scale when its best validation accuracy is within this of batch norm's. */
export const COMPETITIVE_MARGIN = 0.03;

/** Chance accuracy of the 10-class problem. */
const CHANCE_ACC = 0.1;

/**
 * The unnormalized net's total signal gain at weight scale w: the first layer
 * multiplies the input RMS by about w·sqrt(inputDim/2) (the ReLU keeps half the
 * variance), each later layer by w·sqrt(fanIn/2).
 */
export function signalGain(w: number, sweep: SweepResult): number {
  const dims = sweep.settings.hiddenDims;
  // NOTE: without a known input size and scale, only the layers after the first count.
  let g = hasInput(sweep) ? w * Math.sqrt(sweep.input.dim / 2) * sweep.input.rms : 1;
  for (let i = 0; i < dims.length; i++) g *= w * Math.sqrt(dims[i]! / 2);
  return g;
}

function hasInput(sweep: SweepResult): boolean {
  return sweep.input.dim > 0 && sweep.input.rms > 0;
}

/** The w where `signalGain` is 1 (the gain is a monomial in w, one degree per layer counted). */
function unitGainScale(sweep: SweepResult): number {
  const degree = sweep.settings.hiddenDims.length + (hasInput(sweep) ? 1 : 0);
  return 1 / signalGain(1, sweep) ** (1 / degree);
}

const pct = (x: number): string => `${(100 * x).toFixed(1)}%`;
const sc = (w: number): string => w.toExponential(1);
const fixed = (x: number, d = 3): string => (Number.isFinite(x) ? x.toFixed(d) : String(x));

function pointsOf(sweep: SweepResult, kind: NormKind): SweepPoint[] {
  return sweep.points.filter((p) => p.normalization === kind).sort((a, b) => a.weightScale - b.weightScale);
}

function isStuck(p: SweepPoint): boolean {
  return Number.isFinite(p.finalLoss) && Math.abs(p.finalLoss - CHANCE_LOSS) <= STUCK_TOLERANCE;
}

function isExploded(p: SweepPoint): boolean {
  return p.diverged || !Number.isFinite(p.finalLoss) || p.finalLoss > EXPLODED_FACTOR * CHANCE_LOSS;
}

/** The longest run of consecutive grid points satisfying `good`; returns its scales. */
function longestRun(points: SweepPoint[], good: (p: SweepPoint) => boolean): number[] {
  let best: number[] = [];
  let cur: number[] = [];
  for (const p of points) {
    if (good(p)) {
      cur.push(p.weightScale);
      if (cur.length > best.length) best = [...cur];
    } else cur = [];
  }
  return best;
}

function decades(scales: number[]): number {
  if (scales.length < 2) return 0;
  return Math.log10(scales[scales.length - 1]! / scales[0]!);
}

function bestOf(points: SweepPoint[]): { weightScale: number; bestValAcc: number } | null {
  let best: SweepPoint | null = null;
  for (const p of points) if (best === null || p.bestValAcc > best.bestValAcc) best = p;
  return best === null ? null : { weightScale: best.weightScale, bestValAcc: best.bestValAcc };
}

/** "from 1.0e-4 to 2.6e-3 (8 of 20 scales)" or "at 1.0e-4 (1 of 20 scales)". */
function describeScales(scales: number[], total: number): string {
  if (scales.length === 0) return "at no scale";
  const count = `${scales.length} of ${total} scales`;
  if (scales.length === 1) return `at ${sc(scales[0]!)} (${count})`;
  return `from ${sc(scales[0]!)} to ${sc(scales[scales.length - 1]!)} (${count})`;
}

/** When each run of cell 6 first reached `target` training accuracy. */
function speedFacts(deep: DeepNetResult | null): AnswerFacts["speed"] {
  if (deep === null || deep.runs.length === 0) return null;
  const maxAcc = (r: TrainingRun): number => Math.max(...r.trainAccHistory.filter(Number.isFinite), 0);
  // NOTE: the highest round level every run reached, but at least 0.15 so that
  // "reaching" it means learning something beyond chance (0.10).
  const common = Math.min(...deep.runs.map(maxAcc));
  const target = Math.max(0.15, Math.floor(common * 20) / 20);
  return {
    target,
    runs: deep.runs.map((r) => {
      const epoch = r.trainAccHistory.findIndex((a) => a >= target);
      return {
        normalization: r.normalization,
        epoch: epoch < 0 ? null : epoch,
        // Check 0 comes after the first iteration; check e after epoch e.
        iteration: epoch < 0 ? null : epoch === 0 ? 1 : epoch * r.iterationsPerEpoch,
        finalTrainAcc: r.trainAccHistory[r.trainAccHistory.length - 1] ?? NaN,
        bestValAcc: r.bestValAcc,
      };
    }),
  };
}

/** One run's signal fact from its probe at initialization, or null without a probe. */
export function signalFact(p: SweepPoint): SignalFact | null {
  const s = p.signal?.init;
  if (s === undefined || s.preActStd.length === 0) return null;
  return { weightScale: p.weightScale, normalization: p.normalization, ...depthChange(s), weightGradFirst: s.weightGradNorm[0]! };
}

/** The baseline and batch norm at the smallest and the largest scale (null when no run has probes). */
function signalFacts(sweep: SweepResult): SignalFacts | null {
  const at = (w: number): SignalFact[] =>
    (["none", "batchnorm"] as const).flatMap((k) => {
      const p = sweep.points.find((q) => q.normalization === k && q.weightScale === w);
      const f = p === undefined ? null : signalFact(p);
      return f === null ? [] : [f];
    });
  const probed = sweep.points.filter((p) => p.signal !== undefined);
  if (probed.length === 0 || sweep.weightScales.length === 0) return null;
  const scales = [...sweep.weightScales].sort((a, b) => a - b);
  const smallest = at(scales[0]!);
  const largest = at(scales[scales.length - 1]!);
  if (smallest.length === 0 && largest.length === 0) return null;
  return { rows: probed[0]!.signal!.rows, hiddenLayers: sweep.settings.hiddenDims.length, smallest, largest };
}

/** Scientific notation as the answer prints measured per-layer values. */
export const sig = (x: number): string => (Number.isFinite(x) ? x.toExponential(1) : String(x));

/** "shrank by 19.8 orders of magnitude (3.4e-1 to 5.2e-21)". */
function change(decades: number, from: number, to: number): string {
  return `${ordersText(decades)} (${sig(from)} to ${sig(to)})`;
}

/** The paragraph that quotes the per-layer measurements of cell 7's probes. */
function signalParagraph(s: SignalFacts): string {
  const L = s.hiddenLayers;
  const label = (k: NormKind): string => (k === "none" ? "without batch norm" : "with batch norm");
  const one = (f: SignalFact): string =>
    `${label(f.normalization)} the signal ${change(f.signalDecades, f.signalFirst, f.signalLast)} and the gradient ${change(f.gradDecades, f.gradLast, f.gradFirst)}, ‖∂L/∂W1‖ = ${sig(f.weightGradFirst)}`;
  const part = (fs: SignalFact[], which: string): string =>
    fs.length === 0 ? "" : ` At the ${which} scale w = ${sc(fs[0]!.weightScale)}, ${fs.map(one).join("; ")}.`;
  return (
    `Measured layer by layer (cell 7's probes at initialization, on the first ${s.rows} training rows; the signal is the standard deviation of the value entering the ReLU, ` +
    `from hidden layer 1 up to hidden layer ${L}, the gradient the norm of the loss gradient with respect to a hidden layer's output, from hidden layer ${L} down to hidden layer 1).` +
    part(s.smallest, "smallest") +
    part(s.largest, "largest")
  );
}

/** Computes the figures the answer cites. */
export function answerFacts(deep: DeepNetResult | null, sweep: SweepResult): AnswerFacts {
  const base = pointsOf(sweep, "none");
  const bn = pointsOf(sweep, "batchnorm");
  const bnAt = new Map(bn.map((p) => [p.weightScale, p]));
  const bestBn = bestOf(bn);
  const bestBase = bestOf(base);
  const overallBest = Math.max(CHANCE_ACC, ...sweep.points.map((p) => p.bestValAcc));
  const goodThreshold = CHANCE_ACC + 0.5 * (overallBest - CHANCE_ACC);
  const good = (p: SweepPoint): boolean => p.bestValAcc >= goodThreshold;
  const bnGood = longestRun(bn, good);
  const baseGood = longestRun(base, good);
  return {
    chanceLoss: CHANCE_LOSS,
    baselineStuckScales: base.filter(isStuck).map((p) => p.weightScale),
    baselineExplodedScales: base.filter(isExploded).map((p) => p.weightScale),
    baselineCompetitiveScales: base
      .filter((p) => {
        const b = bnAt.get(p.weightScale);
        return b !== undefined && !isExploded(p) && !isStuck(p) && p.bestValAcc >= b.bestValAcc - COMPETITIVE_MARGIN;
      })
      .map((p) => p.weightScale),
    goodThreshold,
    bnGoodScales: bnGood,
    bnGoodRangeDecades: decades(bnGood),
    baselineGoodScales: baseGood,
    baselineGoodRangeDecades: decades(baseGood),
    bestBaseline: bestBase,
    bestBatchnorm: bestBn,
    unitGainScale: unitGainScale(sweep),
    signal: signalFacts(sweep),
    speed: speedFacts(deep),
  };
}

function speedParagraph(deep: DeepNetResult, speed: NonNullable<AnswerFacts["speed"]>): string {
  const label = (k: NormKind): string => NORMALIZATIONS[k].prose;
  const parts = speed.runs.map((r) =>
    r.epoch === null
      ? `${label(r.normalization)} never reached it in ${deep.settings.numEpochs} epochs (final training accuracy ${pct(r.finalTrainAcc)})`
      : `${label(r.normalization)} reached it ${r.epoch === 0 ? "after its first iteration" : `after epoch ${r.epoch} (iteration ${r.iteration})`}`,
  );
  const vals = speed.runs.map((r) => `${label(r.normalization)} ${pct(r.bestValAcc)}`).join(", ");
  const bnRun = speed.runs.find((r) => r.normalization === "batchnorm");
  const baseRun = speed.runs.find((r) => r.normalization === "none");
  let ratio = "";
  if (bnRun?.iteration != null && baseRun?.iteration != null && bnRun.iteration > 0) {
    const f = baseRun.iteration / bnRun.iteration;
    ratio =
      f > 1.05
        ? ` Batch norm got there ${f.toFixed(1)}× sooner.`
        : f < 0.95
          ? ` Here the baseline got there ${(1 / f).toFixed(1)}× sooner.`
          : " Both got there at about the same time.";
  } else if (bnRun?.iteration != null && baseRun !== undefined && baseRun.iteration === null) {
    ratio = " Batch norm got there and the baseline did not.";
  }
  return (
    `Deep network (cell 6; hidden ${JSON.stringify(deep.settings.hiddenDims)}, weight scale ${deep.settings.weightScale}): ` +
    `to reach ${pct(speed.target)} training accuracy, ${parts.join("; ")}.${ratio} Best validation accuracy: ${vals}.`
  );
}

/**
 * Writes cell 8's answer from the measured results. `deep` may be null when only
 * a sweep was run (`bnlab sweep`).
 */
export function writeAnswer(deep: DeepNetResult | null, sweep: SweepResult): AnswerResult {
  const f = answerFacts(deep, sweep);
  const base = pointsOf(sweep, "none");
  const bn = pointsOf(sweep, "batchnorm");
  const total = sweep.weightScales.length;
  const depth = sweep.settings.hiddenDims.length + 1;
  const fanIn = sweep.settings.hiddenDims[0] ?? 50;
  const observations: string[] = [];
  const reasons: string[] = [];

  if (deep !== null && f.speed !== null) observations.push(speedParagraph(deep, f.speed));

  // Baseline: stuck, exploded, competitive.
  if (f.baselineStuckScales.length > 0) {
    const stuck = base.filter(isStuck);
    const maxAcc = Math.max(...stuck.map((p) => p.bestTrainAcc));
    const worst = stuck.reduce((a, p) => (Math.abs(p.finalLoss - CHANCE_LOSS) < Math.abs(a.finalLoss - CHANCE_LOSS) ? p : a));
    observations.push(
      `Without batch norm the ${depth}-layer net failed to learn at small scales: ${describeScales(f.baselineStuckScales, total)} ` +
        `its final training loss stayed within ${STUCK_TOLERANCE} of ln 10 = ${fixed(CHANCE_LOSS, 4)} ` +
        `(${fixed(worst.finalLoss, 4)} at ${sc(worst.weightScale)}), and its best training accuracy there was at most ${pct(maxAcc)} — chance is 10%.`,
    );
  } else if (base.length > 0) {
    const smallest = base[0]!;
    observations.push(
      `Without batch norm the net did not get stuck at chance at any scale: even at the smallest scale ${sc(smallest.weightScale)} ` +
        `its final loss was ${fixed(smallest.finalLoss)} (ln 10 = ${fixed(CHANCE_LOSS)}) and its best training accuracy ${pct(smallest.bestTrainAcc)}.`,
    );
  }
  if (f.baselineExplodedScales.length > 0) {
    const exploded = base.filter(isExploded);
    const nonFinite = exploded.filter((p) => !Number.isFinite(p.finalLoss) || p.diverged);
    const finiteLosses = exploded.filter((p) => Number.isFinite(p.finalLoss)).map((p) => p.finalLoss);
    const details: string[] = [];
    if (nonFinite.length > 0) {
      const first = nonFinite.find((p) => p.firstNonFiniteIteration !== null);
      details.push(
        `the loss became NaN or infinite at ${nonFinite.length} of them` +
          (first ? ` (at ${sc(first.weightScale)} from iteration ${first.firstNonFiniteIteration})` : ""),
      );
    }
    if (finiteLosses.length > 0) details.push(`the mean of the last 100 losses reached ${fixed(Math.max(...finiteLosses), 1)}`);
    observations.push(
      `At large scales the baseline blew up: ${describeScales(f.baselineExplodedScales, total)} ${details.join(" and ")}; ` +
        `its best validation accuracy there was at most ${pct(Math.max(...exploded.map((p) => p.bestValAcc)))}.`,
    );
  } else if (base.length > 0) {
    const largest = base[base.length - 1]!;
    observations.push(
      `The baseline did not blow up in this grid: at the largest scale ${sc(largest.weightScale)} its final loss was ${fixed(largest.finalLoss)}.`,
    );
  }
  const goodWords = `best validation accuracy at least ${pct(f.goodThreshold)}, halfway from chance to the best of any run`;
  if (f.baselineCompetitiveScales.length > 0 && f.bestBaseline !== null) {
    observations.push(
      `The baseline learned and was competitive with batch norm (best validation accuracy within ${COMPETITIVE_MARGIN} of it at the same scale) only ${describeScales(f.baselineCompetitiveScales, total)}; ` +
        `its best was ${pct(f.bestBaseline.bestValAcc)} at ${sc(f.bestBaseline.weightScale)}.`,
    );
  } else if (f.bestBaseline !== null) {
    observations.push(
      `The baseline never came within ${COMPETITIVE_MARGIN} of batch norm's validation accuracy at the same scale while learning; its best was ${pct(f.bestBaseline.bestValAcc)} at ${sc(f.bestBaseline.weightScale)}.`,
    );
  }
  if (f.bestBatchnorm !== null) {
    const minBn = Math.min(...bn.map((p) => p.bestValAcc));
    const ratio = f.baselineGoodRangeDecades > 0 && f.bnGoodRangeDecades > 0 ? `, ${(f.bnGoodRangeDecades / f.baselineGoodRangeDecades).toFixed(1)}× the baseline's` : "";
    observations.push(
      `Good range (${goodWords}): with batch norm ${describeScales(f.bnGoodScales, total)}, ${f.bnGoodRangeDecades.toFixed(1)} decades wide; ` +
        `without it ${describeScales(f.baselineGoodScales, total)}, ${f.baselineGoodRangeDecades.toFixed(1)} decades${ratio}. ` +
        `Batch norm's best was ${pct(f.bestBatchnorm.bestValAcc)} at ${sc(f.bestBatchnorm.weightScale)} and its worst ${pct(minBn)}.`,
    );
  }
  const ln = pointsOf(sweep, "layernorm");
  const bestLn = bestOf(ln);
  if (bestLn !== null) {
    const lnGood = longestRun(ln, (p) => p.bestValAcc >= f.goodThreshold);
    observations.push(
      `Layer norm (--extended) peaked at ${pct(bestLn.bestValAcc)} at ${sc(bestLn.weightScale)}; its good range is ${describeScales(lnGood, total)}, ${decades(lnGood).toFixed(1)} decades wide.`,
    );
  }

  // Reasons, chosen by what was observed.
  const layers = hasInput(sweep)
    ? `${depth} layers (the first with fan-in ${sweep.input.dim} on inputs of RMS ${sweep.input.rms.toFixed(1)}, then fan-in ${fanIn})`
    : `${depth - 1} layers after the first (fan-in ${fanIn})`;
  if (f.baselineStuckScales.length > 0) {
    const w = f.baselineStuckScales[f.baselineStuckScales.length - 1]!;
    reasons.push(
      `Vanishing signal: without normalization each affine-ReLU layer multiplies the typical activation by about w·sqrt(fan-in/2), ` +
        `and the ${layers} multiply these factors. At w = ${sc(w)} the product is ${signalGain(w, sweep).toExponential(0)}: ` +
        `the scores are nearly zero, the softmax is uniform, the loss sits at ln 10, and the gradient reaching the early layers is scaled down by the same kind of product, so training has almost no signal to follow.`,
    );
  }
  if (f.baselineExplodedScales.length > 0) {
    const w = f.baselineExplodedScales[0]!;
    const wMax = f.baselineExplodedScales[f.baselineExplodedScales.length - 1]!;
    reasons.push(
      `Exploding signal: the same product is ${signalGain(w, sweep).toExponential(0)} at w = ${sc(w)}` +
        `${wMax === w ? "" : ` and ${signalGain(wMax, sweep).toExponential(0)} at ${sc(wMax)}`}, ` +
        `so the scores are huge, the softmax saturates, the loss of a wrong prediction grows with the scores (hence the measured losses of that order) and the large gradients keep throwing the weights off.`,
    );
  }
  if (f.signal != null) reasons.push(signalParagraph(f.signal));
  if (f.bestBaseline !== null) {
    const careful = `which is what careful initialization (e.g. He's w = sqrt(2/fan-in) per layer, on normalized inputs) is for.`;
    reasons.push(
      f.baselineGoodScales.length > 0
        ? `The product is 1 at w = ${sc(f.unitGainScale)}; the baseline learns only near that scale (its best here was at ${sc(f.bestBaseline.weightScale)}), ${careful}`
        : `The product is 1 at w = ${sc(f.unitGainScale)}; only near that scale can the baseline learn, ${careful.slice(0, -1)}; ` +
            `in this grid it reached the good range at no scale (its best: ${pct(f.bestBaseline.bestValAcc)} at ${sc(f.bestBaseline.weightScale)}).`,
    );
  }
  const mechanism =
    `Batch norm re-normalizes every layer's pre-activations over the minibatch, and BN(c·x) = BN(x) for any c > 0, so the scale of W cancels in the forward pass: ` +
    `every layer sees zero-mean, unit-variance inputs whatever the initialization, and the backward pass through the normalization rescales the gradients by the same 1/c.`;
  const bnWider = f.bnGoodRangeDecades > f.baselineGoodRangeDecades + 0.25;
  if (bnWider) {
    reasons.push(`${mechanism} That is why its good range spans ${f.bnGoodRangeDecades.toFixed(1)} decades of weight scale, against ${f.baselineGoodRangeDecades.toFixed(1)} for the baseline.`);
  } else {
    const s = sweep.settings;
    reasons.push(
      `${mechanism} In this run that advantage did not show as a wider good range (batch norm ${f.bnGoodRangeDecades.toFixed(1)} decades, baseline ${f.baselineGoodRangeDecades.toFixed(1)}): ` +
        `with ${s.numEpochs} epoch${s.numEpochs === 1 ? "" : "s"} on ${s.numTrain} examples the accuracies (best ${pct(f.bestBatchnorm?.bestValAcc ?? NaN)} with batch norm) are too close to chance for the ranges to separate.`,
    );
  }
  // NOTE: a hidden pre-activation has variance ≈ w²·fanIn/2 (unit-variance inputs
  // after the previous batch norm, halved by the ReLU); below this scale it is under eps.
  const epsScale = Math.sqrt(1e-5 / (fanIn / 2));
  const small = bn.filter((p) => p.weightScale < epsScale);
  const bestTrainBn = bn.reduce<SweepPoint | null>((a, p) => (a === null || p.bestTrainAcc > a.bestTrainAcc ? p : a), null);
  if (small.length > 0 && bestTrainBn !== null) {
    const smallMax = Math.max(...small.map((p) => p.bestTrainAcc));
    if (smallMax < 0.8 * bestTrainBn.bestTrainAcc) {
      reasons.push(
        `Batch norm is not fully scale-free at the small end: its best training accuracy below w = ${sc(epsScale)} was at most ${pct(smallMax)}, ` +
          `against ${pct(bestTrainBn.bestTrainAcc)} at ${sc(bestTrainBn.weightScale)}. A hidden pre-activation has variance about w²·fan-in/2, ` +
          `which falls below eps = 1e-5 there, so x/sqrt(var + eps) no longer restores unit variance and the signal shrinks again.`,
      );
    }
  }
  const bnSpeed = f.speed?.runs.find((r) => r.normalization === "batchnorm");
  const baseSpeed = f.speed?.runs.find((r) => r.normalization === "none");
  const bnFaster =
    bnSpeed?.iteration != null && baseSpeed !== undefined && (baseSpeed.iteration === null || baseSpeed.iteration > bnSpeed.iteration);
  if (deep !== null && f.speed !== null && bnFaster) {
    reasons.push(
      `In the deep network of cell 6 the same effect shows as speed: with every layer's input kept at unit scale, Adam's steps change every layer at a similar relative rate, ` +
        `so the batch-norm net moves away from chance sooner, as the ${pct(f.speed.target)} milestone above shows.`,
    );
  }
  return { observations, reasons, facts: f };
}
