/**
 * bnlab against numpy, interleaved round by round (bench/interleaved.ts), on its own: the same
 * `ratio` lines as `npm run bench -- --interleaved R`, without the rest of the suite.
 *
 * Default: the one-thread trainings (six-layer [100]×5 with and without BN, 1000 samples,
 * 10 epochs, checks inline) on process CPU time.
 *
 * --sweep: the notebook's full weight-scale sweep (cell 7: 20 scales, 40 runs, 1000 fake rows,
 * 10 epochs) in wall time, bnlab on `--jobs` worker threads (default: one per core) against
 * numpy's same runs in a pool of as many processes (one BLAS thread each): issue 15's
 * "2 workers vs numpy in 2 processes". --one-process also times numpy's runs in one process each
 * round (issue 15's "≤ 0.55× numpy in one process").
 *
 * Each round measures the kernel peak (1000 × 3072 × 512 float32, one thread) just before and just
 * after its bnlab measurement (bench/interleaved.ts), and each line carries the rounds' achieved fractions.
 *
 *   npx tsx bench/cpu-ratio.ts [--rounds 4]
 *   npx tsx bench/cpu-ratio.ts --sweep [--rounds 3] [--jobs 2] [--one-process]
 */
import { availableParallelism } from "node:os";
import { SWEEP_DEFAULTS } from "../src/node.js";
import { fakeDataset } from "./fake-rows.js";
import { activePeakProbe, interleavedSweep, interleavedTrainings, type InterleavedTraining } from "./interleaved.js";

function fail(message: string): never {
  process.stderr.write(`cpu-ratio: ${message}\n`);
  process.exit(1);
}

const args = process.argv.slice(2);
const known = new Set(["--sweep", "--one-process", "--rounds", "--jobs"]);
for (let i = 0; i < args.length; i++) {
  if (!known.has(args[i]!)) fail(`unknown argument ${JSON.stringify(args[i])} (expected --sweep, --one-process, --rounds <n>, --jobs <n>)`);
  if (args[i] === "--rounds" || args[i] === "--jobs") i++;
}
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(name);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) fail(`${name}: expected a positive integer, found ${JSON.stringify(args[i + 1] ?? null)}`);
  return v;
};
const sweep = args.includes("--sweep");
const rounds = option("--rounds", sweep ? 3 : 4);
const jobs = option("--jobs", availableParallelism());
const data = fakeDataset();
const print = (l: object): void => void process.stdout.write(`${JSON.stringify(l)}\n`);

try {
  if (sweep) {
    const o = SWEEP_DEFAULTS;
    const spec = { hiddenDims: [...o.hiddenDims], numScales: o.weightScales.length, numTrain: 1000, numVal: 1000, numEpochs: o.numEpochs, batchSize: o.batchSize };
    for (const l of await interleavedSweep(spec, jobs, rounds, data, args.includes("--one-process"), activePeakProbe())) print(l);
  } else {
    const base = { hiddenDims: [100, 100, 100, 100, 100], weightScale: 2e-2, numTrain: 1000, numVal: 1000, numEpochs: 10, batchSize: 50 };
    const specs: InterleavedTraining[] = [
      { name: "six-layer-bn", normalization: "batchnorm", ...base },
      { name: "six-layer", normalization: null, ...base },
    ];
    for (const l of interleavedTrainings(specs, rounds, () => data, activePeakProbe())) print(l);
  }
} catch (err) {
  fail(err instanceof Error ? err.message : String(err));
}
