/**
 * bnlab for Node (`bnlab/node`): everything in `bnlab` (src/index.ts) plus what needs
 * Node's APIs: reading CIFAR-10 from disk and downloading it, the parallel sweep on
 * worker threads, the Solver's background accuracy checks on a second core, the
 * notebook's whole reproduction, writing the report and rendering figures to SVG/PNG.
 *
 * Deno runs this module too (through its Node compatibility), with the permissions
 * the called functions need (read, write, env, net for the download).
 */
export * from "./index.js";

export { loadCifar10, loadCifar10At, findCifar10 } from "./data/cifar10.js";
export type { Cifar10Location, Cifar10Raw, FileCount } from "./data/cifar10.js";
export { getCifar10Data } from "./data/preprocess.js";
export type { GetCifar10DataOptions } from "./data/preprocess.js";
export { cacheDir, resolveDataDir, noDataMessage, NoDataError } from "./data/locate.js";
export type { ResolvedData, ResolveOptions } from "./data/locate.js";
export { downloadCifar10, DownloadError, CIFAR10_URL, CIFAR10_MD5, CIFAR10_BYTES } from "./data/download.js";
export type { DownloadOptions, DownloadProgress, DownloadResult } from "./data/download.js";

export { sweepExperimentParallel, runSweepJobs, defaultJobs } from "./experiments/parallel.js";
export type { SweepRunControl, SweepJobsRun } from "./experiments/parallel.js";

// Checkpoint files (docs/checkpoints.md) and a sweep's per-job result files and shards (docs/cluster.md).
export {
  CHECKPOINT_FORMAT, CHECKPOINT_VERSION, CHECKPOINT_FILES, encodeCheckpoint, decodeCheckpoint, writeCheckpointFile, readCheckpointFile,
  checkpointWriter, latestCheckpoint, writeFileDurable,
} from "./node/checkpoint.js";
export { makePlan, readPlan, usePlan, writeJob, readJobs, assembleSweep, shardCountOf, inShard, parseShard, jobsDir } from "./node/sweep-store.js";
export type { SweepPlan, Shard } from "./node/sweep-store.js";
// A study's finished jobs, one file each, for `bnlab study --resume` (docs/studies.md).
export { studyJobStore, makeStudyPlan, readStudyPlan, readStudyJobs, writeStudyJob, dataSha256, encodeExact, decodeExact, STUDY_PLAN_FORMAT, STUDY_JOB_FORMAT } from "./node/study-store.js";
export type { StudyPlanFile, StudyJobStoreOptions } from "./node/study-store.js";
export { runReproduce, reproduceConfig } from "./experiments/reproduce.js";
export type { ReproduceConfig, ReproduceOptions } from "./experiments/reproduce.js";

// Nothing is registered on import: `enableBackgroundChecks()` lets Solvers in this process
// (backgroundChecks "auto" or true) check accuracies on a second core; without it they check inline.
export { enableBackgroundChecks, startBackgroundCheckThread, prestartBackgroundChecks, backgroundCheckThreadReady } from "./train/background-checks.js";

export { specToSvg, svgToPng, renderFigure } from "./report/render.js";
export type { RenderedFigure } from "./report/render.js";
export { withFileLock } from "./node/file-lock.js";
export type { FileLockOptions } from "./node/file-lock.js";
export { writeReport, writeFigure, writeFileAtomic, figureFiles, writeReportDir, recoverReportDir, ReportWriteError } from "./report/write.js";
export type { WrittenReport, ReportFile, WriteReportDirOptions } from "./report/write.js";

export { runStudyParallel } from "./studies/pool.js";
export { writeStudyReport } from "./report/study-write.js";

// The exercise in Node: a learner's file loaded and checked in worker threads, with a time limit per check.
export { checkLearnerFile, loadLearnerFile, resolveLearnerFile, DEFAULT_CHECK_TIMEOUT_MS, LEARNER_FILES } from "./exercise/node.js";
export type { CheckFileOptions, CheckFileResult } from "./exercise/node.js";
