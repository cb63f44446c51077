/** The layers: forward functions return `{ out, cache }`, backward functions take `(dout, cache)`. */
export { affineForward, affineBackward, affineParamBackward } from "./affine.js";
export type { AffineCache } from "./affine.js";
export { reluForward, reluBackward } from "./relu.js";
export type { ReluCache } from "./relu.js";
export { batchnormForward, batchnormBackward, batchnormBackwardAlt, createRunningStats, updateRunningStats } from "./batchnorm.js";
export type {
  BatchnormBuffers, BatchnormCache, BatchnormParam, RunningStats, MomentumWeights, RunningVariance, RunningUpdate,
} from "./batchnorm.js";
export { BATCHNORM_CONVENTIONS, batchnormConvention } from "./conventions.js";
export type { BatchnormConvention, BatchnormFramework } from "./conventions.js";
export { batchrenormForward, batchrenormBackward } from "./batchrenorm.js";
export type { BatchrenormCache, BatchrenormParam } from "./batchrenorm.js";
export { layernormForward, layernormBackward } from "./layernorm.js";
export type { LayernormCache, LayernormParam } from "./layernorm.js";
export { groupnormForward, groupnormBackward } from "./groupnorm.js";
export type { GroupnormCache, GroupnormParam } from "./groupnorm.js";
export { dropoutForward, dropoutBackward } from "./dropout.js";
export type { DropoutCache, DropoutParam } from "./dropout.js";
export { softmaxLoss, svmLoss } from "./losses.js";
export {
  normForward,
  normBackward,
  affineReluForward,
  affineReluBackward,
  affineNormReluForward,
  affineNormReluBackward,
} from "./sandwich.js";
export type { NormSpec, NormCache, AffineReluCache, AffineNormReluCache } from "./sandwich.js";
export { sigmoidForward, sigmoidBackward, tanhForward, tanhBackward } from "./activations.js";
export type { SmoothActivationCache } from "./activations.js";
