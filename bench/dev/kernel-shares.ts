/**
 * Where one training's time goes, kernel by kernel: wraps the wasm-simd backend's kernels (the
 * affine forward and parameter backward, gemm, the checks' packed-input forward, batch norm,
 * ReLU, Adam) with a timer, trains once per REPS (checks inline) and prints the training's time
 * split into steps, `model.loss` and `model.scores`, then per kernel and call shape the count,
 * the total time and GFLOP/s. A wrapper costs about a microsecond per call. The figures of
 * docs/performance.md ("Issue 15, fourth round") come from this probe.
 *
 *   npx tsx bench/dev/kernel-shares.ts [--six] [--no-bn]      (REPS=3; default: the sweep's eight-layer net)
 */
import { FullyConnectedNet, Solver, backendFor } from "../../src/node.js";
import type { Backend } from "../../src/node.js";
import { fakeDataset } from "../fake-rows.js";

type Fn = (...args: never[]) => unknown;
const stats = new Map<string, { ms: number; calls: number; flop: number }>();

/** Replaces obj[name] (a kernel) by a timed call that files its time under key(args). */
function timed<T extends object>(obj: T | undefined, name: keyof T & string, key: (args: readonly unknown[]) => [string, number]): void {
  if (obj === undefined) throw new Error(`the wasm-simd backend has no ${name} kernel here`);
  const f = obj[name] as unknown as Fn;
  const wrapped = (...args: never[]): unknown => {
    const t0 = performance.now();
    const r = f.apply(obj, args);
    const ms = performance.now() - t0;
    const [k, flop] = key(args);
    const s = stats.get(k) ?? { ms: 0, calls: 0, flop: 0 };
    s.ms += ms;
    s.calls++;
    s.flop += flop;
    stats.set(k, s);
    return r;
  };
  (obj as Record<string, unknown>)[name] = wrapped;
}

/** Replaces the method obj[name] by one that hands its time (ms) to `add`. */
function clock<T extends object>(obj: T, name: keyof T & string, add: (ms: number) => void): void {
  const f = (obj[name] as unknown as Fn).bind(obj);
  (obj as Record<string, unknown>)[name] = (...args: never[]): unknown => {
    const t0 = performance.now();
    const out = f(...args);
    add(performance.now() - t0);
    return out;
  };
}

const n = (x: unknown): number => x as number;
const len = (x: unknown): number => (x as ArrayLike<number>).length;
const b: Backend = backendFor("wasm-simd");
timed(b.affine, "forward", (a) => [`affine ${n(a[0])}x${n(a[1])}x${n(a[2])}`, 2 * n(a[0]) * n(a[1]) * n(a[2])]);
timed(b.affine, "paramBackward", (a) => [`dW ${n(a[1])}x${n(a[2])}x${n(a[0])} (Aᵀ)`, 2 * n(a[0]) * n(a[1]) * n(a[2])]);
timed(b, "gemm", (a) => [`gemm ${n(a[2])}x${n(a[3])}x${n(a[4])}${a[0] ? " tA" : ""}${a[1] ? " tB" : ""}`, 2 * n(a[2]) * n(a[3]) * n(a[4])]);
timed(b.packedAffine, "forward", (a) => {
  const op = a[0] as { rows: number; cols: number };
  return [`packed ${op.rows}x${n(a[1])}x${op.cols}`, 2 * op.rows * n(a[1]) * op.cols];
});
timed(b.batchnorm, "forward", (a) => [`batchnorm ${a[0] ? "train" : "test"} ${n(a[1])}x${n(a[2])}`, 0]);
timed(b.batchnorm, "alt", (a) => [`batchnorm backward ${n(a[0])}x${n(a[1])}`, 0]);
timed(b.optimF32, "adam", (a) => [`adam ${len(a[0]) > 10_000 ? "first layer's W" : "the others"}`, 0]);
timed(b.relu, "forward", (a) => [`relu ${len(a[0])}`, 0]);
timed(b.relu, "backward", (a) => [`relu backward ${len(a[0])}`, 0]);

const data = fakeDataset();
const six = process.argv.includes("--six");
const hiddenDims = six ? [100, 100, 100, 100, 100] : [50, 50, 50, 50, 50, 50, 50];
const reps = Number(process.env["REPS"] ?? 3);
for (let r = 0; r < reps; r++) {
  stats.clear();
  const model = new FullyConnectedNet({ hiddenDims, normalization: process.argv.includes("--no-bn") ? null : "batchnorm", weightScale: six ? 2e-2 : 1e-2, seed: r });
  const solver = new Solver(model, data, { updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: 50, numEpochs: 10, seed: r, backgroundChecks: false });
  const split = { step: 0, loss: 0, scores: 0 };
  clock(solver, "step", (ms) => (split.step += ms));
  clock(model, "loss", (ms) => (split.loss += ms));
  clock(model, "scores", (ms) => (split.scores += ms));
  const t0 = performance.now();
  solver.train();
  const total = performance.now() - t0;
  const rows = [...stats].sort((x, y) => y[1].ms - x[1].ms);
  const inKernels = rows.reduce((s, [, v]) => s + v.ms, 0);
  console.log(
    `training ${total.toFixed(0)} ms: steps ${split.step.toFixed(0)} (model.loss ${split.loss.toFixed(0)}), model.scores ${split.scores.toFixed(0)}; ` +
      `in these kernels ${inKernels.toFixed(0)} ms (${((100 * inKernels) / total).toFixed(0)} %)`,
  );
  if (r < reps - 1) continue;
  for (const [k, v] of rows) {
    const rate = v.flop > 0 ? `${(v.flop / v.ms / 1e6).toFixed(1).padStart(5)} GFLOP/s` : "";
    console.log(`  ${k.padEnd(30)} ${String(v.calls).padStart(5)} calls ${v.ms.toFixed(1).padStart(7)} ms ${((100 * v.ms) / total).toFixed(1).padStart(5)} %  ${rate}`);
  }
}
