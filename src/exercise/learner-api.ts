/**
 * What `import … from "bnlab"` gives a learner's module in the page: bnlab's
 * browser-safe API (tensors, layers, random streams, gradient checks). In Node the
 * module gets the whole of src/index.ts instead.
 */
export { Tensor, allocFloat, dtypeOf, shapeSize } from "../core/tensor.js";
export { RandomState } from "../core/random.js";
export { OptionError } from "../core/errors.js";
export * from "../layers/index.js";
export { evalNumericalGradient, evalNumericalGradientArray, relError, maxAbsError } from "../gradcheck/index.js";
