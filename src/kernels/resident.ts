/**
 * The block allocator behind resident arrays (src/kernels/wasm.ts): byte ranges of a shared
 * WebAssembly memory from `start` up to `limit`, first fit over a free list sorted by offset,
 * a released block merged with its free neighbours, and a free block at the top handed back
 * to the top. No WebAssembly here: the caller grows the memory and makes the views.
 */

/** A range of bytes. */
export interface Block {
  offset: number;
  size: number;
}

export class ResidentHeap {
  private top: number;
  private readonly free: Block[] = [];

  /** Blocks come from [start, limit); both multiples of `align`. */
  constructor(
    start: number,
    private readonly limit: number,
    private readonly align = 64,
  ) {
    this.top = start;
  }

  /**
   * A block of at least `bytes` (rounded up to the alignment, at least one unit), or null when
   * none is left below the limit. Its bytes are whatever was there (the caller clears them).
   */
  alloc(bytes: number): Block | null {
    const a = this.align;
    const size = Math.max(a, Math.ceil(bytes / a) * a);
    let offset = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      if (b.size < size) continue;
      offset = b.offset;
      if (b.size === size) this.free.splice(i, 1);
      else {
        b.offset += size;
        b.size -= size;
      }
      break;
    }
    if (offset < 0) {
      if (this.top + size > this.limit) return null;
      offset = this.top;
      this.top += size;
    }
    return { offset, size };
  }

  /** Gives a block from `alloc` back. */
  release(block: Block): void {
    const free = this.free;
    let i = 0;
    while (i < free.length && free[i]!.offset < block.offset) i++;
    free.splice(i, 0, { offset: block.offset, size: block.size });
    if (i + 1 < free.length && free[i]!.offset + free[i]!.size === free[i + 1]!.offset) {
      free[i]!.size += free[i + 1]!.size;
      free.splice(i + 1, 1);
    }
    if (i > 0 && free[i - 1]!.offset + free[i - 1]!.size === free[i]!.offset) {
      free[i - 1]!.size += free[i]!.size;
      free.splice(i, 1);
      i--;
    }
    if (free[i]!.offset + free[i]!.size === this.top) {
      this.top = free[i]!.offset;
      free.splice(i, 1);
    }
  }

  /** The end of the highest block handed out and the free blocks below it (for tests). */
  state(): { top: number; free: Block[] } {
    return { top: this.top, free: this.free.map((b) => ({ ...b })) };
  }
}
