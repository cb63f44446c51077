/**
 * Where one training step of the notebook's six-layer net goes (hidden [100]×5, batch 50,
 * Adam, float32): median times of the forward+backward (`model.loss`), of the update
 * (`adam` over every parameter) and of a whole `Solver.step()`, one accuracy check
 * (`Solver.checkAccuracy` on 1000 rows), then one Solver training (1000 samples, 10 epochs):
 * the figures docs/performance.md quotes per step.
 *
 *   npx tsx bench/step-profile.ts [--steps 300] [--no-bn] [--rounds 5]
 *
 * Rounds alternate the three measurements so machine noise hits them alike.
 */
import { FullyConnectedNet, Solver, Tensor, adam, enableBackgroundChecks } from "../src/node.js";
import type { AdamConfig, Dataset } from "../src/node.js";
import { fakeRows } from "./fake-rows.js";

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : dflt;
};
const steps = opt("--steps", 300);
const rounds = opt("--rounds", 5);
const normalization = args.includes("--no-bn") ? null : "batchnorm";


const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const tr = fakeRows(1000, 3);
const va = fakeRows(1000, 5);
const data: Dataset = { xTrain: new Tensor(tr.x, [1000, 3, 32, 32]), yTrain: tr.y, xVal: new Tensor(va.x, [1000, 3, 32, 32]), yVal: va.y };
const xb = new Tensor(tr.x.slice(0, 50 * 3072), [50, 3, 32, 32]);
const yb = tr.y.slice(0, 50);
// As the CLI does: the Solver trainings below check on a second thread when "auto" allows.
enableBackgroundChecks();
const model = new FullyConnectedNet({ hiddenDims: [100, 100, 100, 100, 100], normalization, weightScale: 2e-2, seed: 0 });
const configs = new Map<string, Partial<AdamConfig>>();
for (const name of model.params.keys()) configs.set(name, { learningRate: 1e-3 });
const solver = new Solver(model, data, { updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: 50, seed: 1 });

const lossT: number[] = [];
const adamT: number[] = [];
const stepT: number[] = [];
for (let r = 0; r < rounds; r++) {
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    const { grads } = model.loss(xb, yb);
    const t1 = performance.now();
    for (const [name, w] of model.params) configs.set(name, adam(w.data, grads.get(name)!.data, configs.get(name)));
    const t2 = performance.now();
    if (r > 0) {
      lossT.push(t1 - t0);
      adamT.push(t2 - t1);
    }
  }
  for (let s = 0; s < steps; s++) {
    const t0 = performance.now();
    solver.step();
    if (r > 0) stepT.push(performance.now() - t0);
  }
}
const checkT: number[] = [];
for (let r = 0; r < 12; r++) {
  const t0 = performance.now();
  solver.checkAccuracy(data.xVal, data.yVal);
  if (r > 1) checkT.push(performance.now() - t0);
}
const trainT: number[] = [];
for (let r = 0; r < 3; r++) {
  const m = new FullyConnectedNet({ hiddenDims: [100, 100, 100, 100, 100], normalization, weightScale: 2e-2, seed: r });
  const sv = new Solver(m, data, { updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: 50, numEpochs: 10, seed: r });
  const t0 = performance.now();
  sv.train();
  trainT.push(performance.now() - t0);
}
console.log(JSON.stringify({
  net: `six-layer${normalization ? "-bn" : ""}`,
  lossMs: median(lossT),
  adamMs: median(adamT),
  solverStepMs: median(stepT),
  checkMs: median(checkT),
  trainingMs: median(trainT),
}));
