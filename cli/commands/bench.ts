/**
 * `bnlab bench`: the benchmark suite of bench/run.ts (matmul on every kernel path,
 * batch norm, a training step, full trainings, a reduced weight-scale sweep), with
 * numpy side by side when python3 with numpy is present.
 */
import type { Command } from "commander";
import { BnlabError, OptionError } from "../../src/node.js";
import { intOption, jobsOption } from "../options.js";
import type { BenchCase, BenchLine } from "../../bench/run.js";

type BenchModule = typeof import("../../bench/run.js");

/**
 * bench/ is in a clone only, not in the npm package (it needs the repository's numpy
 * peers and is no part of the library), so it is loaded when the command runs.
 */
async function loadBench(): Promise<BenchModule> {
  // NOTE: a computed specifier: the build (tsc) and bundlers then leave bench/ out of the package.
  const spec = ["..", "..", "bench", "run.js"].join("/");
  try {
    return (await import(spec)) as BenchModule;
  } catch (err) {
    const missing = (err as { code?: unknown }).code === "ERR_MODULE_NOT_FOUND" && String((err as Error).message).includes("bench");
    if (!missing) throw err;
    throw new BnlabError("bnlab bench runs from a clone of the bnlab repository (the benchmarks are not part of the installed package): clone it, run npm ci, then npx bnlab bench");
  }
}

/** A one-line human rendering of a result line. */
function describe(l: BenchLine): string {
  const { case: kind, ...rest } = l;
  const fmt = (v: unknown): string => (typeof v === "number" && !Number.isInteger(v) ? v.toPrecision(4) : Array.isArray(v) ? v.join(",") : String(v));
  return `${kind.padEnd(20)} ${Object.entries(rest)
    .filter(([k]) => k !== "meaning")
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(" ")}`;
}

export function register(program: Command): void {
  program
    .command("bench")
    .description("time the kernels, batch norm and training against numpy (when present); prints one line per result")
    .option("--json", "print JSON lines (the format of `npm run bench`)")
    .option("--tiny", "a seconds-long configuration with tiny shapes (checks the machinery; figures mean nothing)")
    .option("--full-sweep", "time the notebook's full weight-scale sweep (20 scales) instead of a reduced one (4 scales)")
    .option("--no-numpy", "skip the numpy comparison")
    .option("--only <cases>", "comma-separated subset of matmul, batchnorm, train-step, training, sweep (bench/run.ts: BENCH_CASES)")
    .option("--jobs <n>", "worker threads for the parallel sweep (default: one per core)")
    .option("--interleaved <rounds>", "then the trainings and the sweep again, bnlab and numpy alternating round by round (ratios robust to a drifting machine)", intOption("--interleaved", 1, 100))
    .action(async (opts: { json?: boolean; tiny?: boolean; fullSweep?: boolean; numpy: boolean; only?: string; jobs?: string; interleaved?: number }) => {
      const { BENCH_CASES, runBench } = await loadBench();
      let cases: BenchCase[] | undefined;
      if (opts.only !== undefined) {
        cases = [];
        for (const c of opts.only.split(",").map((s) => s.trim()).filter((s) => s !== "")) {
          if (!(BENCH_CASES as readonly string[]).includes(c)) throw new OptionError("--only", `some of ${BENCH_CASES.join(", ")}`, c);
          cases.push(c as BenchCase);
        }
      }
      const jobs = opts.jobs === undefined ? undefined : jobsOption(opts.jobs);
      await runBench({
        tiny: opts.tiny === true,
        fullSweep: opts.fullSweep === true,
        numpy: opts.numpy,
        ...(cases ? { cases } : {}),
        ...(jobs ? { jobs } : {}),
        ...(opts.interleaved !== undefined ? { interleaved: opts.interleaved } : {}),
        emit: (l) => void process.stdout.write(`${opts.json ? JSON.stringify(l) : describe(l)}\n`),
      });
    });
}
