/**
 * Floating-point operations of a training, counted from the shapes: the matrix
 * products only (2·M·N·K each), which is what the kernel peak in bench/run.ts
 * measures. Batch norm, ReLU, softmax and the update rule are left out on purpose:
 * they are O(N·D) against the products' O(N·D·K) and bounded by memory, not by the
 * multiply-add units, so the "achieved fraction of the peak" says how close the
 * whole training comes to doing nothing but products at the kernel's best rate.
 *
 * What one Solver training multiplies (src/train/solver.ts, the assignment's Solver):
 * - per step, batch B through dims d_0 … d_L (d_0 the input, d_L the classes):
 *   forward  Σ_i 2·B·d_i·d_{i+1}          (every affine layer)
 *   backward Σ_i 2·B·d_i·d_{i+1}          (dW_i = h_iᵀ·dout, every layer)
 *          + Σ_{i≥1} 2·B·d_i·d_{i+1}      (dx = dout·W_iᵀ; the first layer computes none)
 * - per accuracy check, test-mode forward passes over the checked rows:
 *   min(numTrain, numTrainSamples) training rows and the validation rows (all, or
 *   numValSamples when that is smaller), each Σ_i 2·rows·d_i·d_{i+1}.
 * - checks at iteration 0, at the end of every epoch and at the last iteration
 *   (one check when those coincide).
 */

export interface TrainingShape {
  /** Input features per row (3072 for CIFAR-10). */
  inputDim: number;
  hiddenDims: readonly number[];
  numClasses: number;
  numTrain: number;
  numVal: number;
  batchSize: number;
  numEpochs: number;
  /** Training rows each check scores (the Solver's default 1000; null: all). */
  numTrainSamples?: number | null;
  /** Validation rows each check scores (null, the default: all). */
  numValSamples?: number | null;
}

export interface TrainingFlops {
  iterations: number;
  checks: number;
  /** Rows scored per check: training rows + validation rows. */
  checkRows: number;
  /** FLOPs of one step's products (forward and backward). */
  stepFlops: number;
  /** FLOPs of all steps. */
  stepsFlops: number;
  /** FLOPs of all accuracy checks. */
  checksFlops: number;
  total: number;
}

/** The number of accuracy checks a training makes: iterations 0, every epoch end, and the last. */
export function countChecks(iterations: number, iterationsPerEpoch: number): number {
  let checks = 0;
  for (let t = 0; t < iterations; t++) {
    if (t === 0 || t === iterations - 1 || (t + 1) % iterationsPerEpoch === 0) checks++;
  }
  return checks;
}

/** The bench's CIFAR-shaped training (3072 input features, 10 classes) of a net and its settings. */
export function cifarShape(s: { hiddenDims: readonly number[]; numTrain: number; numVal: number; batchSize: number; numEpochs: number }): TrainingShape {
  return { inputDim: 3072, hiddenDims: s.hiddenDims, numClasses: 10, numTrain: s.numTrain, numVal: s.numVal, batchSize: s.batchSize, numEpochs: s.numEpochs };
}

/** The products' FLOPs of one training (see the module comment for what is counted). */
export function trainingFlops(s: TrainingShape): TrainingFlops {
  const dims = [s.inputDim, ...s.hiddenDims, s.numClasses];
  let sumDD = 0;
  for (let i = 0; i + 1 < dims.length; i++) sumDD += dims[i]! * dims[i + 1]!;
  const firstDD = dims[0]! * dims[1]!;
  const stepFlops = 2 * s.batchSize * (3 * sumDD - firstDD);
  const iterationsPerEpoch = Math.max(Math.floor(s.numTrain / s.batchSize), 1);
  const iterations = s.numEpochs * iterationsPerEpoch;
  const checks = countChecks(iterations, iterationsPerEpoch);
  const trainSamples = s.numTrainSamples === undefined ? 1000 : s.numTrainSamples;
  const trainRows = trainSamples === null ? s.numTrain : Math.min(s.numTrain, trainSamples);
  const valSamples = s.numValSamples ?? null;
  const valRows = valSamples === null ? s.numVal : Math.min(s.numVal, valSamples);
  const checkRows = trainRows + valRows;
  const stepsFlops = iterations * stepFlops;
  const checksFlops = checks * 2 * checkRows * sumDD;
  return { iterations, checks, checkRows, stepFlops, stepsFlops, checksFlops, total: stepsFlops + checksFlops };
}

/**
 * Achieved fraction of the kernel peak: flops ÷ (seconds × cores × peak FLOP/s per core).
 * 1 would mean every core did nothing but products at the peak rate for the whole time.
 */
export function achievedFraction(flops: number, ms: number, cores: number, peakGflopsPerCore: number): number {
  return flops / ((ms / 1e3) * cores * peakGflopsPerCore * 1e9);
}

/** One matrix product of a training, as the layers call gemm: C (M×N) = op(A) (M×K) · op(B) (K×N). */
export interface Product {
  M: number;
  N: number;
  K: number;
  transA: boolean;
  transB: boolean;
  /** How many times one training computes it. */
  count: number;
}

/**
 * The distinct products of one training and their counts (the same products
 * `trainingFlops` counts: Σ 2·M·N·K·count = its total). The checks score their rows as
 * the Solver does (src/train/accuracy.ts `chunkEnd`): chunks of `chunk` rows (SCORE_CHUNK,
 * 500) up to the last multiple of `batch` (SCORE_BATCH, 100), then the rest in one call.
 */
export function trainingProducts(s: TrainingShape, chunk = 500, batch = 100): Product[] {
  const f = trainingFlops(s);
  const dims = [s.inputDim, ...s.hiddenDims, s.numClasses];
  const B = s.batchSize;
  const out = new Map<string, Product>();
  const add = (M: number, N: number, K: number, transA: boolean, transB: boolean, count: number): void => {
    if (M === 0 || N === 0 || K === 0 || count === 0) return;
    const key = `${M},${N},${K},${transA},${transB}`;
    const p = out.get(key);
    if (p) p.count += count;
    else out.set(key, { M, N, K, transA, transB, count });
  };
  const trainRows = f.checkRows - Math.min(s.numVal, s.numValSamples ?? s.numVal);
  const valRows = f.checkRows - trainRows;
  for (let i = 0; i + 1 < dims.length; i++) {
    const din = dims[i]!;
    const dout = dims[i + 1]!;
    add(B, dout, din, false, false, f.iterations); // forward x·W
    add(din, dout, B, true, false, f.iterations); // dW = xᵀ·dout
    if (i > 0) add(B, din, dout, false, true, f.iterations); // dx = dout·Wᵀ
    for (const rows of [trainRows, valRows]) {
      const full = rows - (rows % batch);
      for (let start = 0, end = 0; start < rows; start = end) {
        end = start < full ? Math.min(start + chunk, full) : rows;
        add(end - start, dout, din, false, false, f.checks);
      }
    }
  }
  return [...out.values()];
}
