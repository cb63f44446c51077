/**
 * The normalization layers a FullyConnectedNet may run instead of bnlab's own:
 * the exercise's hook (`FullyConnectedNetOptions.layers`), for a learner's
 * implementations with bnlab's public signatures.
 */
import type { batchnormBackwardAlt, batchnormForward } from "../layers/batchnorm.js";
import type { layernormBackward, layernormForward } from "../layers/layernorm.js";

export interface NetLayerImpls {
  batchnormForward: typeof batchnormForward;
  /** The batch-norm backward the net uses (bnlab's own: the closed form). */
  batchnormBackward: typeof batchnormBackwardAlt;
  layernormForward: typeof layernormForward;
  layernormBackward: typeof layernormBackward;
}

/** The given functions, or null when none are (the net then runs bnlab's, with its workspace buffers). */
export function givenLayers(layers: Partial<NetLayerImpls> | undefined): Partial<NetLayerImpls> | null {
  return layers !== undefined && Object.keys(layers).length > 0 ? { ...layers } : null;
}
