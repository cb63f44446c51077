/**
 * The FLOP counter of bench/flops.ts against counts done by hand, and against the
 * products a real training performs (every gemm call counted by a wrapper backend).
 */
import { describe, expect, it } from "vitest";
import { achievedFraction, countChecks, trainingFlops, trainingProducts } from "../bench/flops.js";
import { FullyConnectedNet, Solver, Tensor, availableKernelPaths, getKernelPath, setKernelPath } from "../src/index.js";
import { backendFor, registerBackend } from "../src/kernels/index.js";

describe("trainingFlops", () => {
  it("counts the eight-layer sweep run by hand", () => {
    // dims 3072, 50×7, 10: Σ d_i·d_{i+1} = 3072·50 + 6·50·50 + 50·10 = 153600 + 15000 + 500 = 169100.
    // step, batch 50: forward 2·50·169100 = 16 910 000; dW 16 910 000; dx without the first layer
    // 2·50·(169100 − 153600) = 1 550 000: 35 370 000 per step.
    // 1000 rows / 50 = 20 iterations per epoch, 10 epochs = 200 iterations; checks at t = 0 and the
    // 10 epoch ends (t = 199 is one of them): 11 checks × (1000 + 1000) rows × 2 × 169100.
    const f = trainingFlops({ inputDim: 3072, hiddenDims: [50, 50, 50, 50, 50, 50, 50], numClasses: 10, numTrain: 1000, numVal: 1000, batchSize: 50, numEpochs: 10 });
    expect(f.stepFlops).toBe(35_370_000);
    expect(f.iterations).toBe(200);
    expect(f.checks).toBe(11);
    expect(f.checkRows).toBe(2000);
    expect(f.stepsFlops).toBe(7_074_000_000);
    expect(f.checksFlops).toBe(11 * 2000 * 2 * 169100);
    expect(f.total).toBe(7_074_000_000 + 7_440_400_000);
  });

  it("counts a ragged case: subsampled checks, a last iteration that is no epoch end", () => {
    // dims 5, 4, 3: Σ = 20 + 12 = 32, first 20. Step, batch 3: 2·3·(3·32 − 20) = 456.
    // 10 rows / 3 = 3 iterations per epoch, 2 epochs = 6; checks t = 0, 2, 5 = 3.
    // Checked rows: min(10, 4) training + min(7, 5) validation = 9; a check 2·9·32 = 576.
    const f = trainingFlops({ inputDim: 5, hiddenDims: [4], numClasses: 3, numTrain: 10, numVal: 7, batchSize: 3, numEpochs: 2, numTrainSamples: 4, numValSamples: 5 });
    expect(f).toEqual({ iterations: 6, checks: 3, checkRows: 9, stepFlops: 456, stepsFlops: 6 * 456, checksFlops: 3 * 576, total: 6 * 456 + 3 * 576 });
    expect(countChecks(1, 1)).toBe(1);
    expect(countChecks(7, 3)).toBe(4); // t = 0, 2, 5 and the last, 6
  });

  it("equals the products a real training performs", () => {
    // A counting backend around the reference: every gemm call of a Solver training adds 2·M·N·K.
    const before = getKernelPath();
    const original = availableKernelPaths().includes("wasm-relaxed") ? backendFor("wasm-relaxed") : null;
    let counted = 0;
    const ref = backendFor("ts").gemm;
    registerBackend({ name: "wasm-relaxed", gemm: (ta, tb, M, N, K, A, B, C, acc) => { counted += 2 * M * N * K; ref(ta, tb, M, N, K, A, B, C, acc); }, computesEveryProduct: false });
    try {
      setKernelPath("wasm-relaxed");
      const n = 23;
      const X = new Tensor(Float32Array.from({ length: n * 12 }, (_, i) => Math.sin(i)), [n, 12]);
      const y = Int32Array.from({ length: n }, (_, i) => i % 3);
      const Xv = new Tensor(Float32Array.from({ length: 9 * 12 }, (_, i) => Math.cos(i)), [9, 12]);
      const yv = Int32Array.from({ length: 9 }, (_, i) => i % 3);
      const model = new FullyConnectedNet({ inputDim: 12, hiddenDims: [7, 5], numClasses: 3, normalization: "batchnorm", seed: 1 });
      new Solver(model, { xTrain: X, yTrain: y, xVal: Xv, yVal: yv }, { batchSize: 5, numEpochs: 3, numTrainSamples: 10, backgroundChecks: false, seed: 2 }).train();
      const f = trainingFlops({ inputDim: 12, hiddenDims: [7, 5], numClasses: 3, numTrain: n, numVal: 9, batchSize: 5, numEpochs: 3, numTrainSamples: 10 });
      expect(counted).toBe(f.total);
    } finally {
      if (original !== null) registerBackend(original);
      setKernelPath(before);
    }
  });

  it("trainingProducts lists the shapes and counts of every gemm call of a real training", () => {
    const before = getKernelPath();
    const original = availableKernelPaths().includes("wasm-relaxed") ? backendFor("wasm-relaxed") : null;
    const calls = new Map<string, number>();
    const ref = backendFor("ts").gemm;
    registerBackend({
      name: "wasm-relaxed",
      gemm: (ta, tb, M, N, K, A, B, C, acc) => {
        const key = `${M},${N},${K},${ta},${tb}`;
        calls.set(key, (calls.get(key) ?? 0) + 1);
        ref(ta, tb, M, N, K, A, B, C, acc);
      },
      computesEveryProduct: false,
    });
    try {
      setKernelPath("wasm-relaxed");
      // 1234 validation rows: checks in 500-row chunks up to 1200, then one call of 34.
      const n = 40;
      const nv = 1234;
      const X = new Tensor(Float32Array.from({ length: n * 12 }, (_, i) => Math.sin(i)), [n, 12]);
      const y = Int32Array.from({ length: n }, (_, i) => i % 3);
      const Xv = new Tensor(Float32Array.from({ length: nv * 12 }, (_, i) => Math.cos(i)), [nv, 12]);
      const yv = Int32Array.from({ length: nv }, (_, i) => i % 3);
      const model = new FullyConnectedNet({ inputDim: 12, hiddenDims: [7, 5], numClasses: 3, normalization: "batchnorm", seed: 1 });
      new Solver(model, { xTrain: X, yTrain: y, xVal: Xv, yVal: yv }, { batchSize: 8, numEpochs: 2, numTrainSamples: 30, backgroundChecks: false, seed: 2 }).train();
      const shape = { inputDim: 12, hiddenDims: [7, 5], numClasses: 3, numTrain: n, numVal: nv, batchSize: 8, numEpochs: 2, numTrainSamples: 30 };
      const listed = new Map(trainingProducts(shape).map((p) => [`${p.M},${p.N},${p.K},${p.transA},${p.transB}`, p.count]));
      expect(listed).toEqual(calls);
      expect(listed.get("34,7,12,false,false")).toBe(trainingFlops(shape).checks);
      let flops = 0;
      for (const p of trainingProducts(shape)) flops += 2 * p.M * p.N * p.K * p.count;
      expect(flops).toBe(trainingFlops(shape).total);
    } finally {
      if (original !== null) registerBackend(original);
      setKernelPath(before);
    }
  });

  it("achievedFraction divides by time, cores and peak", () => {
    expect(achievedFraction(100e9, 1000, 2, 50)).toBeCloseTo(1, 12);
    expect(achievedFraction(40e9, 2000, 1, 40)).toBeCloseTo(0.5, 12);
  });
});
