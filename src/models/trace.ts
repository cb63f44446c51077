/**
 * What `FullyConnectedNet.trace` records of one forward and backward pass: per
 * hidden layer every intermediate value and its gradient. Every tensor is a copy
 * (the model's workspace is reused by the next call): safe to keep; with the
 * `views` option, the workspace values themselves, valid until the model's next pass.
 */
import type { Tensor } from "../core/tensor.js";

/** One hidden layer of a traced pass, each value (N, ·). */
export interface LayerTrace {
  /** h_{i−1} (N, D_{i−1}): the layer's input (the data, flattened, for layer 1). */
  input: Tensor;
  /** a = input·W + b (N, D_i). */
  affine: Tensor;
  /** The normalization's output (after gamma and beta, and bnNoise): the value entering the activation; null without normalization. */
  normalized: Tensor | null;
  /** The activation's output (before dropout). */
  activated: Tensor;
  /** dL/d input (computed for layer 1 too). */
  dInput: Tensor;
  dAffine: Tensor;
  dNormalized: Tensor | null;
  /** dL/d activated: the gradient arriving from above, through dropout's mask. */
  dActivated: Tensor;
  /** The parameter gradients, regularization included (the same tensors as in `ModelTrace.grads`). */
  dW: Tensor;
  db: Tensor;
  dgamma: Tensor | null;
  dbeta: Tensor | null;
}

/** A traced pass: what `loss` returns (the same bits), plus the scores and every hidden layer. */
export interface ModelTrace {
  loss: number;
  /** The class scores (N, numClasses) of the pass's mode. */
  scores: Tensor;
  layers: LayerTrace[];
  /** Every parameter's gradient, in the order of `params`. */
  grads: Map<string, Tensor>;
}

/** Options of `FullyConnectedNet.trace`. */
export interface TraceOptions {
  /**
   * Default "train": batch statistics, dropout masks drawn from the model's `rng` and
   * bnNoise drawn from its noise stream, exactly as `loss`. "test": running statistics,
   * no dropout, no noise; nothing is drawn.
   */
  mode?: "train" | "test";
  /** Train mode only: move the batch-norm running statistics as `loss` does. Default false. */
  updateRunningStats?: boolean;
  /**
   * Return the model's workspace values themselves instead of copies (the same values): nothing is
   * copied, but the next pass of the model (`loss`, `scores`, `trace`) overwrites them, so read
   * them first. The parameter gradients are new arrays either way. Default false.
   */
  views?: boolean;
}
