/**
 * The whole notebook, cell by cell: what `bnlab reproduce` computes. Returns the
 * results without figure paths; src/report/write.ts draws and writes them.
 */
import { getKernelPath } from "../kernels/index.js";
import type { Dataset } from "../train/solver.js";
import { writeAnswer } from "./answer.js";
import type { NetLayerImpls } from "../models/fc-net.js";
import { backwardCheck, backwardCompare, BNLAB_BATCHNORM, DEFAULT_SEED, forwardTestCheck, forwardTrainCheck, netGradcheck, type BatchnormImpl } from "./checks.js";
import { sweepExperiment } from "./sweep.js";
import { runSweepJobs, type SweepRunControl } from "./parallel.js";
import { logspace, SEED_SCHEME, SWEEP_DEFAULTS, sweepResult, type SweepOptions } from "./sweep.js";
import { BATCH_SIZE_DEFAULTS, batchSizeExperiment, DEEP_NET_DEFAULTS, deepNetExperiment, type BatchSizeOptions, type DeepNetOptions, type ProgressFn } from "./training.js";
import type { DatasetInfo, NormKind, ReproduceResults, SweepPoint } from "./types.js";
import { runStudyParallel } from "../studies/pool.js";
import { STUDIES } from "../studies/registry.js";
import { studyRunPlan, type AnyStudy, type RunStudyOptions, type StudyRecord, type StudyRunControl } from "../studies/study.js";

/** The training experiments' settings for a run. */
export interface ReproduceConfig {
  deepNet: DeepNetOptions;
  sweep: SweepOptions;
  batchSize: BatchSizeOptions | null;
  timing: { warmupReps: number; reps: number };
  /** With `extended`: options by study name (validated by the study; default: its quick or full preset). */
  studies?: Record<string, unknown>;
}

/**
 * The notebook's settings, or with `quick` a shrunk version for a fast look and
 * for tests (fewer rows, epochs and scales; the same architectures).
 * `extended` adds layer norm to cells 6 and 7 and the batch-size experiment.
 */
export function reproduceConfig(quick: boolean, extended: boolean): ReproduceConfig {
  const norms = (base: NormKind[]): NormKind[] => (extended ? [...base, "layernorm"] : base);
  if (!quick) {
    return {
      deepNet: { ...DEEP_NET_DEFAULTS, normalizations: norms(DEEP_NET_DEFAULTS.normalizations) },
      sweep: { ...SWEEP_DEFAULTS, normalizations: norms(SWEEP_DEFAULTS.normalizations) },
      batchSize: extended ? BATCH_SIZE_DEFAULTS : null,
      timing: { warmupReps: 20, reps: 101 },
    };
  }
  const small = { numTrain: 200, numVal: 200, numEpochs: 2 };
  return {
    deepNet: { ...DEEP_NET_DEFAULTS, ...small, normalizations: norms(DEEP_NET_DEFAULTS.normalizations) },
    sweep: { ...SWEEP_DEFAULTS, ...small, weightScales: logspace(-4, 0, 4), normalizations: norms(SWEEP_DEFAULTS.normalizations) },
    batchSize: extended ? { ...BATCH_SIZE_DEFAULTS, numTrain: 100, numVal: 100, numEpochs: 1 } : null,
    timing: { warmupReps: 5, reps: 21 },
  };
}

/** Inputs of `runReproduce`. */
export interface ReproduceOptions {
  /** Preprocessed training and validation data (cells 6 and 7 take their first rows). */
  data: Dataset;
  dataset: DatasetInfo;
  seed?: number;
  quick?: boolean;
  extended?: boolean;
  /** Worker threads for cell 7. */
  jobs?: number;
  /** bnlab's version, for results.json. */
  version: string;
  /** Overrides the settings `reproduceConfig(quick, extended)` gives. */
  config?: ReproduceConfig;
  onProgress?: ProgressFn;
  /** Cell 7's jobs: points already done (skipped) and where each finished one goes (`reproduce --resume`). */
  sweepControl?: SweepRunControl;
  /**
   * With `extended`: each study's jobs done already and where its finished jobs go
   * (`reproduce --extended --resume`); asked once per study, and each control's `check`
   * runs before the first cell, so a folder of another run is refused before any work.
   */
  studyControl?: (study: AnyStudy) => StudyRunControl;
  /** Called when a cell starts and when it ends (with its seconds). */
  onCell?: (event: { cell: string; phase: "start" | "end"; seconds?: number }) => void;
  /**
   * Someone else's layers (a learner's, `bnlab exercise run`): cells 1–5 check `batchnorm`,
   * the nets of cells 6 and 7 run `net`. The sweep then runs on this thread (functions
   * cannot be sent to the sweep's workers).
   */
  layers?: { batchnorm: BatchnormImpl; net: Partial<NetLayerImpls> };
  /** The report's title (default: "Batch normalization, reproduced by bnlab on …"). */
  title?: string;
}

