/**
 * A model's reusable buffers for the values proportional to the batch
 * (activations and their gradients), kept per batch size, so a training step
 * allocates nothing proportional to the batch after the first one.
 */
import { allocResident } from "../kernels/index.js";
import type { DType, FloatArray } from "../core/tensor.js";

/**
 * Named buffers for one batch size. A model hands out workspace buffers only
 * inside one call: the scores and gradients it returns are never workspace
 * buffers, so callers may keep them.
 */
export class Workspace {
  private readonly bufs = new Map<string, FloatArray>();
  constructor(private readonly dtype: DType) {}
  /** The buffer named `name` of n elements (created on first use). */
  get(name: string, n: number): FloatArray {
    let b = this.bufs.get(name);
    if (b === undefined || b.length !== n) {
      // NOTE: resident (src/kernels/wasm.ts): the kernels read and write these in place.
      b = allocResident(n, this.dtype);
      this.bufs.set(name, b);
    }
    return b;
  }

  /** Every buffer, forgotten here (the next `get` makes new ones). */
  takeAll(): FloatArray[] {
    const all = [...this.bufs.values()];
    this.bufs.clear();
    return all;
  }
}

/** Batch sizes whose workspaces are kept (training, accuracy checks and a remainder batch). */
export const MAX_WORKSPACES = 4;

/** The workspaces of one model, one per batch size, at most MAX_WORKSPACES of them. */
export class Workspaces {
  private readonly byBatch = new Map<number, Workspace>();
  constructor(private readonly dtype: DType) {}
  /** The workspace for batch size N (the least recently created one is dropped past MAX_WORKSPACES). */
  forBatch(N: number): Workspace {
    let ws = this.byBatch.get(N);
    if (ws === undefined) {
      if (this.byBatch.size >= MAX_WORKSPACES) this.byBatch.delete(this.byBatch.keys().next().value!);
      ws = new Workspace(this.dtype);
      this.byBatch.set(N, ws);
    }
    return ws;
  }

  /** Every buffer of every workspace, forgotten here (for `FullyConnectedNet.dispose`). */
  takeAll(): FloatArray[] {
    const all = [...this.byBatch.values()].flatMap((ws) => ws.takeAll());
    this.byBatch.clear();
    return all;
  }
}
