/**
 * The packed-input affine forward of the WebAssembly backends (float32): the accuracy checks'
 * fixed rows packed once and multiplied many times (`Backend.packedAffine`, docs/performance.md
 * "pinned inputs").
 */
import type { PackedAffineKernels, PackedOperand } from "./types.js";
import { KC, MR, NR32, PAGE, align64, put, take, type GemmExports } from "./wasm-layout.js";

/** A packed operand of `packedAffineKernels`: where its tiles lie in the packing instance's memory. */
interface Packed extends PackedOperand {
  readonly offset: number;
  readonly bytes: number;
  released: boolean;
}

/**
 * The packed-input affine forward (float32) of the builds without a shared memory, and the
 * fallback of the shared one for an operand that does not fit there (on a shared memory the
 * operands are resident blocks: wasm.ts `residentPacked`). It runs on a second instance of the same
 * module, instantiated at the first `pack`, so that the resident packed tiles never meet
 * the first instance's scratch layout (which starts at its heap base on every call, and
 * whose update-rule offsets are fixed). Its memory: the packed operands, one after the
 * other from the heap base (a stack: released ones are reclaimed from the top), then the
 * per-call scratch (tile | w | C | packed w panels | bias).
 */
export function packedAffineKernels(bytes: Uint8Array<ArrayBuffer>): PackedAffineKernels {
  let ex: GemmExports | null = null;
  let memory: WebAssembly.Memory | null = null;
  let f32 = new Float32Array(0);
  let heap = 0;
  const live: Packed[] = [];
  const top = (): number => (live.length === 0 ? heap : align64(live[live.length - 1]!.offset + live[live.length - 1]!.bytes));
  function ensure(bytesNeeded: number): void {
    const m = memory!;
    if (bytesNeeded > m.buffer.byteLength) m.grow(Math.ceil((bytesNeeded - m.buffer.byteLength) / PAGE));
    if (f32.buffer !== m.buffer) f32 = new Float32Array(m.buffer);
  }
  return {
    pack(x, N, D) {
      if (ex === null) {
        ex = new WebAssembly.Instance(new WebAssembly.Module(bytes), {}).exports as unknown as GemmExports;
        memory = ex.memory;
        heap = align64(ex.heapBase());
      }
      const offset = top();
      const size = ex.packed_a_bytes_f32(N, D);
      // x goes to the scratch after the new operand for packing, then only its tiles stay.
      const pX = align64(offset + size);
      ensure(pX + N * D * 4);
      put(f32, pX, x, N * D);
      ex.pack_a_f32(0, N, D, pX, offset);
      const p: Packed = { rows: N, cols: D, offset, bytes: size, released: false };
      live.push(p);
      return p;
    },
    forward(operand, M, w, b, out) {
      const p = operand as Packed;
      if (p.released || !live.includes(p)) throw new Error("packedAffine.forward: the operand was released");
      const e = ex!;
      const N = p.rows;
      const D = p.cols;
      const pTile = top();
      const pB = align64(pTile + MR * NR32 * 4);
      const pC = align64(pB + D * M * 4);
      const kcp = (Math.min(D, KC) + 1) & ~1;
      const pPackB = align64(pC + N * M * 4);
      const pBias = align64(pPackB + Math.ceil(M / NR32) * NR32 * kcp * 4);
      ensure(pBias + M * 4);
      put(f32, pB, w, D * M);
      put(f32, pBias, b, M);
      e.gemm_packed_a_f32(0, N, M, D, p.offset, pB, pC, 0, pPackB, pTile);
      e.add_bias_f32(N, M, pC, pBias);
      take(f32, pC, out, N * M);
    },
    release(operand) {
      const p = operand as Packed;
      p.released = true;
      while (live.length > 0 && live[live.length - 1]!.released) live.pop();
    },
  };
}
