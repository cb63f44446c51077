// The notebook's backward check (cell 3), with numpy's draws for seed 231.
// Installed as a package, import from "bnlab" instead of "../src/index.js".
import {
  RandomState, batchnormForward, batchnormBackward, batchnormBackwardAlt,
  createRunningStats, evalNumericalGradientArray, relError,
} from "../src/index.js";

// np.random.seed(231); x = 5 * np.random.randn(4, 5) + 12; gamma, beta, dout = randn(5), randn(5), randn(4, 5)
const rng = new RandomState(231);
const x = rng.randn(4, 5);
for (let i = 0; i < x.size; i++) x.data[i] = 5 * x.data[i]! + 12;
const gamma = rng.randn(5);
const beta = rng.randn(5);
const dout = rng.randn(4, 5);

// Running statistics are a plain object that you own (the model owns one per layer).
const running = createRunningStats(5, "float64");
const { out, cache } = batchnormForward(x, gamma, beta, { mode: "train", running });
const staged = batchnormBackward(dout, cache);
const alt = batchnormBackwardAlt(dout, cache);

const dxNum = evalNumericalGradientArray(() => batchnormForward(x, gamma, beta, { mode: "train" }).out, x, dout);
console.log("out shape:", out.shape.join("x"));
console.log("dx error (staged vs numeric):", relError(dxNum, staged.dx).toExponential(2));
console.log("dx difference (staged vs alt):", relError(staged.dx, alt.dx).toExponential(2));
console.log("running mean after one step:", Array.from(running.mean, (v) => v.toFixed(3)).join(" "));
