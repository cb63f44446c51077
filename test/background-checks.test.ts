/**
 * Background accuracy checks (SolverOptions.backgroundChecks): the Solver with its
 * checks on another thread must give exactly what inline checks give — histories,
 * progress reports in order, the best model restored, the stream's state — and
 * fall back to inline checks when the checker is not ready or fails.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { captureCliOutput } from "./helpers/cli-capture.js";
import {
  FullyConnectedNet,
  OptionError,
  RandomState,
  Solver,
  Tensor,
  startBackgroundCheckThread,
  type BackgroundChecker,
  type CheckOutcome,
  type Dataset,
  type Normalization,
  type SolverOptions,
  type SolverProgress,
} from "../src/node.js";
// NOTE: the checker's internals and the registration hook are not part of the public entries.
import { MAX_SHARED_BYTES, nodeBackgroundChecker } from "../src/train/background-checks.js";
import { setBackgroundCheckerFactory } from "../src/train/solver.js";

function data(seed: number, numTrain: number, numVal: number, dim: number): Dataset {
  const rs = new RandomState(seed);
  return {
    xTrain: new Tensor(Float32Array.from(rs.randn(numTrain, dim).data), [numTrain, dim]),
    yTrain: rs.randint(0, 10, numTrain),
    xVal: new Tensor(Float32Array.from(rs.randn(numVal, dim).data), [numVal, dim]),
    yVal: rs.randint(0, 10, numVal),
  };
}

interface Run {
  solver: Solver;
  model: FullyConnectedNet;
  progress: SolverProgress[];
}

function run(d: Dataset, normalization: Normalization, opts: SolverOptions): Run {
  const model = new FullyConnectedNet({ hiddenDims: [40, 30], inputDim: d.xTrain.shape[1]!, normalization, weightScale: 5e-2, seed: 3 });
  const progress: SolverProgress[] = [];
  const solver = new Solver(model, d, {
    updateRule: "adam",
    optimConfig: { learningRate: 5e-3 },
    batchSize: 25,
    numEpochs: 6,
    seed: 11,
    onProgress: (p) => progress.push({ ...p }),
    ...opts,
  });
  solver.train();
  return { solver, model, progress };
}

function expectSameRun(a: Run, b: Run): void {
  expect(b.solver.lossHistory).toEqual(a.solver.lossHistory);
  expect(b.solver.trainAccHistory).toEqual(a.solver.trainAccHistory);
  expect(b.solver.valAccHistory).toEqual(a.solver.valAccHistory);
  expect(b.solver.accIterations).toEqual(a.solver.accIterations);
  expect(b.solver.bestValAcc).toBe(a.solver.bestValAcc);
  expect(b.progress).toEqual(a.progress);
  const sa = a.model.snapshot();
  const sb = b.model.snapshot();
  for (const [name, v] of sa.params) expect(Array.from(sb.params.get(name)!), name).toEqual(Array.from(v));
  for (const [name, v] of sa.buffers) expect(Array.from(sb.buffers.get(name)!), name).toEqual(Array.from(v));
  expect(b.solver.rng.getState()).toEqual(a.solver.rng.getState());
}

/** Wraps the Node factory to count what went to the thread. */
function countingFactory(): { submitted: number } {
  const counts = { submitted: 0 };
  setBackgroundCheckerFactory((model, d, force) => {
    const inner = nodeBackgroundChecker(model, d, force);
    if (inner === null) return null;
    return {
      ready: () => inner.ready(),
      submit: (s, t, v, w) => {
        counts.submitted++;
        inner.submit(s, t, v, w);
      },
      poll: () => inner.poll(),
      wait: () => inner.wait(),
      end: () => inner.end(),
    };
  });
  return counts;
}

afterEach(() => setBackgroundCheckerFactory(nodeBackgroundChecker));
const io = captureCliOutput();