/** Runs cells 1–8 (and the batch-size experiment with `extended`). */
export async function runReproduce(o: ReproduceOptions): Promise<ReproduceResults> {
  const seed = o.seed ?? DEFAULT_SEED;
  const quick = o.quick ?? false;
  const extended = o.extended ?? false;
  const jobs = o.jobs ?? 1;
  const config = o.config ?? reproduceConfig(quick, extended);
  const timings: Record<string, number> = {};
  const tAll = performance.now();
  async function timed<T>(cell: string, f: () => T | Promise<T>): Promise<T> {
    o.onCell?.({ cell, phase: "start" });
    const t0 = performance.now();
    const r = await f();
    timings[cell] = (performance.now() - t0) / 1000;
    o.onCell?.({ cell, phase: "end", seconds: timings[cell] });
    return r;
  }
  // NOTE: --extended runs every registered study (its quick preset with --quick), each a section of the report.
  const studyRuns: { study: AnyStudy; run: RunStudyOptions & { jobs: number } }[] = !extended
    ? []
    : STUDIES.map((study) => {
        const given = config.studies?.[study.name];
        const control = o.studyControl?.(study);
        const run = {
          data: o.data,
          dataset: o.dataset,
          seed,
          quick,
          jobs,
          version: o.version,
          kernelPath: getKernelPath(),
          ...(given !== undefined ? { options: given } : {}),
          ...(o.onProgress ? { onProgress: o.onProgress } : {}),
          ...(control !== undefined ? { control } : {}),
        };
        control?.check?.(studyRunPlan(study, run));
        return { study, run };
      });
  const bn = o.layers?.batchnorm ?? BNLAB_BATCHNORM;
  const netLayers = o.layers?.net;
  const forwardTrain = await timed("forwardTrain", () => forwardTrainCheck(seed, bn.batchnormForward));
  const forwardTest = await timed("forwardTest", () => forwardTestCheck(seed, 50, bn.batchnormForward));
  const backward = await timed("backwardCheck", () => backwardCheck(seed, 4, 5, bn));
  const compare = await timed("backwardCompare", () => backwardCompare(seed, config.timing, bn));
  const net = await timed("netGradcheck", () => netGradcheck(seed, [0, 3.14], netLayers));
  const deepNet = await timed("deepNet", () => deepNetExperiment(o.data, config.deepNet, seed, o.onProgress, netLayers));
  // NOTE: a learner's layers (functions) cannot go to the workers nor be resumed: those run here, whole.
  const sweep = await timed("sweep", async () => {
    if (netLayers !== undefined) return sweepExperiment(o.data, config.sweep, seed, o.onProgress, netLayers);
    const r = await runSweepJobs(o.data, config.sweep, seed, jobs, o.onProgress, o.sweepControl);
    return sweepResult(r.data, config.sweep, seed, r.points as SweepPoint[]);
  });
  const bs = config.batchSize;
  const batchSize = bs === null ? null : await timed("batchSize", () => batchSizeExperiment(o.data, bs, seed, o.onProgress));
  const answer = await timed("answer", () => writeAnswer(deepNet, sweep));
  const studies: StudyRecord[] = [];
  for (const { study, run } of studyRuns) studies.push(await timed(`study:${study.name}`, () => runStudyParallel(study, run)));
  timings.total = (performance.now() - tAll) / 1000;
  const dataWord = o.dataset.source === "synthetic" ? "SYNTHETIC data (not CIFAR-10)" : "CIFAR-10";
  return {
    schema: "bnlab-results/1",
    title: o.title ?? `Batch normalization, reproduced by bnlab on ${dataWord}${quick ? " (quick run)" : ""}`,
    createdAt: new Date().toISOString(),
    settings: { seed, quick, extended, jobs, seedScheme: SEED_SCHEME },
    dataset: o.dataset,
    versions: { bnlab: o.version, node: process.versions.node, platform: `${process.platform}-${process.arch}`, kernelPath: getKernelPath() },
    timings,
    cells: {
      forwardTrain,
      forwardTest,
      backwardCheck: backward,
      backwardCompare: compare,
      netGradcheck: net,
      deepNet,
      sweep,
      batchSize,
      answer,
    },
    figures: {},
    ...(extended ? { studies } : {}),
  };
}
