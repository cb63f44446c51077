/**
 * The benchmark suite: `npm run bench` (this file) and `bnlab bench --json`.
 *
 * Prints one JSON object per line. For every case the figure is the median of
 * repeated runs after warm-up. Kernel variants are validated against the
 * reference before they are timed. When python3 with numpy is present, the same
 * cases run in numpy (bench/numpy_ref.py, single-threaded BLAS) in a child
 * process and "ratio" lines put the two side by side; when it is not, a line
 * says so and the run goes on.
 *
 *   npx tsx bench/run.ts [--tiny] [--full-sweep] [--no-numpy] [--only matmul,batchnorm,train-step,training,sweep] [--jobs N] [--interleaved R]
 *
 * --interleaved R: after the cases, the trainings and the parallel sweep again, bnlab and numpy in
 * alternation for R rounds (bench/interleaved.ts): `ratio` lines with `"interleaved": true`, the
 * readings to trust on a machine whose speed drifts between lines timed minutes apart.
 */
import { spawnSync } from "node:child_process";
import os from "node:os";
import { SWEEP_DEFAULTS, logspace, sweepExperiment } from "../src/node.js";
import { sweepExperimentParallel } from "../src/node.js";
import {
  FullyConnectedNet,
  Solver,
  Tensor,
  adam,
  availableKernelPaths,
  batchnormBackward,
  batchnormBackwardAlt,
  batchnormForward,
  gemmReference,
  getKernelPath,
  enableBackgroundChecks,
  startBackgroundCheckThread,
  normRelError,
  type AdamConfig,
  type Dataset,
  type DType,
  type FloatArray,
  type KernelPath,
  type Normalization,
} from "../src/node.js";
// A path's raw kernels (no size thresholds): backendFor(path).
import { backendFor } from "../src/node.js";
import { achievedFraction, cifarShape, trainingFlops, trainingProducts, type TrainingShape } from "./flops.js";
import { fastestGflops, interleavedSweep, interleavedTrainings } from "./interleaved.js";
import { probeNumpy, pythonEnv, runNumpyRef, type BenchLine } from "./python.js";

/** The cases, in the order they run. */
export const BENCH_CASES = ["matmul", "batchnorm", "train-step", "training", "sweep"] as const;
export type BenchCase = (typeof BENCH_CASES)[number];

export interface BenchOptions {
  /** A seconds-long configuration with tiny shapes (for tests); the figures mean nothing. */
  tiny?: boolean;
  /** Also time numpy when python3 with numpy is present (default true). */
  numpy?: boolean;
  /** Which cases to run (default all). */
  cases?: readonly BenchCase[];
  /** Worker threads for the parallel sweep (default: one per core). */
  jobs?: number;
  /** Time the notebook's full sweep (20 scales) instead of the reduced one (4 scales). */
  fullSweep?: boolean;
  /** Rounds of the interleaved trainings and sweep after the cases (bench/interleaved.ts; default none). */
  interleaved?: number;
  /** Receives each result line (default: JSON to stdout). */
  emit?: (line: BenchLine) => void;
}

export type { BenchLine };

interface Timing {
  warmup: number;
  reps: number;
  minSeconds: number;
}

interface TrainingSpec {
  name: string;
  hiddenDims: number[];
  normalization: Normalization;
  weightScale: number;
}

/** Everything both sides run; also sent to numpy_ref.py as JSON. */
interface BenchConfig {
  timing: Timing;
  dtypes: DType[];
  /** (M, K, N): an M×K by K×N product. */
  matmul: [number, number, number][];
  batchnorm: { N: number; D: number };
  trainStep: (TrainingSpec & { batchSize: number })[];
  training: (TrainingSpec & { numTrain: number; numVal: number; numEpochs: number; batchSize: number; repeats: number })[];
  sweep: { hiddenDims: number[]; numScales: number; numTrain: number; numVal: number; numEpochs: number; batchSize: number };
  /** (M, K, N) of the large float32 product whose best rate is the kernel peak of the achieved fractions. */
  peak: [number, number, number];
  /** numpy's sweep also runs spread over this many processes (bnlab's worker count). */
  sweepProcesses?: number;
}

