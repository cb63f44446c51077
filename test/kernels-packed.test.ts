/**
 * The packed-input affine forward (`Backend.packedAffine`, asm/gemm.ts `pack_a_f32` +
 * `gemm_packed_a_f32`): on every path that has it, bit for bit against the same path's
 * `affine.forward` over random and ragged shapes (k blocks of 256 with ragged ends, edge
 * tiles of 1–5 rows, narrow panels) with ±0, ±Infinity, NaN and subnormals; its TypeScript
 * reference (`packedAffineReference`) against `affineReference`; several operands alive at
 * once and released out of order; and `pinAffineInput`: affineForward on the pinned data
 * gives the same bits, and nothing else is affected.
 */
import { afterAll, describe, expect, it } from "vitest";
import { FullyConnectedNet, InputPins, Solver, Tensor, affineForward, availableKernelPaths, getKernelPath, setKernelPath } from "../src/index.js";
import { backendFor, registerBackend } from "../src/kernels/index.js";
import { sharedKernelsForTests } from "../src/kernels/wasm.js";
import type { Backend } from "../src/kernels/index.js";
import { affineReference, packedAffineReference, pinAffineInput } from "../src/layers/affine.js";
import { mulberry32 } from "./helpers/seeded.js";

const initialPath = getKernelPath();
afterAll(() => setKernelPath(initialPath));

const packedPaths = availableKernelPaths().filter((p) => backendFor(p).packedAffine !== undefined);
const SPECIAL = [Number.NaN, 0, -0, Infinity, -Infinity, 1e-45, -1e-45, 3e38, -3e38];

function fill(n: number, r: () => number, special: boolean): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const u = r();
    a[i] = special && u < 0.03 ? SPECIAL[Math.floor(r() * SPECIAL.length)]! : (r() - 0.5) * 4;
  }
  return a;
}

const bits = (a: Float32Array): Uint32Array => new Uint32Array(a.buffer, a.byteOffset, a.length);

/** (N, D, M): rows, inner dimension, outputs. */
function shapes(): [number, number, number][] {
  const r = mulberry32(77);
  const Ns = [1, 2, 3, 4, 5, 6, 7, 11, 13, 100, 137];
  const Ds = [1, 2, 3, 17, 255, 256, 257, 511, 513, 700];
  const Ms = [1, 3, 4, 5, 8, 9, 10, 50, 100];
  const out: [number, number, number][] = [[500, 3072, 50], [6, 3072, 100], [1, 1, 1]];
  for (let i = 0; i < 40; i++) out.push([Ns[Math.floor(r() * Ns.length)]!, Ds[Math.floor(r() * Ds.length)]!, Ms[Math.floor(r() * Ms.length)]!]);
  return out;
}

