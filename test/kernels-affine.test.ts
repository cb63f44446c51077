/**
 * Differential suite for the affine kernels (on the wasm paths the bias add and the bias
 * gradient done while a product is in WebAssembly memory, asm/gemm.ts; on ts the
 * reference): on every path, bit for bit against that path's gemm followed by the
 * TypeScript loops (the bias
 * loop of src/layers/affine.ts, sumRows of src/layers/reductions.ts), over random and
 * ragged shapes, both dtypes, with ±0, ±Infinity, NaN and subnormals among the values;
 * and through affineForward/affineParamBackward/affineBackward on every path.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Tensor, affineBackward, affineForward, affineParamBackward, availableKernelPaths, getKernelPath, setKernelPath } from "../src/node.js";
import type { FloatArray, KernelPath } from "../src/node.js";
import { WASM_MIN_MNK, activeKernel, backendFor } from "../src/kernels/index.js";
import { affineReference } from "../src/layers/affine.js";
import { sumRows } from "../src/layers/reductions.js";
import { mulberry32 } from "./helpers/seeded.js";

const initialPath = getKernelPath();
afterAll(() => setKernelPath(initialPath));

const wasmPaths = availableKernelPaths().filter((p) => p !== "ts");
const DIMS = [1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 16, 17, 33, 50, 64, 65, 100, 129, 300];
const SPECIAL = [Number.NaN, 0, -0, Infinity, -Infinity, 1e-45, -1e-45, 5e-324, 3e38, -3e38];

type DT = "float32" | "float64";
const alloc = (n: number, dt: DT): FloatArray => (dt === "float32" ? new Float32Array(n) : new Float64Array(n));

/** Uniform values in [-2, 2); with `special`, about 1 in 20 is one of SPECIAL. */
function fill(a: FloatArray, r: () => number, special: boolean): FloatArray {
  for (let i = 0; i < a.length; i++) {
    const u = r();
    a[i] = special && u < 0.05 ? SPECIAL[Math.floor(r() * SPECIAL.length)]! : (r() - 0.5) * 4;
  }
  return a;
}

function shapes(count: number): [number, number, number][] {
  const r = mulberry32(4242);
  const pick = (): number => DIMS[Math.floor(r() * DIMS.length)]!;
  const out: [number, number, number][] = [[1, 1, 1], [50, 100, 3072], [50, 10, 100], [3, 5, 7], [1, 64, 1], [13, 1, 9]];
  while (out.length < count) {
    let [N, M, D] = [pick(), pick(), pick()];
    while (N * M * D > 300_000) D = Math.ceil(D / 3);
    out.push([N, M, D]);
  }
  return out;
}

/** Bit equality; two NaNs count as equal (their payload is the engine's business). */
function expectSameBits(a: FloatArray, b: FloatArray, what: string): void {
  expect(a.length, what).toBe(b.length);
  for (let i = 0; i < a.length; i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (!Object.is(x, y)) throw new Error(`${what}[${i}]: ${Object.is(x, -0) ? "-0" : x} vs ${Object.is(y, -0) ? "-0" : y}`);
  }
}

/** The definitions: the path's gemm, then the TypeScript loops. */
function refForward(path: KernelPath, N: number, M: number, D: number, x: FloatArray, w: FloatArray, b: FloatArray, out: FloatArray): void {
  backendFor(path).gemm(false, false, N, M, D, x, w, out, false);
  for (let i = 0; i < N; i++) for (let j = 0; j < M; j++) out[i * M + j] = out[i * M + j]! + b[j]!;
}
function refParamBackward(path: KernelPath, N: number, D: number, M: number, x: FloatArray, dout: FloatArray, dw: FloatArray, db: FloatArray): void {
  backendFor(path).gemm(true, false, D, M, N, x, dout, dw, false);
  sumRows(dout, N, M, db);
}