const SIX_LAYER = [100, 100, 100, 100, 100];

function fullConfig(): BenchConfig {
  const nets: TrainingSpec[] = [
    { name: "six-layer-bn", hiddenDims: SIX_LAYER, normalization: "batchnorm", weightScale: 2e-2 },
    { name: "six-layer", hiddenDims: SIX_LAYER, normalization: null, weightScale: 2e-2 },
  ];
  return {
    timing: { warmup: 2, reps: 5, minSeconds: 0.3 },
    dtypes: ["float32", "float64"],
    matmul: [[50, 3072, 100], [50, 3072, 50], [1000, 3072, 100], [100, 100, 100]],
    batchnorm: { N: 100, D: 500 },
    trainStep: [
      ...nets.map((n) => ({ ...n, batchSize: 50 })),
      { name: "eight-layer-bn", hiddenDims: [50, 50, 50, 50, 50, 50, 50], normalization: "batchnorm", weightScale: 1e-2, batchSize: 50 },
    ],
    training: nets.map((n) => ({ ...n, numTrain: 1000, numVal: 1000, numEpochs: 10, batchSize: 50, repeats: 5 })),
    sweep: { hiddenDims: [...SWEEP_DEFAULTS.hiddenDims], numScales: 4, numTrain: 1000, numVal: 1000, numEpochs: 10, batchSize: 50 },
    peak: [1000, 3072, 512],
  };
}

function tinyConfig(): BenchConfig {
  return {
    timing: { warmup: 1, reps: 2, minSeconds: 0 },
    dtypes: ["float32", "float64"],
    matmul: [[5, 7, 3], [6, 9, 8]],
    batchnorm: { N: 6, D: 5 },
    trainStep: [{ name: "tiny-bn", hiddenDims: [8, 8], normalization: "batchnorm", weightScale: 1e-2, batchSize: 4 }],
    training: [{ name: "tiny-bn", hiddenDims: [8], normalization: "batchnorm", weightScale: 1e-2, numTrain: 20, numVal: 10, numEpochs: 1, batchSize: 10, repeats: 1 }],
    sweep: { hiddenDims: [6, 6], numScales: 1, numTrain: 20, numVal: 10, numEpochs: 1, batchSize: 10 },
    peak: [12, 40, 16],
  };
}

