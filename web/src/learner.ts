/**
 * A learner's module in the page: evaluated with a sourceURL (stack frames name
 * the editor's file and lines), `import … from "bnlab"` answered with bnlab's
 * browser-safe API, and turned into the layers a FullyConnectedNet can run.
 */
import * as bnlab from "../../src/index.js";
import { loadLearnerModule } from "../../src/index.js";
import type { LearnerLayers, NetLayerImpls } from "../../src/index.js";

type Evaluated = (require: (id: string) => unknown, exports: object, module: { exports: object }) => void;

/** Evaluates the wrapped module in the global scope (an indirect eval); the wrapper starts on line 1, so lines match the editor's. */
export function evaluateInPage(code: string, filename: string): Evaluated {
  return (0, eval)(`${code}\n//# sourceURL=${filename}`) as Evaluated;
}

/** The learner's functions (throws LearnerModuleError for a syntax error or a bad import). */
export function loadInPage(source: string, filename: string): LearnerLayers {
  return loadLearnerModule(source, filename, { bnlab }, evaluateInPage);
}

/** The learner's normalization layers for the nets: batch norm (closed-form backward preferred), layer norm when both halves exist. */
export function netLayers(layers: LearnerLayers): Partial<NetLayerImpls> {
  const out: Partial<NetLayerImpls> = {};
  const backward = layers.batchnormBackwardAlt ?? layers.batchnormBackward;
  if (layers.batchnormForward && backward) {
    out.batchnormForward = layers.batchnormForward;
    out.batchnormBackward = backward;
  }
  if (layers.layernormForward && layers.layernormBackward) {
    out.layernormForward = layers.layernormForward;
    out.layernormBackward = layers.layernormBackward;
  }
  return out;
}
