/**
 * The elementwise WebAssembly kernels. ReLU (asm/relu.ts) against the TypeScript loops of
 * src/layers/relu.ts, bit for bit: ragged lengths (SIMD body and scalar tail), both
 * dtypes, with the values where a mask and a comparison could disagree — NaN, ±0,
 * ±Infinity, subnormals — and through reluForward/reluBackward on every path. The
 * finiteness check (asm/finite.ts) on arrays with one non-finite value anywhere.
 */
import { afterAll, describe, expect, it } from "vitest";
import { Tensor, availableKernelPaths, getKernelPath, reluBackward, reluForward, setKernelPath } from "../src/node.js";
import type { FloatArray } from "../src/node.js";
import { WASM_MIN_RELU, activeKernel, backendFor } from "../src/kernels/index.js";
import { reluReference } from "../src/layers/relu.js";

const initialPath = getKernelPath();
afterAll(() => setKernelPath(initialPath));

const SPECIAL = [Number.NaN, -Number.NaN, 0, -0, Infinity, -Infinity, 1e-45, -1e-45, 5e-324, -5e-324, 1, -1];
const LENGTHS = [1, 2, 3, 4, 5, 7, 8, 9, 33, 255, 256, 257, 5000, 5003];

function values(n: number, seed: number): number[] {
  let s = seed;
  return Array.from({ length: n }, () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    const u = s / 4294967296;
    return u < 0.3 ? SPECIAL[s % SPECIAL.length]! : (u - 0.65) * 10;
  });
}

/** The TypeScript definitions (src/layers/relu.ts's loops: numpy's `np.maximum(0, x)` and `dout * (x > 0)`). */
const refForward = (x: FloatArray, out: FloatArray): void => {
  for (let i = 0; i < x.length; i++) out[i] = x[i]! < 0 ? 0 : x[i]!;
};
const refBackward = (x: FloatArray, d: FloatArray, dx: FloatArray): void => {
  for (let i = 0; i < x.length; i++) dx[i] = d[i]! * (x[i]! > 0 ? 1 : 0);
};

function expectSameBits(a: FloatArray, b: FloatArray, what: string): void {
  expect(a.length).toBe(b.length);
  const bytes = (t: FloatArray): Uint8Array => new Uint8Array(t.buffer, t.byteOffset, t.byteLength);
  const [p, q] = [bytes(a), bytes(b)];
  const es = a.BYTES_PER_ELEMENT;
  // NaN payloads are not compared (a NaN passes through as the same NaN on both paths,
  // but that is the engine's business); everything else bit for bit.
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]!) && Number.isNaN(b[i]!)) continue;
    for (let k = 0; k < es; k++) {
      if (p[i * es + k] !== q[i * es + k]) throw new Error(`${what}[${i}]: ${Object.is(a[i], -0) ? "-0" : a[i]} vs ${Object.is(b[i], -0) ? "-0" : b[i]}`);
    }
  }
}

const wasmPaths = availableKernelPaths().filter((p) => p !== "ts");

describe("ReLU kernels", () => {
  it("exist on every path (ts: the reference)", () => {
    expect(backendFor("ts").relu).toBe(reluReference);
    for (const p of wasmPaths) expect(backendFor(p).relu).toBeDefined();
    for (const p of wasmPaths) expect(backendFor(p).relu).not.toBe(reluReference);
  });

  for (const path of availableKernelPaths()) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${path} ${dtype}: forward and backward equal the loops bit for bit`, () => {
        const k = backendFor(path).relu!;
        const make = (v: number[]): FloatArray => (dtype === "float32" ? Float32Array.from(v) : Float64Array.from(v));
        for (const n of LENGTHS) {
          const x = make(values(n, n));
          const d = make(values(n, n + 7));
          const [o1, o2] = [make(new Array<number>(n).fill(7)), make(new Array<number>(n).fill(7))];
          k.forward(x, o1);
          refForward(x, o2);
          expectSameBits(o1, o2, `forward n=${n}`);
          k.backward(x, d, o1);
          refBackward(x, d, o2);
          expectSameBits(o1, o2, `backward n=${n}`);
        }
      });
    }
  }

  it("reluForward/reluBackward give the same bits on every path (above and below the threshold)", () => {
    const results = new Map<string, FloatArray[]>();
    for (const path of availableKernelPaths()) {
      setKernelPath(path);
      const out: FloatArray[] = [];
      for (const n of [WASM_MIN_RELU - 1, WASM_MIN_RELU, 5000]) {
        expect(activeKernel("relu", n)).toBe(path === "ts" ? reluReference : n >= WASM_MIN_RELU ? backendFor(path).relu : null);
        const x = new Tensor(Float32Array.from(values(n, 3 * n)), [n]);
        const dout = new Tensor(Float32Array.from(values(n, 5 * n)), [n]);
        const f = reluForward(x);
        out.push(f.out.data, reluBackward(dout, f.cache).dx.data);
      }
      results.set(path, out);
    }
    const ref = results.get("ts")!;
    for (const [path, out] of results) out.forEach((a, i) => expectSameBits(a, ref[i]!, `${path} #${i}`));
  });
});

describe("the finiteness check", () => {
  for (const path of availableKernelPaths()) {
    for (const dtype of ["float32", "float64"] as const) {
      it(`${path} ${dtype}: true exactly when no element is ±Infinity or NaN`, () => {
        const k = backendFor(path).allFinite!;
        const big = dtype === "float32" ? 3.4028234663852886e38 : Number.MAX_VALUE;
        const finite = [0, -0, 1, -1, big, -big, 1e-45, 5e-324, -1e-300, 123.5];
        for (const n of [1, 3, 7, 8, 9, 17, 4099, 8192, 8193, 20_003]) {
          const a = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
          for (let i = 0; i < n; i++) a[i] = finite[(i * 7) % finite.length]!;
          expect(k(a), `n=${n} all finite`).toBe(true);
          for (const pos of new Set([0, n >> 1, n - 1, Math.min(n - 1, 8195)])) {
            for (const bad of [Infinity, -Infinity, Number.NaN]) {
              const keep = a[pos]!;
              a[pos] = bad;
              expect(k(a), `n=${n}, ${bad} at ${pos}`).toBe(false);
              a[pos] = keep;
            }
          }
        }
        expect(k(new Float32Array(0))).toBe(true);
      });
    }
  }
});
