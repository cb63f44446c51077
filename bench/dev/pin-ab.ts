/**
 * A/B of the pinned check rows (docs/performance.md): one sweep-shaped training (eight-layer
 * [50]×7 net, 1000 samples, 10 epochs, checks inline) alternately with wasm-simd (the checks'
 * rows packed once per train()) and with the same kernels minus `packedAffine` (each check packs
 * its rows again), interleaved so machine load hits both alike. Figures are CPU time of the
 * process (process.cpuUsage, user + system), which waiting for a busy core does not inflate.
 *
 *   npx tsx bench/pin-ab.ts [--rounds 6] [--six]
 */
import { FullyConnectedNet, Solver, setKernelPath } from "../../src/index.js";
import { fakeDataset } from "../fake-rows.js";
import { backendFor, registerBackend } from "../../src/kernels/index.js";

const args = process.argv.slice(2);
const rounds = args.includes("--rounds") ? Number(args[args.indexOf("--rounds") + 1]) : 6;
const hiddenDims = args.includes("--six") ? [100, 100, 100, 100, 100] : [50, 50, 50, 50, 50, 50, 50];

const data = fakeDataset();
const { packedAffine: _unused, ...plain } = backendFor("wasm-simd");
// The same kernels without the packed entry, under the spare name.
registerBackend({ ...plain, name: "wasm-relaxed" });

function train(seed: number): number {
  const model = new FullyConnectedNet({ hiddenDims, normalization: seed % 2 === 0 ? "batchnorm" : null, weightScale: 1e-2, seed });
  const solver = new Solver(model, data, { updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: 50, numEpochs: 10, seed, backgroundChecks: false });
  const t0 = process.cpuUsage();
  solver.train();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e3;
}
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
const pinned: number[] = [];
const repacked: number[] = [];
setKernelPath("wasm-simd");
train(0);
for (let r = 0; r < rounds; r++) {
  for (const [path, out] of (r % 2 === 0 ? [["wasm-simd", pinned], ["wasm-relaxed", repacked]] : [["wasm-relaxed", repacked], ["wasm-simd", pinned]]) as [string, number[]][]) {
    setKernelPath(path as "wasm-simd");
    out.push(train(r));
  }
}
console.log(JSON.stringify({ hiddenDims, rounds, pinnedCpuMs: median(pinned), repackedCpuMs: median(repacked), ratio: median(pinned) / median(repacked), pinned, repacked }));