describe("background accuracy checks", () => {
  const d = data(5, 300, 120, 64);

  it("the thread starts and gives the inline results exactly (batch norm, all rows)", () => {
    expect(startBackgroundCheckThread(true, 60_000)).toBe(true);
    const counts = countingFactory();
    const inline = run(d, "batchnorm", { backgroundChecks: false });
    const bg = run(d, "batchnorm", { backgroundChecks: true });
    // 6 epochs of 12 iterations: a check after the first iteration and after each epoch.
    expect(inline.solver.valAccHistory).toHaveLength(7);
    expect(counts.submitted).toBe(7);
    expectSameRun(inline, bg);
  });

  it("gives the inline results with subsampled checks (the masks are drawn on the main thread, in order)", () => {
    expect(startBackgroundCheckThread(true, 60_000)).toBe(true);
    const counts = countingFactory();
    const o: SolverOptions = { numTrainSamples: 100, numValSamples: 50 };
    const inline = run(d, null, { ...o, backgroundChecks: false });
    const bg = run(d, null, { ...o, backgroundChecks: true });
    expect(counts.submitted).toBe(7);
    expectSameRun(inline, bg);
  });

  it("checks inline while the checker is not ready, and recovers from a failed check", () => {
    let calls = 0;
    setBackgroundCheckerFactory(() => {
      const outcomes: CheckOutcome[] = [];
      const c: BackgroundChecker = {
        ready: () => ++calls > 2,
        // Every check "fails" on the fake thread: the Solver must measure it itself.
        submit: () => void outcomes.push({ error: "fake failure" }),
        poll: () => (calls % 2 === 0 ? (outcomes.shift() ?? null) : null),
        wait: () => outcomes.shift()!,
        end: () => void outcomes.splice(0),
      };
      return c;
    });
    const inline = run(d, "batchnorm", { backgroundChecks: false });
    const fake = run(d, "batchnorm", { backgroundChecks: true });
    expect(calls).toBeGreaterThan(2);
    expectSameRun(inline, fake);
  });

  it("keeps progress in order while results arrive late, and ends the checker when onProgress throws", () => {
    let ended = 0;
    let pending: CheckOutcome[] = [];
    setBackgroundCheckerFactory((model, dd, force) => {
      const inner = nodeBackgroundChecker(model, dd, force)!;
      return {
        ready: () => inner.ready(),
        submit: (s, t, v, w) => inner.submit(s, t, v, w),
        // Never a result before the end: every progress report after a check must wait.
        poll: () => null,
        wait: () => {
          if (pending.length === 0) pending = [inner.wait()];
          return pending.shift()!;
        },
        end: () => {
          ended++;
          inner.end();
        },
      };
    });
    expect(startBackgroundCheckThread(true, 60_000)).toBe(true);
    const inline = run(d, "batchnorm", { backgroundChecks: false });
    const late = run(d, "batchnorm", { backgroundChecks: true });
    expectSameRun(inline, late);
    expect(ended).toBe(1);
    const model = new FullyConnectedNet({ hiddenDims: [10], inputDim: 64, seed: 1 });
    const solver = new Solver(model, d, {
      batchSize: 50, numEpochs: 2, backgroundChecks: true,
      onProgress: (p) => {
        if (p.valAcc !== undefined) throw new Error("stop");
      },
    });
    expect(() => solver.train()).toThrow("stop");
    expect(ended).toBe(2);
  });

  it("finishes without an onProgress while checks are outstanding (nothing to report to)", () => {
    expect(startBackgroundCheckThread(true, 60_000)).toBe(true);
    const counts = countingFactory();
    const inline = run(d, "batchnorm", { backgroundChecks: false, onProgress: undefined as never });
    const bg = run(d, "batchnorm", { backgroundChecks: true, onProgress: undefined as never });
    expect(counts.submitted).toBe(7);
    expectSameRun(inline, bg);
  });

  it("is off for models it cannot rebuild, and the option is validated", () => {
    class Custom extends FullyConnectedNet {}
    const m = new Custom({ hiddenDims: [10], inputDim: 64, seed: 1 });
    expect(nodeBackgroundChecker(m, d, true)).toBeNull();
    // Data over MAX_SHARED_BYTES is not copied to the thread (checked without allocating it: a view's byteLength).
    const big = new Tensor(new Float32Array(1), [1, 1]);
    Object.defineProperty(big.data, "byteLength", { value: MAX_SHARED_BYTES + 1 });
    const plainNet = new FullyConnectedNet({ hiddenDims: [10], inputDim: 64, seed: 1 });
    expect(nodeBackgroundChecker(plainNet, { ...d, xTrain: big }, true)).toBeNull();
    expect(nodeBackgroundChecker(plainNet, d, true)).not.toBeNull();
    const plain = new FullyConnectedNet({ hiddenDims: [10], inputDim: 64, seed: 1 });
    expect(() => new Solver(plain, d, { backgroundChecks: "yes" as unknown as boolean })).toThrow(OptionError);
    expect(() => new Solver(plain, d, { backgroundChecks: "yes" as unknown as boolean })).toThrow(/backgroundChecks/);
  });

  it("bnlab train uses the thread and prints what BNLAB_BACKGROUND_CHECKS=0 prints", async () => {
    expect(startBackgroundCheckThread(true, 60_000)).toBe(true);
    const out = mkdtempSync(join(tmpdir(), "bnlab-bg-cli-"));
    const argv = ["train", "--synthetic", "--json", "--out", out, "--hidden", "30,20", "--epochs", "3", "--num-train", "200", "--num-val", "100", "--batch-size", "20"];
    const withoutTime = (text: string): unknown => JSON.parse(text, (k, v: unknown) => (k === "seconds" ? 0 : v));
    const saved = process.env["BNLAB_BACKGROUND_CHECKS"];
    try {
      process.env["BNLAB_BACKGROUND_CHECKS"] = "0";
      let counts = countingFactory();
      expect(await main(argv)).toBe(0);
      expect(counts.submitted).toBe(0);
      const inline = withoutTime(io.stdout);
      const before = io.stdout.length;
      delete process.env["BNLAB_BACKGROUND_CHECKS"];
      counts = countingFactory();
      expect(await main(argv)).toBe(0);
      // 3 epochs: the first iteration and each epoch end.
      expect(counts.submitted).toBe(4);
      expect(withoutTime(io.stdout.slice(before))).toEqual(inline);
    } finally {
      if (saved === undefined) delete process.env["BNLAB_BACKGROUND_CHECKS"];
      else process.env["BNLAB_BACKGROUND_CHECKS"] = saved;
      rmSync(out, { recursive: true, force: true });
    }
  }, 60_000);
});
