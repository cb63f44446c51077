/**
 * Micro-benchmark of RandomState's normal and uniform draws (not a test):
 * median wall time of randn(3072, 100) and rand(3072, 100) over several runs.
 *
 *   npx tsx bench/random-bench.ts [runs]
 */
import { RandomState } from "../src/node.js";

const runs = Number(process.argv[2] ?? 9);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function time(label: string, f: () => void): void {
  f(); // warm-up
  f();
  const ts: number[] = [];
  for (let k = 0; k < runs; k++) {
    const t0 = performance.now();
    f();
    ts.push(performance.now() - t0);
  }
  console.log(`${label}: median ${median(ts).toFixed(1)} ms over ${runs} runs (min ${Math.min(...ts).toFixed(1)})`);
}

const rng = new RandomState(231);
let sink = 0;
time("randn(3072, 100)", () => {
  sink += rng.randn(3072, 100).data[7]!;
});
time("rand(3072, 100)", () => {
  sink += rng.rand(3072, 100).data[7]!;
});
time("standardNormal() x 307200", () => {
  for (let i = 0; i < 307200; i++) sink += rng.standardNormal();
});
if (Number.isNaN(sink)) console.log("unreachable");
