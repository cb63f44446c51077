/**
 * Child of test/kernels-resident.test.ts: a short six-layer training (float32, Adam, batch
 * norm) on fake rows; prints whether the model's weights are resident (in a shared memory)
 * and a hash of its loss history, accuracies and final weights.
 */
import { createHash } from "node:crypto";
import { FullyConnectedNet, Solver, Tensor } from "../../src/node.js";
import { fakeRows } from "../../bench/fake-rows.js";

const rows = (n: number, seed: number) => {
  const r = fakeRows(n, seed);
  return { x: new Tensor(r.x, [n, 3, 32, 32]), y: r.y };
};
const tr = rows(200, 11);
const va = rows(100, 12);
const model = new FullyConnectedNet({ hiddenDims: [100, 100, 100], normalization: "batchnorm", weightScale: 2e-2, seed: 3 });
const solver = new Solver(model, { xTrain: tr.x, yTrain: tr.y, xVal: va.x, yVal: va.y }, {
  updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: 50, numEpochs: 3, seed: 4,
});
solver.train();
const h = createHash("sha256");
h.update(Float64Array.from(solver.lossHistory));
h.update(Float64Array.from([...solver.trainAccHistory, ...solver.valAccHistory]));
for (const p of model.params.values()) h.update(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
console.log(JSON.stringify({ shared: model.params.get("W1")!.data.buffer instanceof SharedArrayBuffer, hash: h.digest("hex") }));
