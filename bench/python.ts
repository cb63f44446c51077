/**
 * The Python children of the benchmarks: bench/numpy_ref.py (the assignment in plain numpy) and
 * its environment. Shared by bench/run.ts and bench/interleaved.ts.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** One result line of a benchmark: a plain JSON object with at least `case`. */
export type BenchLine = { case: string } & Record<string, string | number | boolean | null | number[] | string[]>;

/**
 * The environment of the Python children: one BLAS thread per process. OPENBLAS_CORETYPE and
 * OPENBLAS_L2_SIZE are removed together (some machines set them for old OpenBLAS builds; they slow
 * a current numpy down); the `peak` line's blasCore says which kernel numpy then runs.
 */
export function pythonEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, OPENBLAS_NUM_THREADS: "1", OMP_NUM_THREADS: "1", MKL_NUM_THREADS: "1" };
  delete env["OPENBLAS_CORETYPE"];
  delete env["OPENBLAS_L2_SIZE"];
  return env;
}

/** bench/numpy_ref.py: next to this file when run from source; from dist/bench/, the repository's bench/. */
export function numpyScript(): string | undefined {
  const here = dirname(fileURLToPath(import.meta.url));
  return [join(here, "numpy_ref.py"), join(here, "..", "..", "bench", "numpy_ref.py")].find((p) => existsSync(p));
}

/** The numpy version python3 imports, or why it cannot (a sentence for a `numpy` line's reason). */
export function probeNumpy(): { version: string } | { reason: string } {
  const probe = spawnSync("python3", ["-c", "import numpy; print(numpy.__version__)"], { encoding: "utf8", env: pythonEnv() });
  if (probe.error || probe.status !== 0) {
    const reason = probe.error ? `python3 not runnable (${probe.error.message})` : `numpy not importable: ${probe.stderr.trim().split("\n").pop() ?? ""}`;
    return { reason: `${reason}; numpy comparisons skipped` };
  }
  return { version: probe.stdout.trim() };
}

/** Runs numpy_ref.py on one configuration (its JSON input); its lines, or why it failed. */
export function runNumpyRef(config: object): { lines: BenchLine[] } | { reason: string } {
  const script = numpyScript();
  if (script === undefined) return { reason: `bench/numpy_ref.py not found next to ${dirname(fileURLToPath(import.meta.url))}; numpy comparisons skipped` };
  const run = spawnSync("python3", [script, JSON.stringify(config)], { encoding: "utf8", env: pythonEnv(), maxBuffer: 1 << 24 });
  if (run.status !== 0) return { reason: `numpy_ref.py failed: ${(run.stderr || String(run.error)).trim().split("\n").pop() ?? ""}` };
  return { lines: run.stdout.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as BenchLine) };
}
