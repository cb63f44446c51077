/**
 * Resident arrays (src/kernels/wasm.ts): on "wasm-simd" with a shared memory, arrays from
 * `allocResident` live in the kernels' memory and are read and written in place. Every
 * kernel must give the same bits whether its operands are resident or ordinary arrays
 * (random and ragged shapes, both dtypes, every mix of resident and ordinary operands),
 * including operands that share memory with each other (in-place calls); blocks of dead
 * arrays are reused and come back zeroed, and so are those handed back by `releaseResident`; BNLAB_RESIDENT=0 turns residency off with the
 * same training results.
 */
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, it } from "vitest";
import { getKernelPath, setKernelPath } from "../src/node.js";
import type { FloatArray } from "../src/node.js";
import { allocResident, backendFor, releaseResident } from "../src/kernels/index.js";
import { sharedKernelsForTests } from "../src/kernels/wasm.js";
import type { Backend } from "../src/kernels/index.js";
import { mulberry32 } from "./helpers/seeded.js";

const initialPath = getKernelPath();
afterAll(() => setKernelPath(initialPath));

type DT = "float32" | "float64";
const simd: Backend = backendFor("wasm-simd");
const resident = (n: number, dt: DT): FloatArray => {
  const a = simd.allocResident!(n, dt);
  expect(a).not.toBeNull();
  return a!;
};
const plain = (n: number, dt: DT): FloatArray => (dt === "float32" ? new Float32Array(n) : new Float64Array(n));

function fill(a: FloatArray, r: () => number): FloatArray {
  for (let i = 0; i < a.length; i++) a[i] = (r() - 0.5) * 4;
  return a;
}

/** Same values in an array of the asked kind. */
function as(kind: boolean, a: FloatArray, dt: DT): FloatArray {
  const out = kind ? resident(a.length, dt) : plain(a.length, dt);
  out.set(a);
  return out;
}

const bits = (a: FloatArray): number[] => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
/** Whether two arrays hold the same bytes (for large arrays, where a failing toEqual would print megabytes). */
const same = (a: FloatArray, b: FloatArray): boolean =>
  a.byteLength === b.byteLength && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.byteLength), Buffer.from(b.buffer, b.byteOffset, b.byteLength)) === 0;

const DIMS = [1, 2, 3, 5, 6, 7, 8, 9, 13, 17, 33, 50, 65, 100];

