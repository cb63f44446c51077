/**
 * What a trainable model offers the Solver: named parameters, a train-mode loss
 * with gradients, test-mode scores, and snapshots of everything that defines it.
 */
import type { RandomState } from "../core/random.js";
import type { DType, FloatArray, Labels, Tensor } from "../core/tensor.js";

/**
 * A deep copy of a model's state: every parameter and every non-learned buffer
 * (batch-norm running statistics). Opaque to callers; give it back to `restore`.
 */
export interface ModelSnapshot {
  /** Parameter name -> copy of its data (W1, b1, gamma1, beta1, …). */
  readonly params: ReadonlyMap<string, FloatArray>;
  /** Buffer name -> copy of its data (runningMean1, runningVar1, …). */
  readonly buffers: ReadonlyMap<string, FloatArray>;
}

/**
 * A description of a model as plain data (structured-clone- and JSON-able): what it is
 * (`kind`) and the options that rebuild one that computes the same (`modelFromSpec` in
 * src/models/spec.ts). Not its weights or statistics: `restore` a snapshot for those.
 */
export interface ModelSpec {
  readonly kind: string;
  readonly options: Readonly<Record<string, unknown>>;
}

/** Options of `Model.loss`. */
export interface LossOptions {
  /**
   * Write the gradients into buffers the model owns instead of new arrays: the
   * returned map and its tensors are then the same objects on every such call, and
   * each call overwrites them (a training step that reads the gradients before the
   * next `loss` call allocates nothing for them). Default false: fresh arrays the
   * caller may keep. Models without such buffers may ignore it.
   */
  readonly reuseGradients?: boolean;
}

/** The contract between a model and the Solver. */
export interface Model {
  readonly dtype: DType;
  /**
   * W1, b1, gamma1, beta1, …, in a stable order. The map and its tensors live as
   * long as the model: update rules change `params.get(name).data` in place.
   */
  readonly params: ReadonlyMap<string, Tensor>;
  /** Train mode: data loss plus regularization, and the gradient of every parameter (same names). */
  loss(X: Tensor, y: Labels, options?: LossOptions): { loss: number; grads: Map<string, Tensor> };
  /** Test mode: class scores (N, C). */
  scores(X: Tensor): Tensor;
  /**
   * True when each row's scores are bit-identical however the rows are split into
   * `scores` calls (no batch statistics in test mode, per-element arithmetic that does
   * not depend on the number of rows). The Solver's accuracy checks then score up to
   * 500 rows per call instead of the assignment's batches of 100 — same predictions, faster.
   */
  readonly rowwiseScores?: boolean;
  /** A deep copy of the parameters and the running statistics. */
  snapshot(): ModelSnapshot;
  /** Copies a snapshot back into the model's own buffers (the `params` tensors stay the same objects). */
  restore(s: ModelSnapshot): void;
  /**
   * What rebuilds this model elsewhere (another thread): `modelFromSpec(spec())` restored from a
   * `snapshot()` scores exactly as this model does. Null (or absent) when the model cannot be
   * described as data (e.g. a subclass, whose overrides no spec carries); the Solver then
   * measures its accuracy checks inline.
   */
  spec?(): ModelSpec | null;
  /**
   * The model's own random streams by name (dropout masks, noise), so that a checkpoint can
   * save and restore where they stand. Absent: the model draws nothing while training.
   */
  randomStreams?(): ReadonlyMap<string, RandomState>;
}