/** Median wall time of `fn` in milliseconds, after warm-up; at least `reps` runs and `minSeconds`. */
function measure(fn: () => void, t: Timing): { medianMs: number; reps: number } {
  for (let i = 0; i < t.warmup; i++) fn();
  const times: number[] = [];
  const start = performance.now();
  while (times.length < t.reps || (performance.now() - start < t.minSeconds * 1e3 && times.length < 1000)) {
    const t0 = performance.now();
    fn();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  return { medianMs: times[times.length >> 1]!, reps: times.length };
}

/** A fast deterministic filler (xorshift32, values roughly unit variance); the values do not matter for timing. */
function filler(seed: number): (a: FloatArray, scale?: number) => FloatArray {
  let s = seed >>> 0 || 1;
  return (a, scale = 1) => {
    for (let i = 0; i < a.length; i++) {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      a[i] = ((s >>> 0) / 4294967296 - 0.5) * 3.46 * scale;
    }
    return a;
  };
}

const alloc = (n: number, dtype: DType): FloatArray => (dtype === "float64" ? new Float64Array(n) : new Float32Array(n));

function fakeData(numTrain: number, numVal: number, seed: number): Dataset {
  const fill = filler(seed);
  const labels = (n: number): Int32Array => Int32Array.from({ length: n }, (_, i) => (i * 7 + seed) % 10);
  return {
    xTrain: new Tensor(fill(new Float32Array(numTrain * 3072)), [numTrain, 3, 32, 32]),
    yTrain: labels(numTrain),
    xVal: new Tensor(fill(new Float32Array(numVal * 3072)), [numVal, 3, 32, 32]),
    yVal: labels(numVal),
  };
}

function benchMatmul(cfg: BenchConfig, emit: (l: BenchLine) => void): void {
  const fill = filler(1);
  for (const path of availableKernelPaths()) {
    const g = backendFor(path).gemm;
    for (const [M, K, N] of cfg.matmul) {
      for (const dtype of cfg.dtypes) {
        const A = fill(alloc(M * K, dtype));
        const B = fill(alloc(K * N, dtype));
        const C = alloc(M * N, dtype);
        // Validate before timing: the variant must agree with the reference.
        const ref = new Float64Array(M * N);
        gemmReference(false, false, M, N, K, Float64Array.from(A), Float64Array.from(B), ref, false);
        g(false, false, M, N, K, A, B, C, false);
        const relErr = normRelError(C, ref);
        if (!(relErr <= (dtype === "float32" ? 1e-4 : 1e-12))) throw new Error(`matmul ${path} ${dtype} (${M},${K},${N}) is wrong: relative error ${relErr}`);
        const { medianMs, reps } = measure(() => g(false, false, M, N, K, A, B, C, false), cfg.timing);
        emit({ case: "matmul", path, dtype, M, K, N, medianMs, reps, gflops: (2 * M * N * K) / medianMs / 1e6, relErr });
      }
    }
  }
}

function benchBatchnorm(cfg: BenchConfig, emit: (l: BenchLine) => void): void {
  const { N, D } = cfg.batchnorm;
  const fill = filler(2);
  for (const dtype of cfg.dtypes) {
    const x = new Tensor(fill(alloc(N * D, dtype), 5), [N, D]);
    const gamma = new Tensor(fill(alloc(D, dtype)), [D]);
    const beta = new Tensor(fill(alloc(D, dtype)), [D]);
    const dout = new Tensor(fill(alloc(N * D, dtype)), [N, D]);
    const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
    for (const [variant, fn] of [["staged", batchnormBackward], ["alt", batchnormBackwardAlt]] as const) {
      const { medianMs, reps } = measure(() => fn(dout, cache), cfg.timing);
      emit({ case: "batchnorm-backward", path: getKernelPath(), variant, dtype, N, D, medianUs: medianMs * 1e3, reps });
    }
    // As the net calls it: dx into a buffer of the model's workspace.
    const dx = alloc(N * D, dtype);
    const into = measure(() => batchnormBackwardAlt(dout, cache, dx), cfg.timing);
    emit({ case: "batchnorm-backward", path: getKernelPath(), variant: "alt-into-workspace", dtype, N, D, medianUs: into.medianMs * 1e3, reps: into.reps });
    const { medianMs, reps } = measure(() => batchnormForward(x, gamma, beta, { mode: "train" }), cfg.timing);
    emit({ case: "batchnorm-forward", path: getKernelPath(), dtype, N, D, medianUs: medianMs * 1e3, reps });
  }
}

function benchTrainStep(cfg: BenchConfig, emit: (l: BenchLine) => void): void {
  for (const spec of cfg.trainStep) {
    const data = fakeData(spec.batchSize, 1, 3);
    const model = new FullyConnectedNet({ hiddenDims: spec.hiddenDims, normalization: spec.normalization, weightScale: spec.weightScale, seed: 0 });
    const configs = new Map<string, Partial<AdamConfig>>();
    for (const name of model.params.keys()) configs.set(name, { learningRate: 1e-3 });
    const step = (): void => {
      const { grads } = model.loss(data.xTrain, data.yTrain);
      for (const [name, w] of model.params) configs.set(name, adam(w.data, grads.get(name)!.data, configs.get(name)));
    };
    const { medianMs, reps } = measure(step, cfg.timing);
    emit({ case: "train-step", path: getKernelPath(), name: spec.name, batchSize: spec.batchSize, medianMs, reps });
    // The update alone: adam over every parameter, with one step's gradients.
    const { grads } = model.loss(data.xTrain, data.yTrain);
    const update = (): void => {
      for (const [name, w] of model.params) configs.set(name, adam(w.data, grads.get(name)!.data, configs.get(name)));
    };
    const u = measure(update, cfg.timing);
    let weights = 0;
    for (const w of model.params.values()) weights += w.size;
    emit({ case: "update-rule", path: getKernelPath(), rule: "adam", name: spec.name, weights, medianMs: u.medianMs, reps: u.reps });
  }
}

/**
 * The kernel peak: the best float32 rate of any available path on one large product
 * (cfg.peak), single-threaded. Validated like every matmul before it is timed.
 */
function benchPeak(cfg: BenchConfig, emit: (l: BenchLine) => void): { gflops: number; again: () => number } {
  const [M, K, N] = cfg.peak;
  const fill = filler(6);
  const A = fill(new Float32Array(M * K));
  const B = fill(new Float32Array(K * N));
  const C = new Float32Array(M * N);
  const ref = new Float64Array(M * N);
  gemmReference(false, false, M, N, K, Float64Array.from(A), Float64Array.from(B), ref, false);
  let best = 0;
  let bestPath: KernelPath = "ts";
  for (const path of availableKernelPaths()) {
    // The reference runs at ~1 GFLOP/s: it is never the peak, and timing it on the large product takes minutes.
    if (path === "ts" && availableKernelPaths().length > 1) continue;
    const g = backendFor(path).gemm;
    g(false, false, M, N, K, A, B, C, false);
    const relErr = normRelError(C, ref);
    if (!(relErr <= 1e-4)) throw new Error(`peak product ${path} (${M},${K},${N}) is wrong: relative error ${relErr}`);
    const { medianMs, reps } = measure(() => g(false, false, M, N, K, A, B, C, false), { ...cfg.timing, minSeconds: Math.min(cfg.timing.minSeconds, 0.5) });
    const gflops = (2 * M * N * K) / medianMs / 1e6;
    emit({ case: "peak", path, dtype: "float32", M, K, N, medianMs, reps, gflops, relErr });
    if (gflops > best) {
      best = gflops;
      bestPath = path;
    }
  }
  emit({ case: "peak", path: bestPath, best: true, gflopsPerCore: best, meaning: "the best kernel's float32 rate on one large product, one thread: the per-core peak of the achieved fractions" });
  // NOTE: the interleaved rounds measure the peak again next to each of their measurements (the
  // best path only, the product already validated; the fastest of 7 calls), so that a fraction's two
  // times are not minutes apart.
  const g = backendFor(bestPath).gemm;
  return { gflops: best, again: () => fastestGflops(() => g(false, false, M, N, K, A, B, C, false), 2 * M * N * K) };
}

/** Cores a training's checks mode keeps busy: one inline, two with the background thread. */
const coresOf = (checks: string): number => (checks === "background" ? Math.min(2, os.cpus().length) : 1);

function benchTraining(cfg: BenchConfig, peakGflops: number, emit: (l: BenchLine) => void): void {
  // The background-check thread starts once per process (as in any bnlab run that trains more
  // than once); its start-up is timed on its own line, and the trainings run both ways.
  const t0 = performance.now();
  const ready = startBackgroundCheckThread(true, 60_000);
  emit({ case: "check-thread-start", ready, ms: performance.now() - t0 });
  enableBackgroundChecks();
  for (const spec of cfg.training) {
    const data = fakeData(spec.numTrain, spec.numVal, 4);
    let inlineMs = NaN;
    for (const checks of ["inline", "background"] as const) {
      const times: number[] = [];
      for (let r = 0; r < spec.repeats; r++) {
        const model = new FullyConnectedNet({ hiddenDims: spec.hiddenDims, normalization: spec.normalization, weightScale: spec.weightScale, seed: r });
        const solver = new Solver(model, data, {
          updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: spec.batchSize, numEpochs: spec.numEpochs, seed: r,
          backgroundChecks: checks === "background",
        });
        const t1 = performance.now();
        solver.train();
        times.push(performance.now() - t1);
      }
      times.sort((a, b) => a - b);
      const medianMs = times[times.length >> 1]!;
      const flops = trainingFlops(cifarShape(spec)).total;
      const cores = coresOf(checks);
      if (checks === "inline") inlineMs = medianMs;
      emit({ case: "training", path: getKernelPath(), name: spec.name, checks, medianMs, reps: times.length, flops, cores, achievedFraction: achievedFraction(flops, medianMs, cores, peakGflops) });
    }
    const productsMs = benchProducts(cfg, spec.name, cifarShape(spec), emit);
    emit({ case: "limit", of: "training", name: spec.name, checks: "inline", productsMs, medianMs: inlineMs, fractionOfLimit: productsMs / inlineMs, meaning: "products alone / the whole inline training: the share of the training spent at the kernel's own speed on its products" });
  }
}

/**
 * The least a training can take on the active kernel: each of its distinct products (bench/flops.ts
 * `trainingProducts`, every gemm call of a Solver training) timed alone on the active path's raw gemm,
 * times its count. Set against the training's time, it says how much goes outside the products; set
 * against numpy's whole training, whether this kernel could match numpy at all. (The checks' first
 * layer runs on packed rows in a training, slightly faster than a plain gemm: a small overestimate.)
 */
function benchProducts(cfg: BenchConfig, name: string, shape: TrainingShape, emit: (l: BenchLine) => void): number {
  const g = backendFor(getKernelPath()).gemm;
  const fill = filler(8);
  let total = 0;
  const products = trainingProducts(shape);
  for (const p of products) {
    const A = fill(new Float32Array(p.M * p.K));
    const B = fill(new Float32Array(p.K * p.N));
    const C = new Float32Array(p.M * p.N);
    const { medianMs } = measure(() => g(p.transA, p.transB, p.M, p.N, p.K, A, B, C, false), { ...cfg.timing, minSeconds: Math.min(cfg.timing.minSeconds, 0.1) });
    total += medianMs * p.count;
  }
  emit({
    case: "products",
    path: getKernelPath(),
    name,
    shapes: products.length,
    productsMs: total,
    meaning: "one training's matrix products alone, each shape timed on its own with the active kernel, times its count: the least one training can take on this kernel",
  });
  return total;
}

/** The products' FLOPs of the whole sweep (every run trains the same shapes). */
function sweepFlops(cfg: BenchConfig): number {
  const s = cfg.sweep;
  const one = trainingFlops(cifarShape(s)).total;
  return 2 * s.numScales * one;
}

async function benchSweep(cfg: BenchConfig, jobs: number, peakGflops: number, emit: (l: BenchLine) => void): Promise<void> {
  const s = cfg.sweep;
  const flops = sweepFlops(cfg);
  const data = fakeData(s.numTrain, s.numVal, 5);
  const o = { ...SWEEP_DEFAULTS, hiddenDims: s.hiddenDims, numTrain: s.numTrain, numVal: s.numVal, numEpochs: s.numEpochs, batchSize: s.batchSize, weightScales: logspace(-4, 0, s.numScales) };
  const runs = o.weightScales.length * o.normalizations.length;
  // One job trains on this thread, with its accuracy checks on the background thread (the
  // default); worker jobs check inline, as they already fill the cores.
  const checks = startBackgroundCheckThread(true, 60_000) ? "background" : "inline";
  enableBackgroundChecks();
  let t0 = performance.now();
  sweepExperiment(data, o, 231);
  let wallMs = performance.now() - t0;
  let cores = coresOf(checks);
  emit({ case: "sweep", path: getKernelPath(), jobs: 1, checks, runs, wallMs, flops, cores, achievedFraction: achievedFraction(flops, wallMs, cores, peakGflops) });
  const oneRun = benchProducts(cfg, "sweep-run", cifarShape(s), emit);
  emit({
    case: "products",
    path: getKernelPath(),
    name: "sweep",
    runs,
    cores: Math.min(jobs, os.cpus().length),
    productsMs: (oneRun * runs) / Math.min(jobs, os.cpus().length),
    meaning: "the sweep's products alone at one core's measured rates, spread evenly over the cores: the least the sweep can take on this kernel",
  });
  if (jobs > 1) {
    t0 = performance.now();
    await sweepExperimentParallel(data, o, 231, jobs);
    wallMs = performance.now() - t0;
    cores = Math.min(jobs, os.cpus().length);
    emit({ case: "sweep", path: getKernelPath(), jobs, checks: "inline", runs, wallMs, flops, cores, achievedFraction: achievedFraction(flops, wallMs, cores, peakGflops) });
    const productsMs = (oneRun * runs) / cores;
    emit({ case: "limit", of: "sweep", jobs, productsMs, wallMs, fractionOfLimit: productsMs / wallMs, meaning: "products alone (one core's rates, spread evenly) / the sweep's wall time" });
  }
}

/**
 * PyTorch CPU, one thread, on the kernel-peak product and the (50, 3072, 100) product, when
 * python3 can import torch; otherwise one line saying it was skipped.
 */
function runTorch(cfg: BenchConfig, emit: (l: BenchLine) => void): void {
  const env = pythonEnv();
  const probe = spawnSync("python3", ["-c", "import torch; print(torch.__version__)"], { encoding: "utf8", env });
  if (probe.error || probe.status !== 0) {
    emit({ case: "torch", available: false, reason: "python3 cannot import torch; PyTorch comparisons skipped" });
    return;
  }
  const shapes = [cfg.peak, ...cfg.matmul.slice(0, 1)];
  const code = [
    "import json, sys, time, torch",
    "torch.set_num_threads(1)",
    `for (M, K, N) in ${JSON.stringify(shapes)}:`,
    "    a = torch.randn(M, K); b = torch.randn(K, N)",
    "    for _ in range(2): a @ b",
    "    ts = []",
    "    for _ in range(7):",
    "        t0 = time.perf_counter(); a @ b; ts.append((time.perf_counter() - t0) * 1e3)",
    "    ts.sort(); ms = ts[len(ts) // 2]",
    "    print(json.dumps(dict(case='matmul', path='torch', dtype='float32', M=M, K=K, N=N, medianMs=ms, gflops=2.0 * M * N * K / ms / 1e6, threads=1)))",
  ].join("\n");
  const run = spawnSync("python3", ["-c", code], { encoding: "utf8", env, maxBuffer: 1 << 20 });
  if (run.status !== 0) {
    emit({ case: "torch", available: false, reason: `torch run failed: ${(run.stderr || String(run.error)).trim().split("\n").pop() ?? ""}` });
    return;
  }
  emit({ case: "torch", available: true, version: probe.stdout.trim(), threads: 1 });
  for (const l of run.stdout.split("\n").filter((x) => x.trim() !== "")) emit(JSON.parse(l) as BenchLine);
}

/** Runs numpy_ref.py with the same configuration; null (and a line saying why) when numpy is absent. */
function runNumpy(cfg: BenchConfig, cases: readonly BenchCase[], emit: (l: BenchLine) => void): BenchLine[] | null {
  const probe = probeNumpy();
  if ("reason" in probe) {
    emit({ case: "numpy", available: false, reason: probe.reason });
    return null;
  }
  emit({ case: "numpy", available: true, version: probe.version, threads: 1 });
  const want = new Set(cases);
  const run = runNumpyRef({
    timing: cfg.timing,
    dtypes: cfg.dtypes,
    matmul: want.has("matmul") ? cfg.matmul : [],
    batchnorm: want.has("batchnorm") ? cfg.batchnorm : null,
    trainStep: want.has("train-step") ? cfg.trainStep : [],
    training: want.has("training") ? cfg.training : [],
    sweep: want.has("sweep") ? cfg.sweep : null,
    sweepProcesses: cfg.sweepProcesses ?? 1,
    peak: want.has("training") || want.has("sweep") ? cfg.peak : null,
  });
  if ("reason" in run) {
    emit({ case: "numpy", available: false, reason: run.reason });
    return null;
  }
  for (const l of run.lines) emit(l);
  return run.lines;
}

const num = (l: BenchLine, k: string): number => l[k] as number;

/** Ratio lines: bnlab vs numpy for each case both ran. */
function ratios(ours: BenchLine[], theirs: BenchLine[], emit: (l: BenchLine) => void): void {
  for (const a of ours) {
    if (a.case === "matmul") {
      const b = theirs.find((t) => t.case === "matmul" && t["dtype"] === a["dtype"] && t["M"] === a["M"] && t["K"] === a["K"] && t["N"] === a["N"]);
      if (b) emit({ case: "ratio", of: "matmul", path: a["path"]!, dtype: a["dtype"]!, M: a["M"]!, K: a["K"]!, N: a["N"]!, throughputRatio: num(a, "gflops") / num(b, "gflops"), meaning: "bnlab GFLOP/s / numpy GFLOP/s (higher is better)" });
    } else if (a.case === "batchnorm-backward" || a.case === "batchnorm-forward") {
      // NOTE: numpy has no workspace variant; "alt-into-workspace" is set against numpy's alt.
      const variant = a["variant"] === "alt-into-workspace" ? "alt" : a["variant"];
      const b = theirs.find((t) => t.case === a.case && t["dtype"] === a["dtype"] && t["variant"] === variant);
      if (b) emit({ case: "ratio", of: a.case, variant: a["variant"] ?? null, dtype: a["dtype"]!, timeRatio: num(a, "medianUs") / num(b, "medianUs"), meaning: "bnlab time / numpy time (lower is better)" });
    } else if (a.case === "train-step" || a.case === "training" || a.case === "update-rule") {
      const b = theirs.find((t) => t.case === a.case && t["name"] === a["name"]);
      if (b) emit({ case: "ratio", of: a.case, name: a["name"]!, ...(a["checks"] === undefined ? {} : { checks: a["checks"] }), timeRatio: num(a, "medianMs") / num(b, "medianMs"), meaning: "bnlab time / numpy time (lower is better)" });
    } else if (a.case === "products") {
      const t = a["name"] === "sweep"
        ? theirs.find((x) => x.case === "sweep" && x["processes"] === a["cores"])
        : theirs.find((x) => x.case === "training" && x["name"] === a["name"]);
      const time = t === undefined ? undefined : num(t, a["name"] === "sweep" ? "wallMs" : "medianMs");
      if (time !== undefined) {
        emit({
          case: "ratio", of: "products", name: a["name"]!, timeRatio: num(a, "productsMs") / time,
          meaning: a["name"] === "sweep"
            ? "bnlab's sweep products alone (no overhead at all) / numpy's whole sweep in as many processes: above 1, this kernel cannot match numpy"
            : "bnlab's products alone (no overhead at all) / numpy's whole training, one thread: above 1, this kernel cannot match numpy",
        });
      }
    } else if (a.case === "sweep") {
      // Against numpy in one process, and against numpy spread over as many processes as bnlab has jobs.
      for (const b of theirs.filter((t) => t.case === "sweep" && (t["processes"] === 1 || t["processes"] === a["jobs"]))) {
        emit({ case: "ratio", of: "sweep", jobs: a["jobs"]!, checks: a["checks"]!, runs: a["runs"]!, numpyProcesses: b["processes"]!, timeRatio: num(a, "wallMs") / num(b, "wallMs"), meaning: "bnlab wall time / numpy wall time (numpy one BLAS thread per process; lower is better)" });
      }
    }
  }
}

/**
 * numpy's own achieved fractions, against numpy's rate on the same peak product (its peak line):
 * how close the student-style numpy code comes to its BLAS's best, for comparison with bnlab's.
 */
function numpyFractions(cfg: BenchConfig, theirs: BenchLine[], emit: (l: BenchLine) => void): void {
  const peak = theirs.find((t) => t.case === "peak");
  if (peak === undefined) return;
  const g = num(peak, "gflops");
  for (const t of theirs) {
    if (t.case === "training") {
      const spec = cfg.training.find((s) => s.name === t["name"]);
      if (spec === undefined) continue;
      const flops = trainingFlops(cifarShape(spec)).total;
      emit({ case: "achieved", of: "training", path: "numpy", name: spec.name, cores: 1, flops, achievedFraction: achievedFraction(flops, num(t, "medianMs"), 1, g) });
    } else if (t.case === "sweep") {
      const cores = Math.min(num(t, "processes"), os.cpus().length);
      const flops = sweepFlops(cfg);
      emit({ case: "achieved", of: "sweep", path: "numpy", processes: t["processes"]!, cores, flops, achievedFraction: achievedFraction(flops, num(t, "wallMs"), cores, g) });
    }
  }
}

/** Runs the suite; resolves when every line has been emitted. */
export async function runBench(options: BenchOptions = {}): Promise<void> {
  const emit = options.emit ?? ((l: BenchLine) => void process.stdout.write(`${JSON.stringify(l)}\n`));
  const cfg = options.tiny ? tinyConfig() : fullConfig();
  if (options.fullSweep && !options.tiny) cfg.sweep.numScales = SWEEP_DEFAULTS.weightScales.length;
  const cases = options.cases ?? BENCH_CASES;
  const jobs = options.jobs ?? Math.max(1, os.availableParallelism?.() ?? os.cpus().length);
  const started = performance.now();
  emit({
    case: "env",
    config: options.tiny ? "tiny" : "full",
    node: process.version,
    v8: process.versions.v8,
    cpu: os.cpus()[0]?.model ?? "unknown",
    cores: os.cpus().length,
    kernelPaths: availableKernelPaths(),
    defaultPath: getKernelPath(),
    cases: [...cases],
  });
  const ours: BenchLine[] = [];
  const collect = (l: BenchLine): void => {
    ours.push(l);
    emit(l);
  };
  if (cases.includes("matmul")) benchMatmul(cfg, collect);
  if (cases.includes("batchnorm")) benchBatchnorm(cfg, collect);
  if (cases.includes("train-step")) benchTrainStep(cfg, collect);
  const peakProbe = cases.some((c) => c === "training" || c === "sweep") ? benchPeak(cfg, collect) : null;
  const peak = peakProbe?.gflops ?? 0;
  if (cases.includes("training")) benchTraining(cfg, peak, collect);
  if (cases.includes("sweep")) await benchSweep(cfg, jobs, peak, collect);
  cfg.sweepProcesses = jobs;
  const theirs = options.numpy === false ? null : runNumpy(cfg, cases, emit);
  if (options.numpy === false) emit({ case: "numpy", available: false, reason: "disabled (--no-numpy)" });
  else runTorch(cfg, emit);
  if (theirs) {
    ratios(ours, theirs, emit);
    numpyFractions(cfg, theirs, emit);
    const rounds = options.interleaved ?? 0;
    if (rounds > 0) {
      const again = peakProbe?.again;
      if (cases.includes("training")) for (const l of interleavedTrainings(cfg.training, rounds, (n, v) => fakeData(n, v, 4), again)) emit(l);
      if (cases.includes("sweep")) {
        for (const l of await interleavedSweep(cfg.sweep, jobs, rounds, fakeData(cfg.sweep.numTrain, cfg.sweep.numVal, 5), true, again)) emit(l);
      }
    }
  } else if ((options.interleaved ?? 0) > 0) {
    emit({ case: "interleaved", available: false, reason: "needs numpy (see the numpy line)" });
  }
  emit({ case: "done", wallSeconds: (performance.now() - started) / 1e3 });
}

/** Parses `--tiny --full-sweep --no-numpy --only a,b --jobs N --interleaved R`; throws on anything else. */
export function parseBenchArgs(argv: readonly string[]): BenchOptions {
  const o: BenchOptions = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--tiny") o.tiny = true;
    else if (a === "--full-sweep") o.fullSweep = true;
    else if (a === "--no-numpy") o.numpy = false;
    else if (a === "--only" || a === "--jobs" || a === "--interleaved") {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      if (a === "--jobs" || a === "--interleaved") {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 1) throw new Error(`${a}: expected a positive integer, got ${JSON.stringify(v)}`);
        if (a === "--jobs") o.jobs = n;
        else o.interleaved = n;
      } else {
        o.cases = parseCases(v);
      }
    } else throw new Error(`unknown argument ${JSON.stringify(a)} (expected --tiny, --full-sweep, --no-numpy, --only <cases>, --jobs <n>, --interleaved <rounds>)`);
  }
  return o;
}

/** "matmul,sweep" → the cases; throws naming the valid ones. */
export function parseCases(v: string): BenchCase[] {
  const out: BenchCase[] = [];
  for (const c of v.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
    if (!(BENCH_CASES as readonly string[]).includes(c)) throw new Error(`--only: expected some of ${BENCH_CASES.join(", ")}, got ${JSON.stringify(c)}`);
    out.push(c as BenchCase);
  }
  return out;
}

const isEntry = process.argv[1] !== undefined && /bench[\\/]run\.(ts|js)$/.test(process.argv[1]);
if (isEntry) {
  try {
    await runBench(parseBenchArgs(process.argv.slice(2)));
  } catch (err) {
    process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  }
}