describe("resident arrays", () => {
  it("are handed out by wasm-simd on Node, zeroed, in a shared memory", () => {
    for (const dt of ["float32", "float64"] as const) {
      const a = resident(1000, dt);
      expect(a.buffer).toBeInstanceOf(SharedArrayBuffer);
      expect(a.length).toBe(1000);
      expect(a.every((v) => v === 0)).toBe(true);
      expect(a.byteOffset % 64).toBe(0);
    }
    // allocResident follows the active path; ts has none, so it gives ordinary arrays.
    setKernelPath("ts");
    expect(allocResident(10, "float32").buffer).toBeInstanceOf(ArrayBuffer);
    setKernelPath("wasm-simd");
    expect(allocResident(10, "float32").buffer).toBeInstanceOf(SharedArrayBuffer);
  });

  it("releaseResident hands a block back at once (zeroed at its next use); a second release and other arrays are ignored", () => {
    setKernelPath("wasm-simd");
    const n = 3000;
    const a = allocResident(n, "float32");
    a.fill(7);
    releaseResident([a]);
    const b = allocResident(n, "float32");
    expect(b.buffer).toBe(a.buffer);
    expect(b.byteOffset).toBe(a.byteOffset);
    expect(b.every((v) => v === 0)).toBe(true);
    b.fill(5);
    // a was handed back already: releasing it again must not free b's block under it.
    releaseResident([a, new Float32Array(n), simd.allocResident!(0, "float64")!]);
    const c = allocResident(n, "float32");
    expect(c.byteOffset).not.toBe(b.byteOffset);
    expect(b.every((v) => v === 5)).toBe(true);
    releaseResident([b, c]);
    // On a path without resident arrays it does nothing.
    setKernelPath("ts");
    const d = allocResident(10, "float32");
    expect(() => releaseResident([d])).not.toThrow();
    setKernelPath("wasm-simd");
  });

  it("gemm gives the same bits for every mix of resident and ordinary A, B, C (ragged shapes, both dtypes, accumulate)", () => {
    const r = mulberry32(77);
    const pick = (): number => DIMS[Math.floor(r() * DIMS.length)]!;
    for (let t = 0; t < 40; t++) {
      const dt: DT = t % 2 === 0 ? "float32" : "float64";
      const [M, N, K] = [pick(), pick(), pick()];
      const transA = r() < 0.5;
      const transB = r() < 0.5;
      const accumulate = r() < 0.5;
      const A = fill(plain(M * K, dt), r);
      const B = fill(plain(K * N, dt), r);
      const C0 = fill(plain(M * N, dt), r);
      const want = C0.slice();
      simd.gemm(transA, transB, M, N, K, A, B, want, accumulate);
      for (let mix = 1; mix < 8; mix++) {
        const C = as((mix & 4) !== 0, C0, dt);
        simd.gemm(transA, transB, M, N, K, as((mix & 1) !== 0, A, dt), as((mix & 2) !== 0, B, dt), C, accumulate);
        expect(bits(C), `${dt} ${M}x${N}x${K} tA=${transA} tB=${transB} acc=${accumulate} mix=${mix}`).toEqual(bits(want));
      }
    }
  });

  it("gemm accumulating into C that overlaps A (one resident array) equals the same call on copies", () => {
    const r = mulberry32(5);
    for (const dt of ["float32", "float64"] as const) {
      // K > 256 (the k block): the second block packs A after the first wrote C.
      const M = 17, N = 9, K = 300;
      const big = fill(resident(M * K + M * N, dt), r);
      // A is the first M·K values, C the M·N values from the middle of A on: they overlap.
      const A = big.subarray(0, M * K);
      const C = big.subarray(Math.floor((M * K) / 2), Math.floor((M * K) / 2) + M * N);
      const B = fill(plain(K * N, dt), r);
      const wantC = C.slice();
      simd.gemm(false, false, M, N, K, A.slice(), B, wantC, true);
      simd.gemm(false, false, M, N, K, A, B, C, true);
      expect(bits(C)).toEqual(bits(wantC));
    }
  });

  it("the affine kernels, batch norm, ReLU and the update rules give the same bits with resident operands", () => {
    const r = mulberry32(9);
    for (const dt of ["float32", "float64"] as const) {
      for (const [N, D, M] of [[50, 3072, 100], [7, 13, 5], [64, 100, 100], [3, 9, 33]] as const) {
        const x = fill(plain(N * D, dt), r);
        const w = fill(plain(D * M, dt), r);
        const b = fill(plain(M, dt), r);
        const dout = fill(plain(N * M, dt), r);
        const out0 = plain(N * M, dt);
        const dw0 = plain(D * M, dt);
        const db0 = plain(M, dt);
        simd.affine!.forward(N, M, D, x, w, b, out0);
        simd.affine!.paramBackward(N, D, M, x, dout, dw0, db0);
        const out = resident(N * M, dt);
        const dw = resident(D * M, dt);
        const db = resident(M, dt);
        simd.affine!.forward(N, M, D, as(true, x, dt), as(true, w, dt), as(true, b, dt), out);
        simd.affine!.paramBackward(N, D, M, as(true, x, dt), as(true, dout, dt), dw, db);
        expect(bits(out)).toEqual(bits(out0));
        expect(bits(dw)).toEqual(bits(dw0));
        expect(bits(db)).toEqual(bits(db0));
      }
      // Batch norm forward (train and test) and the closed-form backward.
      const N = 50, D = 100;
      const x = fill(plain(N * D, dt), r);
      const gamma = fill(plain(D, dt), r);
      const beta = fill(plain(D, dt), r);
      const dout = fill(plain(N * D, dt), r);
      for (const train of [true, false]) {
        const run = (res: boolean) => {
          const mu = Float64Array.from({ length: D }, (_, i) => 0.1 * i - 3);
          const v = Float64Array.from({ length: D }, (_, i) => 0.5 + 0.01 * i);
          const sqrtvar = new Float64Array(D);
          const ivar = new Float64Array(D);
          const xmu = res ? resident(N * D, dt) : plain(N * D, dt);
          const xhat = res ? resident(N * D, dt) : plain(N * D, dt);
          const out = res ? resident(N * D, dt) : plain(N * D, dt);
          simd.batchnorm!.forward!(train, N, D, 1e-5, as(res, x, dt), as(res, gamma, dt), as(res, beta, dt), mu, v, sqrtvar, ivar, xmu, xhat, out);
          const dx = res ? resident(N * D, dt) : plain(N * D, dt);
          const dbeta = plain(D, dt);
          const dgamma = plain(D, dt);
          simd.batchnorm!.alt!(N, D, as(res, dout, dt), xhat, as(res, gamma, dt), ivar, dx, dbeta, dgamma);
          return [mu, v, sqrtvar, ivar, xmu, xhat, out, dx, dbeta, dgamma].map(bits);
        };
        expect(run(true)).toEqual(run(false));
      }
      // ReLU, out of place and in place (x is out: same memory).
      const n = 5000;
      const rx = fill(plain(n, dt), r);
      const rd = fill(plain(n, dt), r);
      const want = plain(n, dt);
      simd.relu!.forward(rx, want);
      const got = resident(n, dt);
      simd.relu!.forward(as(true, rx, dt), got);
      expect(bits(got)).toEqual(bits(want));
      const inPlace = as(true, rx, dt);
      simd.relu!.forward(inPlace, inPlace);
      expect(bits(inPlace)).toEqual(bits(want));
      const wantDx = plain(n, dt);
      simd.relu!.backward(rx, rd, wantDx);
      const dxr = as(true, rd, dt);
      simd.relu!.backward(as(true, rx, dt), dxr, dxr);
      expect(bits(dxr)).toEqual(bits(wantDx));
      expect(simd.allFinite!(as(true, rx, dt))).toBe(true);
    }
    // The float32 update rules, over more than one chunk (8192) and a ragged tail.
    const n = 20001;
    const f = Math.fround;
    const base = () => ({ w: fill(plain(n, "float32"), r), dw: fill(plain(n, "float32"), r), s1: fill(plain(n, "float32"), r), s2: fill(plain(n, "float32"), r).map(Math.abs) });
    const s = base();
    const copies = (res: boolean) => ({ w: as(res, s.w, "float32"), dw: as(res, s.dw, "float32"), s1: as(res, s.s1, "float32"), s2: as(res, s.s2, "float32") });
    const rules = simd.optimF32!;
    const apply = (a: ReturnType<typeof copies>): number[][] => {
      const [w, dw, s1, s2] = [a.w, a.dw, a.s1, a.s2] as Float32Array[];
      rules.sgd(w!, dw!, f(1e-2));
      rules.sgdMomentum(w!, dw!, s1!, f(1e-2), f(0.9));
      rules.rmsprop(w!, dw!, s2!, f(1e-3), f(0.99), f(0.01), f(1e-8));
      rules.adam(w!, dw!, s1!, s2!, f(1e-3), f(0.9), f(0.1), f(0.19), f(0.999), f(0.001), f(0.002), f(1e-8));
      return [w!, s1!, s2!].map(bits);
    };
    expect(apply(copies(true))).toEqual(apply(copies(false)));
  });

  it("a call whose scratch would reach the resident arrays runs on the plain instance: same bits, residents untouched", () => {
    // Resident arrays from 1 MiB up (instead of 1 GiB), so a 300×300 by 300×300 float32 product's
    // scratch (A, B, C and the packed tiles: over 1 MiB) does not fit below them.
    const k = sharedKernelsForTests(1 << 20)!;
    expect(k).not.toBeNull();
    const r = mulberry32(12);
    const keep = k.allocResident(50_000, "float32")!;
    expect(keep.byteOffset).toBeGreaterThanOrEqual(1 << 20);
    fill(keep, r);
    const kept = keep.slice();
    const n = 300;
    const A = fill(plain(n * n, "float32"), r);
    const B = fill(plain(n * n, "float32"), r);
    const want = plain(n * n, "float32");
    simd.gemm(false, false, n, n, n, A, B, want, false);
    // Ordinary operands, then resident ones (the plain instance copies them in like any array).
    const C = plain(n * n, "float32");
    k.gemm(false, false, n, n, n, A, B, C, false);
    expect(same(C, want)).toBe(true);
    const Ar = k.allocResident(n * n, "float32")!;
    Ar.set(A);
    const Cr = k.allocResident(n * n, "float32")!;
    k.gemm(false, false, n, n, n, Ar, B, Cr, false);
    expect(same(Cr, want)).toBe(true);
    // A product that fits runs here, in place, and the resident arrays kept their values.
    const small = plain(10 * 10, "float32");
    k.gemm(false, false, 10, 10, 10, Ar, B, small, false);
    expect(same(keep, kept)).toBe(true);
    expect(same(Ar, A)).toBe(true);
  });

  it("reuses a dead array's block, zeroed (child process with --expose-gc)", () => {
    const out = execFileSync(process.execPath, ["--expose-gc", "--import", "tsx", "test/helpers/resident-gc.ts"], { encoding: "utf8", timeout: 60_000 });
    const r = JSON.parse(out.trim().split("\n").pop()!) as { reused: boolean; zero: boolean; distinct: boolean };
    expect(r).toEqual({ reused: true, zero: true, distinct: true });
  }, 60_000);

  it("BNLAB_RESIDENT=0 gives ordinary arrays and the same training, bit for bit", () => {
    const run = (env: Record<string, string>) => {
      const out = execFileSync(process.execPath, ["--import", "tsx", "test/helpers/resident-training.ts"], {
        encoding: "utf8",
        timeout: 120_000,
        env: { ...process.env, ...env },
      });
      return JSON.parse(out.trim().split("\n").pop()!) as { shared: boolean; hash: string };
    };
    const on = run({});
    const off = run({ BNLAB_RESIDENT: "0" });
    expect(on.shared).toBe(true);
    expect(off.shared).toBe(false);
    expect(on.hash).toBe(off.hash);
  }, 240_000);
});
