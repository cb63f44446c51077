/**
 * Times the notebook's six-layer training (1000 samples, 10 epochs, Adam, checks inline) REPS
 * times and prints the times (ms) and a hash of the loss history and final weights, for A/B runs
 * of one change in separate processes (e.g. BNLAB_RESIDENT=0 against the default) and for
 * `node --cpu-prof`.
 *
 *   node --import tsx bench/dev/profile-training.ts [--no-bn] [--sweep-net]     (REPS=4 by default)
 *
 * --sweep-net: the weight-scale sweep's eight-layer net ([50]×7, weight scale 1e-2) instead.
 */
import { createHash } from "node:crypto";
import { FullyConnectedNet, Solver } from "../../src/node.js";
import { fakeDataset } from "../fake-rows.js";

const data = fakeDataset();
const bn = process.argv.includes("--no-bn") ? null : "batchnorm";
const reps = Number(process.env["REPS"] ?? 4);
const sweepNet = process.argv.includes("--sweep-net");
const hiddenDims = sweepNet ? [50, 50, 50, 50, 50, 50, 50] : [100, 100, 100, 100, 100];
const weightScale = sweepNet ? 1e-2 : 2e-2;
const ts: number[] = [];
const cpu: number[] = [];
const hash = createHash("sha256");
for (let r = 0; r < reps; r++) {
  const m = new FullyConnectedNet({ hiddenDims, normalization: bn, weightScale, seed: r });
  const sv = new Solver(m, data, { updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: 50, numEpochs: 10, seed: r });
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  sv.train();
  const c1 = process.cpuUsage(c0);
  ts.push(performance.now() - t0);
  cpu.push((c1.user + c1.system) / 1000);
  hash.update(Float64Array.from(sv.lossHistory));
  for (const p of m.params.values()) hash.update(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength));
}
// CPU time (user + system) does not count waiting for a core on a shared machine.
console.log(JSON.stringify({ ms: ts.map(Math.round), min: Math.round(Math.min(...ts)), cpuMin: Math.round(Math.min(...cpu)), hash: hash.digest("hex").slice(0, 16) }));
