/**
 * bnlab against numpy, interleaved round by round, so that a busy shared machine's drift between
 * the two sides (it moves speeds by 2× within the hour here) lands on both alike. Each round runs
 * one bnlab measurement and then the same numpy one; the line gives every round's figures, their
 * medians and the median of the per-round ratios.
 *
 * Default: the one-thread trainings (six-layer [100]×5 with and without BN, 1000 samples,
 * 10 epochs, checks inline) on process CPU time, in which waiting for a core is not counted (cache
 * and memory contention still is). numpy runs bench/numpy_ref.py with one BLAS thread and
 * `"clock": "cpu"`.
 *
 * --sweep: the notebook's full weight-scale sweep (cell 7: 20 scales, 40 runs, 1000 fake rows,
 * 10 epochs) in wall time, bnlab on `--jobs` worker threads (default: one per core) against
 * numpy's same runs in a pool of as many processes (one BLAS thread each): issue 15's
 * "2 workers vs numpy in 2 processes".
 *
 *   npx tsx bench/cpu-ratio.ts [--rounds 4]
 *   npx tsx bench/cpu-ratio.ts --sweep [--rounds 3] [--jobs 2]
 */
import { spawnSync } from "node:child_process";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { FullyConnectedNet, Solver } from "../src/index.js";
import { SWEEP_DEFAULTS, sweepExperimentParallel } from "../src/node.js";
import { fakeDataset } from "./fake-rows.js";
import type { Normalization } from "../src/index.js";

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) throw new Error(`${name}: expected a positive integer, found ${JSON.stringify(args[i + 1])}`);
  return v;
};
const sweep = args.includes("--sweep");
const rounds = option("--rounds", sweep ? 3 : 4);
const jobs = option("--jobs", availableParallelism());
const here = dirname(fileURLToPath(import.meta.url));

const data = fakeDataset();

function numpy(cfg: Record<string, unknown>): Record<string, number>[] {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
  delete env["OPENBLAS_CORETYPE"];
  delete env["OPENBLAS_L2_SIZE"];
  const base = { timing: { warmup: 0, reps: 1, minSeconds: 0 }, dtypes: [], matmul: [], batchnorm: null, trainStep: [], training: [], sweep: null };
  const run = spawnSync("python3", [join(here, "numpy_ref.py"), JSON.stringify({ ...base, ...cfg })], { encoding: "utf8", env, maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`numpy_ref.py failed: ${run.stderr}`);
  return run.stdout.trim().split("\n").map((l) => JSON.parse(l) as Record<string, number>);
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[a.length >> 1]!;

function report(line: Record<string, unknown>, ours: number[], theirs: number[], unit: string): void {
  const ratios = ours.map((o, i) => o / theirs[i]!);
  console.log(JSON.stringify({
    ...line,
    rounds,
    [`bnlab${unit}`]: median(ours),
    [`numpy${unit}`]: median(theirs),
    ratio: median(ours) / median(theirs),
    medianRoundRatio: median(ratios),
    bnlab: ours.map(Math.round),
    numpy: theirs.map(Math.round),
    roundRatios: ratios.map((r) => +r.toFixed(3)),
  }));
}

if (sweep) {
  const o = { ...SWEEP_DEFAULTS, numTrain: 1000, numVal: 1000 };
  const sw = { hiddenDims: o.hiddenDims, numScales: o.weightScales.length, numTrain: 1000, numVal: 1000, numEpochs: o.numEpochs, batchSize: o.batchSize };
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    await sweepExperimentParallel(data, o, 231, jobs);
    ours.push(performance.now() - t0);
    const line = numpy({ sweep: sw, sweepProcesses: jobs, sweepPoolOnly: true }).find((l) => l["case"] as unknown === "sweep");
    if (line === undefined) throw new Error("numpy_ref.py printed no sweep line");
    theirs.push(line["wallMs"]!);
  }
  report({ name: "sweep", runs: 2 * sw.numScales, jobs, numpyProcesses: jobs, clock: "wall" }, ours, theirs, "WallMs");
} else {
  const nets: { name: string; normalization: Normalization }[] = [{ name: "six-layer-bn", normalization: "batchnorm" }, { name: "six-layer", normalization: null }];
  const bnlab = (normalization: Normalization, seed: number): number => {
    const model = new FullyConnectedNet({ hiddenDims: [100, 100, 100, 100, 100], normalization, weightScale: 2e-2, seed });
    const solver = new Solver(model, data, { updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: 50, numEpochs: 10, seed, backgroundChecks: false });
    const t0 = process.cpuUsage();
    solver.train();
    const d = process.cpuUsage(t0);
    return (d.user + d.system) / 1e3;
  };
  bnlab("batchnorm", 99); // warm-up
  for (const net of nets) {
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      ours.push(bnlab(net.normalization, r));
      const training = [{ name: "t", hiddenDims: [100, 100, 100, 100, 100], normalization: net.normalization, weightScale: 2e-2, numTrain: 1000, numVal: 1000, numEpochs: 10, batchSize: 50, repeats: 1 }];
      theirs.push(numpy({ clock: "cpu", training }).find((l) => l["case"] as unknown === "training")!["medianMs"]!);
    }
    report({ name: net.name, checks: "inline", clock: "cpu" }, ours, theirs, "CpuMs");
  }
}
