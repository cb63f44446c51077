/**
 * Study "signal": the evidence for the notebook's answer. Every net of cell 7
 * (each weight scale, batch norm and baseline) and of cell 6, replayed exactly as
 * the notebook trains it (the same stream states as `sweepJobs`; cell 6's by the
 * same kind of dry run), with per-layer probes (./../../experiments/signal.ts) on
 * the first training rows before the first step and after the last, and the
 * per-layer update-to-weight ratio ‖ΔW‖/‖W‖ of every step. The probes change
 * nothing, so each run's training is the notebook's, bit for bit.
 *
 * Follows the vanishing / exploding signal analysis of Glorot and Bengio (2010)
 * and He et al. (2015), for the nets of Ioffe and Szegedy's batch normalization.
 */
import { RandomState } from "../../core/random.js";
import { logspace, SWEEP_DEFAULTS, runSweepJob, sweepJobs, type SweepJob } from "../../experiments/sweep.js";
import { UpdateRatioTracker } from "../../experiments/signal.js";
import { DEEP_NET_DEFAULTS, skipNetDraws, subsetData } from "../../experiments/training.js";
import { skipSolverDraws, type Dataset } from "../../train/solver.js";
import type { DataShape, Study, StudyJob } from "../study.js";
import { signalFigures } from "./figures.js";
import { signalFindings } from "./findings.js";
import { signalOptionsSchema, signalResultSchema, type SignalCellOptions, type SignalOptions, type SignalResult, type SignalRun } from "./types.js";

export * from "./types.js";
export { signalFigures } from "./figures.js";
export { signalFindings, summarizeSignal, type SignalSummary } from "./findings.js";

/** One trained net: which cell, and the sweep-style job (stream states) it replays. */
export interface SignalJob extends StudyJob {
  cell: "sweep" | "deepNet";
  run: SweepJob;
}

/** The full study: cell 7's 20 scales × 2 nets and cell 6's two nets, at the notebook's settings. */
export const SIGNAL_FULL: SignalOptions = {
  sweep: { ...SWEEP_DEFAULTS, hiddenDims: [...SWEEP_DEFAULTS.hiddenDims], weightScales: [...SWEEP_DEFAULTS.weightScales], normalizations: ["batchnorm", "none"] },
  deepNet: { ...DEEP_NET_DEFAULTS, hiddenDims: [...DEEP_NET_DEFAULTS.hiddenDims], normalizations: ["batchnorm", "none"] },
  ratioEvery: 5,
};

/** A quick look (and the tests): 4 scales, 200 rows, 2 epochs (as `reproduce --quick`). */
export const SIGNAL_QUICK: SignalOptions = {
  sweep: { ...SIGNAL_FULL.sweep, numTrain: 200, numVal: 200, numEpochs: 2, weightScales: logspace(-4, 0, 4) },
  deepNet: { ...SIGNAL_FULL.deepNet!, numTrain: 200, numVal: 200, numEpochs: 2 },
  ratioEvery: 1,
};

/**
 * Cell 6's stream states: the notebook builds both models from one stream (in
 * the order of `normalizations`), then trains them in the same order.
 */
function deepNetJobs(o: SignalCellOptions & { weightScale: number }, seed: number, numTrain: number, inputDim: number, first: number): SweepJob[] {
  const rng = new RandomState(seed);
  const shape = { numTrain, inputDim };
  const modelStates = o.normalizations.map(() => {
    const state = rng.getState();
    skipNetDraws(o, inputDim, rng);
    return state;
  });
  return o.normalizations.map((normalization, k) => {
    const solverState = rng.getState();
    skipSolverDraws(rng, { numTrain, batchSize: o.batchSize, numEpochs: o.numEpochs });
    return { index: first + k, weightScale: o.weightScale, normalization, runSeed: seed, shape: { ...shape }, modelState: modelStates[k]!, solverState };
  });
}

