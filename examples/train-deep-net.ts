// The notebook's cell 6 in a few lines: a six-layer net with batch norm on synthetic data.
// Installed as a package, import from "bnlab" instead of "../src/index.js".
import { FullyConnectedNet, RandomState, Solver, syntheticCifar } from "../src/index.js";

const data = syntheticCifar({ numTrain: 500, numVal: 200, numTest: 100, seed: 0 });
const rng = new RandomState(231); // one stream for the model and the solver, like numpy's global one
const model = new FullyConnectedNet({
  hiddenDims: [100, 100, 100, 100, 100],
  normalization: "batchnorm",
  weightScale: 2e-2,
  rng,
});
const solver = new Solver(model, data, {
  updateRule: "adam",
  optimConfig: { learningRate: 1e-3 },
  batchSize: 50,
  numEpochs: Number(process.env.EPOCHS ?? 5),
  rng,
  onProgress: (p) => {
    if (p.iteration % 20 === 0) console.log(`iteration ${p.iteration}/${p.numIterations}  loss ${p.loss.toFixed(4)}`);
  },
});
solver.train();
console.log("train acc per epoch:", solver.trainAccHistory.map((a) => a.toFixed(3)).join(" "));
console.log("best val acc:", solver.bestValAcc.toFixed(3));