describe("affine kernels", () => {
  it("exist on every path (ts: the reference), the wasm paths' only from WASM_MIN_MNK on", () => {
    expect(backendFor("ts").affine).toBe(affineReference);
    for (const p of wasmPaths) expect(backendFor(p).affine).toBeDefined();
    for (const p of wasmPaths) expect(backendFor(p).affine).not.toBe(affineReference);
    try {
      for (const p of availableKernelPaths()) {
        setKernelPath(p);
        expect(activeKernel("affine", WASM_MIN_MNK - 1)).toBe(p === "ts" ? affineReference : null);
        expect(activeKernel("affine", WASM_MIN_MNK)).toBe(backendFor(p).affine);
      }
    } finally {
      setKernelPath(initialPath);
    }
  });

  for (const path of availableKernelPaths()) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${path} ${dtype}: forward and parameter backward equal gemm + the loops bit for bit (ragged shapes, special values)`, () => {
        const k = backendFor(path).affine!;
        const r = mulberry32(dtype === "float32" ? 7 : 8);
        let n = 0;
        for (const [N, M, D] of shapes(60)) {
          const special = n++ % 3 === 0;
          const x = fill(alloc(N * D, dtype), r, special);
          const w = fill(alloc(D * M, dtype), r, special);
          const b = fill(alloc(M, dtype), r, special);
          const dout = fill(alloc(N * M, dtype), r, special);
          const what = `(N, M, D) = (${N}, ${M}, ${D})`;
          // Outputs start as garbage: the kernels must overwrite, not accumulate.
          const [o1, o2] = [fill(alloc(N * M, dtype), r, false), alloc(N * M, dtype)];
          k.forward(N, M, D, x, w, b, o1);
          refForward(path, N, M, D, x, w, b, o2);
          expectSameBits(o1, o2, `forward ${what}`);
          const [dw1, dw2] = [fill(alloc(D * M, dtype), r, false), alloc(D * M, dtype)];
          const [db1, db2] = [fill(alloc(M, dtype), r, false), alloc(M, dtype)];
          k.paramBackward(N, D, M, x, dout, dw1, db1);
          refParamBackward(path, N, D, M, x, dout, dw2, db2);
          expectSameBits(dw1, dw2, `dw ${what}`);
          expectSameBits(db1, db2, `db ${what}`);
        }
      });
    }
  }

  it("float32 column sums round once from float64 (not a float32 running sum)", () => {
    // 1 + 2^-24 + 2^-24: a float32 running sum stays at 1; float64 then one rounding gives 1 + 2^-23.
    for (const p of availableKernelPaths()) {
      const k = backendFor(p).affine!;
      const N = 3;
      const M = 5;
      const D = 8;
      const dout = new Float32Array(N * M);
      for (let j = 0; j < M; j++) [dout[j], dout[M + j], dout[2 * M + j]] = [1, 2 ** -24, 2 ** -24];
      const db = new Float32Array(M);
      k.paramBackward(N, D, M, new Float32Array(N * D), dout, new Float32Array(D * M), db);
      expect(Array.from(db)).toEqual(new Array<number>(M).fill(1 + 2 ** -23));
    }
  });

  it("affineForward, affineParamBackward and affineBackward on each path equal that path's gemm + the loops", () => {
    const r = mulberry32(99);
    try {
      for (const path of availableKernelPaths()) {
        setKernelPath(path);
        for (const dtype of ["float32", "float64"] as const) {
          for (const [N, M, D] of [[50, 100, 300], [7, 3, 2], [2, 2, 2], [17, 33, 65]] as const) {
            const x = new Tensor(fill(alloc(N * D, dtype), r, false), [N, D]);
            const w = new Tensor(fill(alloc(D * M, dtype), r, false), [D, M]);
            const b = new Tensor(fill(alloc(M, dtype), r, false), [M]);
            const dout = new Tensor(fill(alloc(N * M, dtype), r, false), [N, M]);
            // Below WASM_MIN_MNK the layers (like gemm) use the reference on every path.
            const ref: KernelPath = N * M * D < WASM_MIN_MNK ? "ts" : path;
            const what = `${path} ${dtype} (${N}, ${M}, ${D})`;
            const { out, cache } = affineForward(x, w, b);
            const o = alloc(N * M, dtype);
            refForward(ref, N, M, D, x.data, w.data, b.data, o);
            expectSameBits(out.data, o, `out ${what}`);
            const [dw, db] = [alloc(D * M, dtype), alloc(M, dtype)];
            refParamBackward(ref, N, D, M, x.data, dout.data, dw, db);
            const p = affineParamBackward(dout, cache);
            expectSameBits(p.dw.data, dw, `dw ${what}`);
            expectSameBits(p.db.data, db, `db ${what}`);
            const full = affineBackward(dout, cache, undefined, { dw: alloc(D * M, dtype).fill(5), db: alloc(M, dtype).fill(5) });
            expectSameBits(full.dw.data, dw, `dw (into buffers) ${what}`);
            expectSameBits(full.db.data, db, `db (into buffers) ${what}`);
            const dx = alloc(N * D, dtype);
            backendFor(ref).gemm(false, true, N, D, M, dout.data, w.data, dx, false);
            expectSameBits(full.dx.data, dx, `dx ${what}`);
          }
        }
      }
    } finally {
      setKernelPath(initialPath);
    }
  });
});
