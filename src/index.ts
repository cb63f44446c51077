/**
 * bnlab — batch normalization you can implement, check, measure and see.
 *
 * The public API, browser-safe: nothing reachable from this module imports a Node
 * API (`node:*`), so a bundler can put it in a page or a Web Worker, and Deno runs it
 * as `npm:bnlab`. What needs Node (reading and downloading CIFAR-10, worker threads,
 * the parallel sweep, background checks, writing the report, PNG rendering) is in
 * `bnlab/node` (src/node.ts), which re-exports everything here.
 * test/entries.test.ts checks both properties.
 *
 * Shapes are stated in each function's doc comment, with N the batch size and D the
 * feature dimension.
 */
export { Tensor, allocFloat, dtypeOf, shapeSize } from "./core/tensor.js";
export type { DType, FloatArray, Labels, NestedNumbers } from "./core/tensor.js";
export { BnlabError, OptionError, DataFormatError } from "./core/errors.js";
export { gemm, gemmReference, setKernelPath, getKernelPath, availableKernelPaths, backendFor, KERNEL_PATHS } from "./kernels/index.js";
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
export { preciseBatchnormStats } from "./models/precise-stats.js";
export type { PreciseStatsOptions } from "./models/precise-stats.js";
export { PopulationStats } from "./models/population-stats.js";
export type { NetNormOptions, NetNormSettings } from "./models/net-norm.js";
export type { Activation, BnNoise, FullyConnectedNetOptions, FullyConnectedNetSpec, LayerTrace, NetLayerImpls, ModelTrace, Normalization, TraceOptions } from "./models/fc-net.js";
export type { Model, ModelSnapshot, ModelSpec } from "./models/model.js";
export { modelFromSpec } from "./models/spec.js";
export { sgd, sgdMomentum, rmsprop, adam, getUpdateRule, validateOptimConfig, UPDATE_RULE_DEFAULTS, UPDATE_RULE_NAMES } from "./optim/index.js";
export { optimF32Reference } from "./optim/float32.js";
export type { UpdateRule, UpdateRuleName, OptimConfig, SgdConfig, SgdMomentumConfig, RmspropConfig, AdamConfig } from "./optim/index.js";
export { syntheticCifar, SYNTHETIC_LABEL_NAMES } from "./data/synthetic.js";
export type { SyntheticCifarOptions } from "./data/synthetic.js";
export { parseBinaryBatch, parseBinaryMeta, parsePickledBatch, parsePickledMeta, concatBatches, IMAGE_BYTES, BIN_RECORD_BYTES, NUM_CLASSES } from "./data/formats.js";
export type { Batch } from "./data/formats.js";
export { unpickle } from "./data/pickle.js";
// NOTE: types only: the modules that define them read files (bnlab/node), but a page builds the same shapes.
export type { Cifar10Data, DataSource } from "./data/preprocess.js";
export type { Cifar10Kind } from "./data/cifar10.js";
export { Solver, skipSolverDraws } from "./train/solver.js";
export type { Dataset, SolverDrawPlan, SolverOptions, SolverProgress, BackgroundChecker, CheckOutcome, SolverState, SolverStateSettings, OptimState } from "./train/solver.js";
export { AccuracyCounter, InputPins } from "./train/accuracy.js";
export {
  DEFAULT_SEED, columnStats, forwardTrainCheck, forwardTestCheck, backwardCheck, backwardCompare, netGradcheck,
} from "./experiments/checks.js";
export { trainNet, deepNetExperiment, batchSizeExperiment, subsetData, DEEP_NET_DEFAULTS, BATCH_SIZE_DEFAULTS } from "./experiments/training.js";
export type { ExperimentProgress, ProgressFn, TrainNetOptions, CheckpointOptions, DeepNetOptions, BatchSizeOptions } from "./experiments/training.js";
export {
  logspace, sweepJobs, sweepShape, runSweepJob, sweepResult, sweepIterations, sweepExperiment, SWEEP_DEFAULTS, SEED_SCHEME, NOTEBOOK_NORMALIZATIONS,
} from "./experiments/sweep.js";
export type { SweepOptions, SweepJob, SweepShape } from "./experiments/sweep.js";
export { writeAnswer, answerFacts, CHANCE_LOSS } from "./experiments/answer.js";
export { signalProbe, probeBatch, deadFractionOf, normOf, stdOf, depthChange, UpdateRatioTracker, SIGNAL_PROBE_ROWS } from "./experiments/signal.js";
export type { LayerSignal, SignalProbes, DepthChange } from "./experiments/signal.js";
export { gradcheckSuite } from "./experiments/gradcheck-suite.js";
export type { GradcheckLine, GradcheckSuiteResult } from "./experiments/gradcheck-suite.js";
export type * from "./experiments/types.js";
export { deepNetSpec, sweepSpec, batchSizeSpec, NORM_LABELS, FIGURE_FONT } from "./report/specs.js";
export { renderReportHtml } from "./report/html.js";
export { resultsSchema, toResultsJson, fromResultsJson, parseResultsJson, resultsJsonText, encodeNonFinite, RESULTS_SCHEMA_ID } from "./report/schema.js";
export type { ResultsJson } from "./report/schema.js";
// Studies of why batch norm works (docs/studies.md); the parallel pool and the study report writer are in bnlab/node.
export { runStudy, studyOptions, dataShape, studyRunPlan } from "./studies/study.js";
export type { Study, AnyStudy, StudyJob, StudyRecord, StudyFigure, StudyTable, Finding, Citation, DataShape, RunStudyOptions, StudyRunControl, StudyRunPlan, DoneStudyJob } from "./studies/study.js";
export { STUDIES, STUDY_NAMES, getStudy } from "./studies/registry.js";
export { toStudyJson, studyJsonText, fromStudyJson, parseStudyJson, checkStudyResult } from "./studies/json.js";
export { studyRecordSchema, STUDY_SCHEMA_ID, jsonNum, jsonNums, jsonInt } from "./studies/record-schema.js";
export { covariateShiftStudy, icsProbe, landscapeProbe, trainArm, COVARIATE_SHIFT_FULL, COVARIATE_SHIFT_QUICK } from "./studies/covariate-shift/index.js";
export type { CovariateShiftOptions, CovariateShiftResult, ArmName, ArmResult, ProbeRecord, IcsLayer, LandscapeProbe } from "./studies/covariate-shift/index.js";
export { signalStudy, SIGNAL_FULL, SIGNAL_QUICK } from "./studies/signal/index.js";
export type { SignalOptions, SignalResult, SignalRun } from "./studies/signal/index.js";
export { activationsStudy, ACTIVATIONS_FULL, ACTIVATIONS_QUICK, trainActivationArm, unitPercentiles } from "./studies/activations/index.js";
export type { ActivationsOptions, ActivationsResult, ActivationArmResult, ActivationProbe } from "./studies/activations/index.js";
export { renderStudyHtml, studySectionHtml, citationText } from "./report/study-html.js";
// The exercise: a learner's own layers, checked as the notebook checks them (src/exercise).
export { EXERCISE_CHECKS, selectChecks, runCheck, runChecksInline, allPassed, learnerStack, timeoutResult } from "./exercise/engine.js";
export { loadLearnerModule, compileLearnerSource, stripTypes, LearnerModuleError } from "./exercise/module.js";
export { starterFiles, starterModule } from "./exercise/starter.js";
export { formatResult, formatSummary } from "./exercise/format.js";
export { EXERCISE_FUNCTIONS, CAUSES, isNotImplemented } from "./exercise/types.js";
export type { CheckResult, CheckStatus, Diagnosis, CauseId, ExerciseFunction, LearnerLayers } from "./exercise/types.js";
export { fmtErr } from "./exercise/context.js";
export { BNLAB_BATCHNORM, backwardGradients, forwardTestRun, forwardTrainInput } from "./experiments/checks.js";
export type { BatchnormImpl } from "./experiments/checks.js";
