/**
 * `npm run fuzz -- --seconds S --seed X [--inputs N] [--targets a,b] [--out DIR]`
 * mutates every input bnlab parses (scripts/fuzz-targets.ts) and prints counts
 * by outcome: parsed, refused cleanly (a BnlabError, an HTTP 4xx), other. Every
 * "other" — an uncaught error type, a broken invariant, an input taking over 2 s of CPU —
 * is saved as a reproducer in DIR (default fuzz-failures/, git-ignored) and makes
 * the exit code 1. Input i of a target depends only on (seed, target, i), so a
 * seed gives the same inputs in the same order on every machine; --seconds only
 * decides how far along that sequence a run gets.
 * `npm run fuzz -- --replay FILE` runs one saved reproducer again.
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { FuzzInvariant, fuzzTargets, type FuzzTarget, type Outcome } from "./fuzz-targets.js";
import { mix, rngFor } from "./fuzz-mutate.js";

export interface FuzzOptions {
  seed: number;
  /** Stop after this many inputs in all (default: no limit). */
  inputs?: number;
  /** Stop after this long (default: no limit; one of the two must be given). */
  seconds?: number;
  /** Only these targets (default: all). */
  targets?: readonly string[];
  /** Where reproducers go (default "fuzz-failures"); null: keep them in memory only. */
  outDir?: string | null;
  /** The targets to cycle through (default `fuzzTargets()`; tests pass their own). */
  targetList?: FuzzTarget[];
}

export interface FuzzFailure {
  target: string;
  index: number;
  error: string;
  file: string | null;
}

export interface FuzzCounts {
  inputs: number;
  parsed: number;
  refused: number;
  other: number;
}

export interface FuzzReport {
  seed: number;
  seconds: number;
  total: FuzzCounts;
  byTarget: Record<string, FuzzCounts>;
  failures: FuzzFailure[];
}

/**
 * An input that takes more CPU time than this is a failure (a parser must not crawl on
 * hostile input). NOTE: CPU time, not wall time: on a loaded machine (load 30 on two cores
 * was seen) a 5 ms input can wait seconds for a core.
 */
const SLOW_MS = 2000;

