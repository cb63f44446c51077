/**
 * The one-thread trainings (six-layer [100]×5 with and without BN, 1000 samples, 10 epochs,
 * checks inline) against numpy's, on process CPU time, interleaved round by round: a ratio
 * that a busy shared machine distorts far less than wall time (waiting for a core is not
 * counted; cache and memory contention still is). numpy runs bench/numpy_ref.py with one
 * BLAS thread and `"clock": "cpu"`.
 *
 *   npx tsx bench/cpu-ratio.ts [--rounds 4]
 */
import { spawnSync } from "node:child_process";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FullyConnectedNet, Solver } from "../src/index.js";
import { fakeDataset } from "./fake-rows.js";
import type { Normalization } from "../src/index.js";

const args = process.argv.slice(2);
const rounds = args.includes("--rounds") ? Number(args[args.indexOf("--rounds") + 1]) : 4;
const here = dirname(fileURLToPath(import.meta.url));

const data = fakeDataset();
const nets: { name: string; normalization: Normalization }[] = [{ name: "six-layer-bn", normalization: "batchnorm" }, { name: "six-layer", normalization: null }];

function bnlab(normalization: Normalization, seed: number): number {
  const model = new FullyConnectedNet({ hiddenDims: [100, 100, 100, 100, 100], normalization, weightScale: 2e-2, seed });
  const solver = new Solver(model, data, { updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: 50, numEpochs: 10, seed, backgroundChecks: false });
  const t0 = process.cpuUsage();
  solver.train();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e3;
}

function numpy(normalization: Normalization): number {
  const cfg = {
    clock: "cpu", timing: { warmup: 0, reps: 1, minSeconds: 0 }, dtypes: [], matmul: [], batchnorm: null, trainStep: [], sweep: null,
    training: [{ name: "t", hiddenDims: [100, 100, 100, 100, 100], normalization, weightScale: 2e-2, numTrain: 1000, numVal: 1000, numEpochs: 10, batchSize: 50, repeats: 1 }],
  };
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
  delete env["OPENBLAS_CORETYPE"];
  delete env["OPENBLAS_L2_SIZE"];
  const run = spawnSync("python3", [join(here, "numpy_ref.py"), JSON.stringify(cfg)], { encoding: "utf8", env });
  if (run.status !== 0) throw new Error(`numpy_ref.py failed: ${run.stderr}`);
  return (JSON.parse(run.stdout.trim().split("\n").pop()!) as { medianMs: number }).medianMs;
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;
bnlab("batchnorm", 99); // warm-up
for (const net of nets) {
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    ours.push(bnlab(net.normalization, r));
    theirs.push(numpy(net.normalization));
  }
  console.log(JSON.stringify({ name: net.name, checks: "inline", rounds, bnlabCpuMs: median(ours), numpyCpuMs: median(theirs), cpuRatio: median(ours) / median(theirs), bnlab: ours, numpy: theirs }));
}
