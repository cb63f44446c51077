/**
 * bnlab against numpy, interleaved round by round: each round runs one bnlab measurement and then
 * the same numpy one, so that a shared machine's drift (20–40 % within minutes on the reference
 * machine) lands on both sides alike. Each result is one `ratio` line with `"interleaved": true`,
 * every round's times, the per-round ratios and `timeRatio`, their median.
 *
 * - the trainings with every check inline, on process CPU time (waiting for a core is not counted;
 *   cache and memory contention still are); numpy runs numpy_ref.py with `"clock": "cpu"`;
 * - the parallel sweep on `jobs` worker threads, wall time, against numpy's same runs in a pool of
 *   as many processes (one BLAS thread each) and, optionally, in one process.
 *
 * Given a peak probe (the best kernel's float32 rate on the peak product, one thread, measured
 * again), each round also measures the peak just before and just after its bnlab measurement and
 * keeps the higher (a slow moment during a short probe would otherwise lower the peak and flatter
 * the fraction), and the line carries that round's achieved fraction (products' FLOPs ÷ (time ×
 * cores × that peak)): `peakGflops`, `achievedFractions` and `achievedFraction`, their median.
 *
 * Used by `npm run bench -- --interleaved N` (bench/run.ts) and bench/cpu-ratio.ts.
 */
import { FullyConnectedNet, Solver, backendFor, gemmReference, getKernelPath, logspace, normRelError } from "../src/index.js";
import type { Dataset, Normalization } from "../src/index.js";
import { availableParallelism } from "node:os";
import { SWEEP_DEFAULTS, sweepExperimentParallel } from "../src/node.js";
import { achievedFraction, cifarShape, trainingFlops } from "./flops.js";
import { runNumpyRef, type BenchLine } from "./python.js";

/** A training both sides run (bench/run.ts's training cases). */
export interface InterleavedTraining {
  name: string;
  hiddenDims: number[];
  normalization: Normalization;
  weightScale: number;
  numTrain: number;
  numVal: number;
  numEpochs: number;
  batchSize: number;
}

/** The sweep both sides run (bench/run.ts's sweep case). */
export interface InterleavedSweep {
  hiddenDims: number[];
  numScales: number;
  numTrain: number;
  numVal: number;
  numEpochs: number;
  batchSize: number;
}

/** numpy_ref.py's input with every case off; a measurement turns one on. */
const NOTHING = { timing: { warmup: 0, reps: 1, minSeconds: 0 }, dtypes: [], matmul: [], batchnorm: null, trainStep: [], training: [], sweep: null };

/** The median (of an even count: the mean of the middle two). */
function median(a: readonly number[]): number {
  const s = [...a].sort((p, q) => p - q);
  const h = s.length >> 1;
  return s.length % 2 === 1 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
}

function numpyLines(config: object): BenchLine[] {
  const r = runNumpyRef({ ...NOTHING, ...config });
  if ("reason" in r) throw new Error(r.reason);
  return r.lines;
}

function ratioLine(head: BenchLine, ours: readonly number[], theirs: readonly number[], meaning: string): BenchLine {
  const roundRatios = ours.map((o, i) => o / theirs[i]!);
  return {
    ...head,
    interleaved: true,
    rounds: ours.length,
    bnlabMs: [...ours],
    numpyMs: [...theirs],
    roundRatios,
    timeRatio: median(roundRatios),
    meaning,
  };
}

/** One bnlab training (Adam, lr 1e-3, every check inline), its process CPU time in ms. */
function bnlabTrainingCpuMs(spec: InterleavedTraining, data: Dataset, seed: number): number {
  const model = new FullyConnectedNet({ hiddenDims: spec.hiddenDims, normalization: spec.normalization, weightScale: spec.weightScale, seed });
  const solver = new Solver(model, data, {
    updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: spec.batchSize, numEpochs: spec.numEpochs, seed, backgroundChecks: false,
  });
  const t0 = process.cpuUsage();
  solver.train();
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / 1e3;
}

/** The per-round fields of a line whose rounds measured the peak too (see the module comment). */
function fractionFields(peaks: readonly number[], fractions: readonly number[]): Record<string, number | number[]> {
  if (peaks.length === 0) return {};
  return { peakGflops: [...peaks], achievedFractions: [...fractions], achievedFraction: median(fractions) };
}

/**
 * The trainings, one thread, checks inline, `rounds` alternations each: one ratio line per training.
 * With `peak` (a probe of the kernel peak, GFLOP/s per core), each round's achieved fraction too.
 */