describe("packedAffine", () => {
  it("the wasm paths have it (else this suite tests only the reference)", () => {
    expect(packedPaths.length).toBe(availableKernelPaths().filter((p) => p !== "ts").length);
  });

  for (const path of packedPaths) {
    it(`${path}: forward on a packed operand equals affine.forward bit for bit`, () => {
      const b = backendFor(path);
      const r = mulberry32(5);
      let n = 0;
      for (const [N, D, M] of shapes()) {
        const special = n++ % 3 === 0;
        const x = fill(N * D, r, special);
        const w = fill(D * M, r, special);
        const bias = fill(M, r, special);
        const want = new Float32Array(N * M);
        b.affine!.forward(N, M, D, x, w, bias, want);
        const p = b.packedAffine!.pack(x, N, D);
        x.fill(7); // packed: later changes to x do not matter
        const got = new Float32Array(N * M);
        b.packedAffine!.forward(p, M, w, bias, got);
        b.packedAffine!.release(p);
        expect(bits(got), `(${N}, ${D}, ${M})`).toEqual(bits(want));
      }
    });

    it(`${path}: several operands at once, released out of order; a released one throws`, () => {
      const k = backendFor(path).packedAffine!;
      const aff = backendFor(path).affine!;
      const r = mulberry32(9);
      const dims: [number, number][] = [[13, 300], [500, 3072], [7, 5]];
      const xs = dims.map(([N, D]) => fill(N * D, r, false));
      const ps = dims.map(([N, D], i) => k.pack(xs[i]!, N, D));
      const check = (i: number): void => {
        const [N, D] = dims[i]!;
        const w = fill(D * 9, r, false);
        const bias = fill(9, r, false);
        const want = new Float32Array(N * 9);
        aff.forward(N, 9, D, xs[i]!, w, bias, want);
        const got = new Float32Array(N * 9);
        k.forward(ps[i]!, 9, w, bias, got);
        expect(bits(got)).toEqual(bits(want));
      };
      check(0); check(1); check(2);
      k.release(ps[1]!);
      check(0); check(2);
      expect(() => k.forward(ps[1]!, 9, new Float32Array(3072 * 9), new Float32Array(9), new Float32Array(500 * 9))).toThrow(/released/);
      // A new operand reuses the room at the top; the older ones stay intact.
      const x3 = fill(40 * 20, r, false);
      const p3 = k.pack(x3, 40, 20);
      check(0);
      k.release(ps[2]!);
      k.release(ps[0]!);
      const want = new Float32Array(40 * 2);
      const w3 = fill(40, r, false);
      aff.forward(40, 2, 20, x3, w3, new Float32Array(2), want);
      const got = new Float32Array(40 * 2);
      k.forward(p3, 2, w3, new Float32Array(2), got);
      expect(bits(got)).toEqual(bits(want));
      k.release(p3);
    });
  }

  it("wasm-simd on a shared memory: operands are resident blocks, resident weights and outputs are used in place (the same bits); one that does not fit goes to the second instance", () => {
    const simd = backendFor("wasm-simd");
    if (simd.allocResident?.(1, "float32") == null) return;
    const k = simd.packedAffine!;
    const r = mulberry32(21);
    for (const [N, D, M] of [[500, 3072, 50], [7, 300, 9], [13, 5, 3]] as const) {
      const x = fill(N * D, r, true);
      const w = fill(D * M, r, true);
      const bias = fill(M, r, true);
      const want = new Float32Array(N * M);
      simd.affine!.forward(N, M, D, x, w, bias, want);
      const wRes = simd.allocResident!(D * M, "float32") as Float32Array;
      wRes.set(w);
      const xRes = simd.allocResident!(N * D, "float32") as Float32Array;
      xRes.set(x);
      const outRes = simd.allocResident!(N * M, "float32") as Float32Array;
      const p = k.pack(xRes, N, D);
      k.forward(p, M, wRes, bias, outRes);
      expect(bits(outRes), `(${N}, ${D}, ${M}) resident`).toEqual(bits(want));
      const got = new Float32Array(N * M);
      k.forward(p, M, w, bias, got);
      expect(bits(got), `(${N}, ${D}, ${M}) copied`).toEqual(bits(want));
      k.release(p);
      k.release(p); // twice is nothing
      expect(() => k.forward(p, M, w, bias, got)).toThrow(/released/);
    }
    // Resident arrays from 4 MiB up: a 500 × 3072 operand's packing scratch (6 MB) does not fit
    // below them, so it is packed on the second instance, with the same bits.
    const small = sharedKernelsForTests(1 << 22)!;
    const x = fill(500 * 3072, r, false);
    const w = fill(3072 * 10, r, false);
    const bias = fill(10, r, false);
    const want = new Float32Array(5000);
    simd.affine!.forward(500, 10, 3072, x, w, bias, want);
    const big = small.packedAffine.pack(x, 500, 3072);
    const tiny = small.packedAffine.pack(x.subarray(0, 3072), 1, 3072);
    const got = new Float32Array(5000);
    small.packedAffine.forward(big, 10, w, bias, got);
    expect(bits(got)).toEqual(bits(want));
    const one = new Float32Array(10);
    small.packedAffine.forward(tiny, 10, w, bias, one);
    expect(bits(one)).toEqual(bits(want.subarray(0, 10)));
    small.packedAffine.release(big);
    small.packedAffine.release(tiny);
    expect(() => small.packedAffine.forward(big, 10, w, bias, got)).toThrow(/released/);
  });

  it("the reference keeps a copy and runs the affine kernels it wraps", () => {
    const ref = packedAffineReference(affineReference);
    const r = mulberry32(3);
    for (const [N, D, M] of [[5, 7, 3], [13, 257, 9]] as const) {
      const x = fill(N * D, r, true);
      const w = fill(D * M, r, true);
      const bias = fill(M, r, true);
      const want = new Float32Array(N * M);
      affineReference.forward(N, M, D, x, w, bias, want);
      const p = ref.pack(x, N, D);
      x.fill(0);
      const got = new Float32Array(N * M);
      ref.forward(p, M, w, bias, got);
      expect(bits(got)).toEqual(bits(want));
      ref.release(p);
      expect(() => ref.forward(p, M, w, bias, got)).toThrow(/released/);
    }
  });
});

describe("pinAffineInput", () => {
  it("affineForward on pinned data gives the same bits; other inputs and other paths are unaffected", () => {
    const r = mulberry32(11);
    for (const path of availableKernelPaths()) {
      setKernelPath(path);
      const X = new Tensor(fill(200 * 3 * 100, r, false), [200, 3, 10, 10]);
      const w = new Tensor(fill(300 * 50, r, false), [300, 50]);
      const b = new Tensor(fill(50, r, false), [50]);
      const want = affineForward(X.rows(0, 100), w, b).out.data as Float32Array;
      const wantOther = affineForward(X.rows(100, 200), w, b).out.data as Float32Array;
      const pin = pinAffineInput(X.rows(0, 100));
      if (path === "ts") expect(pin).toBeNull();
      else expect(pin).not.toBeNull();
      expect(bits(affineForward(X.rows(0, 100), w, b).out.data as Float32Array)).toEqual(bits(want));
      expect(bits(affineForward(X.rows(100, 200), w, b).out.data as Float32Array)).toEqual(bits(wantOther));
      // A pin made on one path is not used on another: there the result is that path's own.
      setKernelPath("ts");
      const tsOut = affineForward(X.rows(0, 100), w, b).out.data as Float32Array;
      const tsWant = new Float32Array(100 * 50);
      affineReference.forward(100, 50, 300, X.rows(0, 100).data as Float32Array, w.data as Float32Array, b.data as Float32Array, tsWant);
      expect(bits(tsOut)).toEqual(bits(tsWant));
      setKernelPath(path);
      pin?.release();
      pin?.release();
      expect(bits(affineForward(X.rows(0, 100), w, b).out.data as Float32Array)).toEqual(bits(want));
      expect(pinAffineInput(new Tensor(new Float64Array(600), [2, 300]))).toBeNull();
    }
  });
});

