/**
 * bnlab — batch normalization you can implement, check, measure and see.
 *
 * The public API. Shapes are stated in each function's doc comment, with N the
 * batch size and D the feature dimension.
 */
export { Tensor, allocFloat, dtypeOf, shapeSize } from "./core/tensor.js";
export type { DType, FloatArray, Labels, NestedNumbers } from "./core/tensor.js";
export { BnlabError, OptionError, DataFormatError } from "./core/errors.js";
export { gemm, gemmReference, setKernelPath, getKernelPath, availableKernelPaths, KERNEL_PATHS } from "./kernels/index.js";
export type { KernelPath, Backend, GemmFn } from "./kernels/index.js";
export {
  NORMALIZATIONS, NORM_KINDS, NET_NORMALIZATIONS, NORMALIZATION_EXPECTED, UPDATE_RULES,
  isNormKind, isNormalization, isUpdateRuleName, netNormalization, normKindOf,
} from "./core/names.js";
export type { NormInfo } from "./core/names.js";
export { RandomState } from "./core/random.js";
export type { RandomStateSnapshot } from "./core/random.js";
export * from "./layers/index.js";
export {
  evalNumericalGradient,
  evalNumericalGradientArray,
  relError,
  normRelError,
  maxAbsError,
  gradcheckReport,
  numericalModelGradients,
} from "./gradcheck/index.js";
export type { GradcheckEntry, GradcheckTolerance } from "./gradcheck/index.js";
export { FullyConnectedNet } from "./models/fc-net.js";
export type { Activation, BnNoise, FullyConnectedNetOptions, FullyConnectedNetSpec, LayerTrace, ModelTrace, Normalization, TraceOptions } from "./models/fc-net.js";
export type { Model, ModelSnapshot, ModelSpec } from "./models/model.js";
export { modelFromSpec } from "./models/spec.js";
export { sgd, sgdMomentum, rmsprop, adam, getUpdateRule, validateOptimConfig, UPDATE_RULE_DEFAULTS, UPDATE_RULE_NAMES } from "./optim/index.js";
export { optimF32Reference } from "./optim/float32.js";
export type { UpdateRule, UpdateRuleName, OptimConfig, SgdConfig, SgdMomentumConfig, RmspropConfig, AdamConfig } from "./optim/index.js";
export {
  loadCifar10, findCifar10, getCifar10Data, syntheticCifar, downloadCifar10, resolveDataDir, noDataMessage, cacheDir,
  NoDataError, DownloadError, CIFAR10_URL, CIFAR10_MD5, parseBinaryBatch, parsePickledBatch, unpickle,
} from "./data/index.js";
export type {
  Cifar10Kind, Cifar10Location, Cifar10Raw, Cifar10Data, DataSource, GetCifar10DataOptions, SyntheticCifarOptions,
  DownloadOptions, DownloadProgress, DownloadResult, ResolvedData,
} from "./data/index.js";
export { Solver, skipSolverDraws, setBackgroundCheckerFactory } from "./train/solver.js";
export type {
  Dataset, SolverDrawPlan, SolverOptions, SolverProgress, BackgroundChecker, BackgroundCheckerFactory, CheckOutcome,
} from "./train/solver.js";
// Node only: nothing is registered on import; `enableBackgroundChecks()` does it.
export { enableBackgroundChecks, nodeBackgroundChecker, startBackgroundCheckThread, prestartBackgroundChecks, backgroundCheckThreadReady, MAX_SHARED_BYTES } from "./train/background-checks.js";
export { AccuracyCounter } from "./train/accuracy.js";
export {
  DEFAULT_SEED, columnStats, forwardTrainCheck, forwardTestCheck, backwardCheck, backwardCompare, netGradcheck,
} from "./experiments/checks.js";
export { trainNet, deepNetExperiment, batchSizeExperiment, subsetData, DEEP_NET_DEFAULTS, BATCH_SIZE_DEFAULTS } from "./experiments/training.js";
export type { ExperimentProgress, ProgressFn, TrainNetOptions, DeepNetOptions, BatchSizeOptions } from "./experiments/training.js";
export { logspace, sweepJobs, sweepShape, runSweepJob, sweepExperiment, SWEEP_DEFAULTS, SEED_SCHEME, NOTEBOOK_NORMALIZATIONS } from "./experiments/sweep.js";
export type { SweepOptions, SweepJob, SweepShape } from "./experiments/sweep.js";
export { sweepExperimentParallel, defaultJobs } from "./experiments/parallel.js";
export { writeAnswer, answerFacts, CHANCE_LOSS } from "./experiments/answer.js";
export { runReproduce, reproduceConfig } from "./experiments/reproduce.js";
export type { ReproduceConfig, ReproduceOptions } from "./experiments/reproduce.js";
export { gradcheckSuite } from "./experiments/gradcheck-suite.js";
export type { GradcheckLine, GradcheckSuiteResult } from "./experiments/gradcheck-suite.js";
export type * from "./experiments/types.js";
export { deepNetSpec, sweepSpec, batchSizeSpec, NORM_LABELS, FIGURE_FONT } from "./report/specs.js";
export { specToSvg, svgToPng, renderFigure } from "./report/render.js";
export { renderReportHtml } from "./report/html.js";
export { resultsSchema, toResultsJson, fromResultsJson, resultsJsonText, encodeNonFinite, RESULTS_SCHEMA_ID } from "./report/schema.js";
export type { ResultsJson } from "./report/schema.js";
export { writeReport, writeFigure, writeFileAtomic } from "./report/write.js";
// Studies of why batch norm works (docs/studies.md); pool.ts and study-write.ts are Node only.
export { runStudy, studyOptions, dataShape } from "./studies/study.js";
export type { Study, AnyStudy, StudyJob, StudyRecord, StudyFigure, Finding, Citation, DataShape, RunStudyOptions } from "./studies/study.js";
export { STUDIES, STUDY_NAMES, getStudy } from "./studies/registry.js";
export { toStudyJson, studyJsonText, fromStudyJson, checkStudyResult } from "./studies/json.js";
export { studyRecordSchema, STUDY_SCHEMA_ID, jsonNum, jsonNums, jsonInt } from "./studies/record-schema.js";
export { runStudyParallel } from "./studies/pool.js";
export { covariateShiftStudy, icsProbe, landscapeProbe, trainArm, COVARIATE_SHIFT_FULL, COVARIATE_SHIFT_QUICK } from "./studies/covariate-shift/index.js";
export type { CovariateShiftOptions, CovariateShiftResult, ArmName, ArmResult, ProbeRecord, IcsLayer, LandscapeProbe } from "./studies/covariate-shift/index.js";
export { writeStudyReport } from "./report/study-write.js";
export { renderStudyHtml, studySectionHtml, citationText } from "./report/study-html.js";