export function interleavedTrainings(
  specs: readonly InterleavedTraining[],
  rounds: number,
  data: (numTrain: number, numVal: number) => Dataset,
  peak?: () => number,
): BenchLine[] {
  const out: BenchLine[] = [];
  let warm = false;
  for (const spec of specs) {
    const d = data(spec.numTrain, spec.numVal);
    // NOTE: the first training of a process also compiles; it is not a round.
    if (!warm) bnlabTrainingCpuMs(spec, d, 99);
    warm = true;
    const ours: number[] = [];
    const theirs: number[] = [];
    const peaks: number[] = [];
    const fractions: number[] = [];
    const flops = trainingFlops(cifarShape(spec)).total;
    for (let r = 0; r < rounds; r++) {
      const before = peak?.();
      ours.push(bnlabTrainingCpuMs(spec, d, r));
      if (peak !== undefined) {
        peaks.push(Math.max(before!, peak()));
        fractions.push(achievedFraction(flops, ours[r]!, 1, peaks[r]!));
      }
      const line = numpyLines({ clock: "cpu", training: [{ ...spec, repeats: 1 }] }).find((l) => l.case === "training");
      if (line === undefined) throw new Error("numpy_ref.py printed no training line");
      theirs.push(line["medianMs"] as number);
    }
    const line = ratioLine({ case: "ratio", of: "training", name: spec.name, checks: "inline", clock: "cpu" }, ours, theirs, "bnlab CPU time / numpy CPU time, one thread each, measured in alternation round by round; timeRatio is the median of the rounds' ratios (lower is better)");
    out.push({ ...line, flops, cores: 1, ...fractionFields(peaks, fractions) });
  }
  return out;
}

/**
 * A peak probe for bench/cpu-ratio.ts: the active kernel path's best float32 rate (GFLOP/s, the
 * fastest of 7 calls after a warm-up) on the (M, K, N) product, each time it is called. Its first
 * rows are checked against the reference once (bench/run.ts validates the whole product).
 */
export function activePeakProbe(M = 1000, K = 3072, N = 512): () => number {
  const g = backendFor(getKernelPath()).gemm;
  const A = Float32Array.from({ length: M * K }, (_, i) => ((i * 2654435761) % 1000) / 1000 - 0.5);
  const B = Float32Array.from({ length: K * N }, (_, i) => ((i * 40503) % 997) / 997 - 0.5);
  const C = new Float32Array(M * N);
  g(false, false, M, N, K, A, B, C, false);
  const rows = Math.min(M, 2);
  const ref = new Float64Array(rows * N);
  gemmReference(false, false, rows, N, K, Float64Array.from(A.subarray(0, rows * K)), Float64Array.from(B), ref, false);
  const relErr = normRelError(C.subarray(0, rows * N), ref);
  if (!(relErr <= 1e-4)) throw new Error(`peak product (${M},${K},${N}) on ${getKernelPath()} is wrong: relative error ${relErr}`);
  return () => fastestGflops(() => g(false, false, M, N, K, A, B, C, false), 2 * M * N * K);
}

/** A peak probe's reading: `product` (of `flop` FLOPs) called once, then timed 7 times; the fastest, in GFLOP/s. */
export function fastestGflops(product: () => void, flop: number): number {
  product();
  let fastest = Infinity;
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    product();
    fastest = Math.min(fastest, performance.now() - t0);
  }
  return flop / fastest / 1e6;
}

/**
 * The sweep on `jobs` workers against numpy's pool of `jobs` processes (and numpy in one process
 * when `oneProcess`), wall time, `rounds` alternations: a ratio line per numpy side. With `peak` (a
 * probe of the kernel peak, GFLOP/s per core), each round's achieved fraction on min(jobs, cores) cores too.
 */
export async function interleavedSweep(
  spec: InterleavedSweep,
  jobs: number,
  rounds: number,
  data: Dataset,
  oneProcess: boolean,
  peak?: () => number,
): Promise<BenchLine[]> {
  const o = {
    ...SWEEP_DEFAULTS, hiddenDims: spec.hiddenDims, numTrain: spec.numTrain, numVal: spec.numVal, numEpochs: spec.numEpochs, batchSize: spec.batchSize,
    weightScales: logspace(-4, 0, spec.numScales),
  };
  const runs = o.weightScales.length * o.normalizations.length;
  const ours: number[] = [];
  const pool: number[] = [];
  const single: number[] = [];
  const peaks: number[] = [];
  const fractions: number[] = [];
  const cores = Math.min(jobs, availableParallelism());
  const flops = runs * trainingFlops(cifarShape(spec)).total;
  for (let r = 0; r < rounds; r++) {
    const before = peak?.();
    const t0 = performance.now();
    await sweepExperimentParallel(data, o, 231, jobs);
    ours.push(performance.now() - t0);
    if (peak !== undefined) {
      peaks.push(Math.max(before!, peak()));
      fractions.push(achievedFraction(flops, ours[r]!, cores, peaks[r]!));
    }
    const lines = numpyLines({ sweep: spec, sweepProcesses: jobs, sweepPoolOnly: !oneProcess }).filter((l) => l.case === "sweep");
    const p = lines.find((l) => l["processes"] === jobs);
    const s = lines.find((l) => l["processes"] === 1);
    if (p === undefined || (oneProcess && s === undefined)) throw new Error("numpy_ref.py printed no sweep line for the pool or for one process");
    pool.push(p["wallMs"] as number);
    if (s !== undefined) single.push(s["wallMs"] as number);
  }
  const meaning = "bnlab wall time / numpy wall time (one BLAS thread per process), measured in alternation round by round; timeRatio is the median of the rounds' ratios (lower is better)";
  const head = { case: "ratio", of: "sweep", jobs, checks: "inline", runs, clock: "wall" };
  const extra = peak === undefined ? {} : { flops, cores, ...fractionFields(peaks, fractions) };
  const out = [{ ...ratioLine({ ...head, numpyProcesses: jobs }, ours, pool, meaning), ...extra }];
  if (oneProcess && jobs !== 1) out.push({ ...ratioLine({ ...head, numpyProcesses: 1 }, ours, single, meaning), ...extra });
  return out;
}