function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}\n${err.stack ?? ""}`;
  return String(err);
}

/** Runs one input; what it returned or why it is a failure. */
async function runOne(t: FuzzTarget, input: Uint8Array): Promise<{ outcome: Outcome } | { error: string }> {
  const c0 = process.cpuUsage();
  try {
    const outcome = await t.run(input);
    const cpu = process.cpuUsage(c0);
    const ms = (cpu.user + cpu.system) / 1000;
    if (ms > SLOW_MS) return { error: `slow: ${ms.toFixed(0)} ms of CPU time for one input` };
    return { outcome };
  } catch (err) {
    return { error: err instanceof FuzzInvariant ? `invariant broken: ${err.message}` : describeError(err) };
  }
}

/** The fuzz loop: cycles through the targets, one input each, until a limit is reached. */
export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  if (o.inputs === undefined && o.seconds === undefined) throw new Error("runFuzz: give inputs or seconds");
  const all = o.targetList ?? fuzzTargets();
  const targets = o.targets === undefined ? all : all.filter((t) => o.targets!.includes(t.name));
  if (targets.length === 0) throw new Error(`no such target; targets: ${all.map((t) => t.name).join(", ")}`);
  const outDir = o.outDir === undefined ? "fuzz-failures" : o.outDir;
  const byTarget: Record<string, FuzzCounts> = {};
  const total: FuzzCounts = { inputs: 0, parsed: 0, refused: 0, other: 0 };
  const failures: FuzzFailure[] = [];
  for (const t of targets) {
    await t.setup();
    byTarget[t.name] = { inputs: 0, parsed: 0, refused: 0, other: 0 };
  }
  const start = performance.now();
  const deadline = o.seconds === undefined ? Infinity : start + o.seconds * 1000;
  const limit = o.inputs ?? Infinity;
  try {
    for (let round = 0; total.inputs < limit && performance.now() < deadline; round++) {
      for (let k = 0; k < targets.length && total.inputs < limit; k++) {
        const t = targets[k]!;
        // NOTE: the target's index in the full list, not in the selection, so --targets keeps the inputs.
        const input = t.generate(rngFor(mix(o.seed, all.indexOf(t), round)));
        const r = await runOne(t, input);
        const c = byTarget[t.name]!;
        c.inputs++;
        total.inputs++;
        if ("outcome" in r) {
          c[r.outcome]++;
          total[r.outcome]++;
          continue;
        }
        c.other++;
        total.other++;
        let file: string | null = null;
        if (outDir !== null) {
          mkdirSync(outDir, { recursive: true });
          file = join(outDir, `${t.name}-seed${o.seed}-${round}.bin`);
          writeFileSync(file, input);
          writeFileSync(`${file}.txt`, `target ${t.name}, seed ${o.seed}, input ${round}\nreplay: npm run fuzz -- --replay ${file}\n\n${r.error}\n`);
        }
        failures.push({ target: t.name, index: round, error: r.error.split("\n")[0]!, file });
      }
    }
  } finally {
    for (const t of targets) await t.teardown?.();
  }
  return { seed: o.seed, seconds: (performance.now() - start) / 1000, total, byTarget, failures };
}

/** The table `npm run fuzz` prints. */
export function formatReport(r: FuzzReport): string {
  const rows = [["target", "inputs", "parsed", "clean error", "other"]];
  for (const [name, c] of Object.entries(r.byTarget)) rows.push([name, String(c.inputs), String(c.parsed), String(c.refused), String(c.other)]);
  rows.push(["total", String(r.total.inputs), String(r.total.parsed), String(r.total.refused), String(r.total.other)]);
  const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  const lines = rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(w[i]!) : cell.padStart(w[i]!))).join("  "));
  lines.splice(1, 0, w.map((n) => "-".repeat(n)).join("  "));
  lines.push(`seed ${r.seed}, ${r.seconds.toFixed(1)} s`);
  for (const f of r.failures.slice(0, 20)) lines.push(`FAIL ${f.target} #${f.index}: ${f.error}${f.file !== null ? ` (${f.file})` : ""}`);
  if (r.failures.length > 20) lines.push(`… and ${r.failures.length - 20} more failures`);
  return lines.join("\n");
}

function argValue(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

function decimal(flag: string, v: string | undefined, fallback: number | undefined): number | undefined {
  if (v === undefined) return fallback;
  if (!/^\d+(\.\d+)?$/.test(v)) throw new Error(`${flag}: expected a decimal number, got ${JSON.stringify(v)}`);
  return Number(v);
}

async function cli(argv: string[]): Promise<number> {
  const replay = argValue(argv, "--replay");
  if (replay !== undefined) {
    const name = basename(replay).replace(/-seed\d+-\d+\.bin$/, "");
    const t = fuzzTargets().find((x) => x.name === name);
    if (t === undefined) throw new Error(`cannot tell the target from the file name ${basename(replay)}`);
    await t.setup();
    try {
      const r = await runOne(t, readFileSync(replay));
      process.stdout.write(`${"outcome" in r ? `outcome: ${r.outcome}` : `FAIL: ${r.error}`}\n`);
      return "outcome" in r ? 0 : 1;
    } finally {
      await t.teardown?.();
    }
  }
  const seed = decimal("--seed", argValue(argv, "--seed"), 1)!;
  const inputs = decimal("--inputs", argValue(argv, "--inputs"), undefined);
  const seconds = decimal("--seconds", argValue(argv, "--seconds"), inputs === undefined ? 60 : undefined);
  const targets = argValue(argv, "--targets")?.split(",");
  const out = argValue(argv, "--out");
  const r = await runFuzz({ seed, ...(inputs !== undefined ? { inputs } : {}), ...(seconds !== undefined ? { seconds } : {}), ...(targets ? { targets } : {}), ...(out !== undefined ? { outDir: out } : {}) });
  process.stdout.write(`${formatReport(r)}\n`);
  return r.failures.length === 0 ? 0 : 1;
}

const isEntry = process.argv[1] !== undefined && /scripts[\\/]fuzz\.(ts|js)$/.test(process.argv[1]);
if (isEntry) {
  cli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`fuzz: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    },
  );
}