const cellRows = (o: SignalCellOptions, shape: DataShape): number => Math.min(o.numTrain, shape.numTrain);
const iterations = (o: SignalCellOptions, numTrain: number): number => o.numEpochs * Math.max(Math.floor(numTrain / o.batchSize), 1);
const label = (cell: "sweep" | "deepNet", j: SweepJob): string => `${cell === "sweep" ? "cell 7" : "cell 6"} ${j.normalization === "none" ? "baseline" : "batch norm"} ${j.weightScale.toExponential(1)}`;

/** The signal study: per-layer signal, dead ReLUs, gradient norms and update-to-weight ratios of cells 6 and 7's nets. */
export const signalStudy: Study<SignalOptions, SignalJob, SignalRun, SignalResult> = {
  name: "signal",
  title: "Signal and gradient through depth, per layer",
  summary: "per-layer signal std, dead ReLUs, gradient norms and update-to-weight ratios of cell 7's nets at every weight scale and cell 6's, batch norm vs baseline",
  citation: {
    authors: ["Sergey Ioffe", "Christian Szegedy"],
    title: "Batch Normalization: Accelerating Deep Network Training by Reducing Internal Covariate Shift",
    venue: "Proceedings of the 32nd International Conference on Machine Learning (ICML)",
    year: 2015,
    url: "https://arxiv.org/abs/1502.03167",
  },
  presets: { quick: SIGNAL_QUICK, full: SIGNAL_FULL },
  optionsSchema: signalOptionsSchema,
  resultSchema: signalResultSchema,
  dataRows(o) {
    const d = o.deepNet;
    return { numTrain: Math.max(o.sweep.numTrain, d?.numTrain ?? 0), numVal: Math.max(o.sweep.numVal, d?.numVal ?? 0) };
  },
  plan(o, seed, shape) {
    const sweep = sweepJobs(o.sweep, seed, { numTrain: cellRows(o.sweep, shape), inputDim: shape.inputDim });
    const deep = o.deepNet === null ? [] : deepNetJobs(o.deepNet, seed, cellRows(o.deepNet, shape), shape.inputDim, sweep.length);
    const jobs = [...sweep.map((run) => ({ cell: "sweep" as const, run })), ...deep.map((run) => ({ cell: "deepNet" as const, run }))];
    return jobs.map(({ cell, run }, index) => {
      const cellO = cell === "sweep" ? o.sweep : o.deepNet!;
      return { index, label: label(cell, run), units: iterations(cellO, cellRows(cellO, shape)), cell, run };
    });
  },
  runJob(data: Dataset, o, job, onProgress) {
    const cellO = job.cell === "sweep" ? o.sweep : o.deepNet!;
    const cellData = subsetData(data, cellO.numTrain, cellO.numVal);
    let tracker: UpdateRatioTracker | null = null;
    const p = runSweepJob(cellData, cellO, job.run, onProgress ? (done) => onProgress(done) : undefined, undefined, {
      start: (model) => {
        tracker = new UpdateRatioTracker(model, o.ratioEvery);
      },
      afterStep: () => tracker!.record(),
    });
    const t = tracker as UpdateRatioTracker | null;
    return {
      cell: job.cell,
      weightScale: p.weightScale,
      normalization: p.normalization === "none" ? "none" : "batchnorm",
      bestValAcc: p.bestValAcc,
      bestTrainAcc: p.bestTrainAcc,
      finalLoss: p.finalLoss,
      diverged: p.diverged,
      signal: p.signal!,
      updateRatio: { steps: [...(t?.steps ?? [])], layers: (t?.ratios ?? []).map((r) => [...r]) },
    };
  },
  assemble(o, seed, shape: DataShape, parts) {
    const rows = (c: SignalCellOptions): { numTrain: number; numVal: number } => ({ numTrain: cellRows(c, shape), numVal: Math.min(c.numVal, shape.numVal) });
    return {
      seed,
      settings: { ...o, sweep: { ...o.sweep, ...rows(o.sweep) }, deepNet: o.deepNet === null ? null : { ...o.deepNet, ...rows(o.deepNet) } },
      runs: parts,
    };
  },
  figures: signalFigures,
  findings: signalFindings,
};