describe("the Solver's checks on pinned rows", () => {
  it.runIf(availableKernelPaths().includes("wasm-simd"))("pack the unsubsampled check rows once per train() and record the same histories", () => {
    const simd = backendFor("wasm-simd");
    const original = availableKernelPaths().includes("wasm-relaxed") ? backendFor("wasm-relaxed") : null;
    // Two wrappers around wasm-simd under the spare name: one counting its packed kernels, one without them.
    let packs = 0;
    let forwards = 0;
    let live = 0;
    const k = simd.packedAffine!;
    const counting: Backend = {
      ...simd, name: "wasm-relaxed",
      packedAffine: {
        pack: (x, N, D) => (packs++, live++, k.pack(x, N, D)),
        forward: (p, M, w, b, out) => (forwards++, k.forward(p, M, w, b, out)),
        release: (p) => (live--, k.release(p)),
      },
    };
    const { packedAffine: _omit, ...rest } = simd;
    const without: Backend = { ...rest, name: "wasm-relaxed" };
    const r = mulberry32(21);
    const X = new Tensor(fill(230 * 300, r, false), [230, 300]);
    const Xv = new Tensor(fill(120 * 300, r, false), [120, 300]);
    const y = Int32Array.from({ length: 230 }, (_, i) => i % 10);
    const yv = Int32Array.from({ length: 120 }, (_, i) => (i * 3) % 10);
    const run = (b: Backend): number[][] => {
      registerBackend(b);
      setKernelPath("wasm-relaxed");
      const model = new FullyConnectedNet({ inputDim: 300, hiddenDims: [40, 30], normalization: "batchnorm", seed: 4 });
      const solver = new Solver(model, { xTrain: X, yTrain: y, xVal: Xv, yVal: yv }, { batchSize: 23, numEpochs: 3, numTrainSamples: null, backgroundChecks: false, seed: 5 });
      solver.train();
      return [solver.lossHistory, solver.trainAccHistory, solver.valAccHistory, [...model.params.get("W1")!.data]];
    };
    try {
      const plain = run(without);
      const pinned = run(counting);
      expect(pinned).toEqual(plain);
      // 10 iterations per epoch, 3 epochs: checks at 0, 9, 19, 29 = 4. Chunks: 230 rows = 200 + 30, 120 = 100 + 20.
      expect(packs).toBe(4);
      expect(forwards).toBe(4 * 4);
      expect(live).toBe(0);

      // Two trainings sharing an InputPins (the `inputPins` option): the rows are packed once
      // for both, stay packed until release(), and the histories are the same bits again.
      packs = 0;
      forwards = 0;
      const pins = new InputPins();
      const twice = (b: Backend, shared: InputPins | undefined): number[][][] =>
        [4, 9].map((seed) => {
          registerBackend(b);
          setKernelPath("wasm-relaxed");
          const model = new FullyConnectedNet({ inputDim: 300, hiddenDims: [40, 30], normalization: "batchnorm", seed });
          const opts = { batchSize: 23, numEpochs: 3, numTrainSamples: null, backgroundChecks: false, seed: seed + 1 } as const;
          const solver = new Solver(model, { xTrain: X, yTrain: y, xVal: Xv, yVal: yv }, shared === undefined ? opts : { ...opts, inputPins: shared });
          solver.train();
          return [solver.lossHistory, solver.trainAccHistory, solver.valAccHistory, [...model.params.get("W1")!.data]];
        });
      const alone = twice(without, undefined);
      const shared = twice(counting, pins);
      expect(shared).toEqual(alone);
      expect(packs).toBe(4);
      expect(forwards).toBe(2 * 4 * 4);
      expect(pins.size).toBe(2);
      expect(live).toBe(4);
      pins.release();
      expect(pins.size).toBe(0);
      expect(live).toBe(0);
    } finally {
      if (original !== null) registerBackend(original);
      setKernelPath(initialPath);
    }
  });

  it("the Solver refuses an inputPins that is not an InputPins", () => {
    const X = new Tensor(new Float32Array(20 * 4), [20, 4]);
    const y = new Int32Array(20);
    const model = new FullyConnectedNet({ inputDim: 4, hiddenDims: [3], seed: 1 });
    expect(() => new Solver(model, { xTrain: X, yTrain: y, xVal: X, yVal: y }, { inputPins: {} as never })).toThrow(/inputPins/);
  });
});
