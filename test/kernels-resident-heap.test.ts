/**
 * The block allocator of resident arrays (src/kernels/resident.ts): first fit, alignment,
 * merging of released neighbours, the top handed back and the limit — checked against a byte
 * map of a random alloc/release run.
 */
import { describe, expect, it } from "vitest";
import { ResidentHeap } from "../src/kernels/resident.js";
import { mulberry32 } from "./helpers/seeded.js";

describe("ResidentHeap", () => {
  it("aligns, fits first, merges neighbours and gives the top back", () => {
    const h = new ResidentHeap(1024, 1024 + 64 * 100);
    const a = h.alloc(1)!;
    const b = h.alloc(65)!;
    const c = h.alloc(64)!;
    expect([a.offset, a.size, b.offset, b.size, c.offset, c.size]).toEqual([1024, 64, 1088, 128, 1216, 64]);
    h.release(a);
    h.release(b); // merges with a: one free block of 192 bytes at 1024
    expect(h.state()).toEqual({ top: 1280, free: [{ offset: 1024, size: 192 }] });
    const d = h.alloc(100)!; // first fit: the front of the merged block, not fresh memory
    expect([d.offset, d.size]).toEqual([1024, 128]);
    h.release(c); // merges with the free rest of the split block (1152) and reaches the top
    expect(h.state()).toEqual({ top: 1152, free: [] });
    h.release(d); // the top block again: all free
    expect(h.state()).toEqual({ top: 1024, free: [] });
    // From the bottom again.
    expect(h.alloc(64)!).toEqual({ offset: 1024, size: 64 });
    expect(h.alloc(64 * 5)!).toEqual({ offset: 1088, size: 320 });
  });

  it("refuses past its limit", () => {
    const h = new ResidentHeap(0, 256);
    expect(h.alloc(256)).not.toBeNull();
    expect(h.alloc(1)).toBeNull();
  });

  it("never hands out overlapping blocks (random run)", () => {
    const r = mulberry32(31);
    const limit = 64 * 400;
    const h = new ResidentHeap(0, limit);
    const owner = new Int32Array(limit / 64).fill(-1); // per 64-byte unit: the live block's id
    const live = new Map<number, { offset: number; size: number }>();
    let id = 0;
    for (let step = 0; step < 4000; step++) {
      if (live.size > 0 && r() < 0.45) {
        const keys = [...live.keys()];
        const k = keys[Math.floor(r() * keys.length)]!;
        const b = live.get(k)!;
        for (let u = b.offset / 64; u < (b.offset + b.size) / 64; u++) owner[u] = -1;
        live.delete(k);
        h.release(b);
      } else {
        const bytes = 1 + Math.floor(r() * 64 * 12);
        const b = h.alloc(bytes);
        if (b === null) continue;
        expect(b.offset % 64).toBe(0);
        expect(b.size).toBeGreaterThanOrEqual(bytes);
        for (let u = b.offset / 64; u < (b.offset + b.size) / 64; u++) {
          expect(owner[u]).toBe(-1);
          owner[u] = id;
        }
        live.set(id++, b);
      }
    }
    for (const b of live.values()) h.release(b);
    expect(h.state()).toEqual({ top: 0, free: [] });
  });
});
