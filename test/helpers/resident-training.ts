/**
 * Child of test/kernels-resident.test.ts: a short six-layer training (float32, Adam, batch
 * norm) on fake rows; prints whether the model's weights are resident (in a shared memory)
 * and a hash of its loss history, accuracies and final weights.
 */
import { createHash } from "node:crypto";
import { FullyConnectedNet, Solver, Tensor } from "../../src/node.js";

let s = 12345;
const rows = (n: number) => {
  const x = new Float32Array(n * 3072);
  for (let i = 0; i < x.length; i++) {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    x[i] = ((s >>> 0) / 4294967296 - 0.5) * 3.46;
  }
  return { x: new Tensor(x, [n, 3, 32, 32]), y: Int32Array.from({ length: n }, (_, i) => (i * 7) % 10) };
};
const tr = rows(200);
const va = rows(100);
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
