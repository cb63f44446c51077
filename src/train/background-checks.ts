/**
 * Background accuracy checks for the Solver, in Node: one worker thread per process,
 * started at the first Solver that can use it and kept (unref'd: it never holds the
 * process open). While the main thread trains, the worker scores snapshots of the
 * model on the training and validation rows with the same code (`AccuracyCounter`) and
 * the same kernel path, so the results are exactly the inline ones.
 *
 * Why: in the notebook's trainings (1000 samples, batch 50) the 22 accuracy checks of
 * 1000 rows cost about 40 % of the run on one thread; on a second core they overlap
 * with training. The main thread never waits for the worker to start: until it has
 * said it is ready, checks run inline.
 *
 * Protocol (one MessagePort, polled with `receiveMessageOnPort`, so the Solver's
 * synchronous loop never needs the event loop): main → worker "data" (a Dataset in
 * SharedArrayBuffers, per `train()` call), "check" (a snapshot and the subsample
 * masks), "drop"; worker → main "ready", "result" and "error", each followed by a bump
 * of a shared counter that `Atomics.wait` sleeps on.
 */
import { availableParallelism } from "node:os";
import { MessageChannel, isMainThread, receiveMessageOnPort, type MessagePort, type Worker } from "node:worker_threads";
import { startModuleWorker } from "../core/node-worker.js";
import { getKernelPath, type KernelPath } from "../kernels/index.js";
import type { Model, ModelSnapshot, ModelSpec } from "../models/model.js";
import { getBackgroundCheckerFactory, setBackgroundCheckerFactory, type BackgroundChecker, type CheckOutcome } from "./checks.js";
import { toSharedDataset, type SharedDataset } from "./shared-data.js";
import type { Dataset } from "./solver.js";

/** Main thread → worker (src/node/check-worker.ts). */
export type CheckRequest =
  | { type: "data"; id: number; data: SharedDataset }
  | {
      type: "check";
      id: number;
      spec: ModelSpec;
      kernelPath: KernelPath;
      snapshot: ModelSnapshot;
      trainMask: Int32Array | null;
      valMask: Int32Array | null;
      /** False: only the training rows (valAcc NaN). */
      withVal: boolean;
    }
  | { type: "drop"; id: number };

/** Worker → main thread. */
export type CheckReply =
  | { type: "ready" }
  | { type: "result"; id: number; trainAcc: number; valAcc: number }
  | { type: "error"; id: number; message: string };

/** How long `wait` lets one check take before it gives up on the thread (the Solver then checks inline). */
const WAIT_LIMIT_MS = 120_000;
/** Larger datasets are not copied to the thread: their checks run inline. */
export const MAX_SHARED_BYTES = 256 * 2 ** 20;

interface CheckThread {
  worker: Worker;
  port: MessagePort;
  /** [0]: replies posted so far (bumped by the worker after each reply). */
  signal: Int32Array;
  ready: boolean;
  /** Set after a timeout: the thread is no longer used. */
  broken: boolean;
  /** Replies received for each checker id, oldest first. */
  inbox: Map<number, Exclude<CheckReply, { type: "ready" }>[]>;
}

let thread: CheckThread | null = null;
let nextId = 1;

function startThread(): CheckThread {
  const { port1, port2 } = new MessageChannel();
  const signal = new Int32Array(new SharedArrayBuffer(4));
  const worker = startModuleWorker(import.meta.url, "../node/check-worker", { port: port2, signal }, [port2]);
  worker.unref();
  port1.unref();
  // NOTE: a worker that fails to start never says "ready", so it is simply never used.
  worker.on("error", () => {
    if (thread !== null) thread.broken = true;
  });
  return { worker, port: port1, signal, ready: false, broken: false, inbox: new Map() };
}

/** Takes every reply that has arrived off the port into the inbox. */
function drain(t: CheckThread): void {
  for (let m = receiveMessageOnPort(t.port); m !== undefined; m = receiveMessageOnPort(t.port)) {
    const reply = m.message as CheckReply;
    if (reply.type === "ready") t.ready = true;
    else t.inbox.get(reply.id)?.push(reply);
  }
}

class ThreadChecker implements BackgroundChecker {
  private readonly id = nextId++;
  private shared = false;

  constructor(
    private readonly t: CheckThread,
    private readonly spec: ModelSpec,
    private readonly data: Dataset,
  ) {
    t.inbox.set(this.id, []);
  }

  ready(): boolean {
    if (this.t.broken) return false;
    if (!this.t.ready) drain(this.t);
    return this.t.ready;
  }

  submit(snapshot: ModelSnapshot, trainMask: Int32Array | null, valMask: Int32Array | null, withVal = true): void {
    if (!this.shared) {
      // NOTE: copied per train() call, not kept: the caller may change its arrays between calls.
      this.post({ type: "data", id: this.id, data: toSharedDataset(this.data) });
      this.shared = true;
    }
    this.post({ type: "check", id: this.id, spec: this.spec, kernelPath: getKernelPath(), snapshot, trainMask, valMask, withVal });
  }

  poll(): CheckOutcome | null {
    drain(this.t);
    return this.take();
  }

  wait(): CheckOutcome {
    const start = performance.now();
    for (;;) {
      const seen = Atomics.load(this.t.signal, 0);
      drain(this.t);
      const r = this.take();
      if (r !== null) return r;
      if (this.t.broken || performance.now() - start > WAIT_LIMIT_MS) {
        const why = this.t.broken ? "the background check thread failed" : `no result from the background check thread in ${WAIT_LIMIT_MS / 1000} s`;
        this.t.broken = true;
        return { error: why };
      }
      Atomics.wait(this.t.signal, 0, seen, 100);
    }
  }

  end(): void {
    if (this.shared) this.post({ type: "drop", id: this.id });
    this.shared = false;
    this.t.inbox.set(this.id, []);
  }

  private take(): CheckOutcome | null {
    const box = this.t.inbox.get(this.id)!;
    const reply = box.shift();
    if (reply === undefined) return null;
    if (reply.type === "error") return { error: reply.message };
    return { trainAcc: reply.trainAcc, valAcc: reply.valAcc };
  }

  private post(m: CheckRequest): void {
    this.t.port.postMessage(m);
  }
}

/**
 * The factory the Solver calls for `backgroundChecks`: a checker when the model has a
 * `spec()` (the thread rebuilds it with `modelFromSpec`), the thread can be had and (for "auto") this is the main
 * thread of a machine with at least two cores and BNLAB_BACKGROUND_CHECKS is not "0"
 * (the switch for the CLI and benchmarks), and the data (copied to the thread) is at
 * most MAX_SHARED_BYTES.
 */
export function nodeBackgroundChecker(model: Model, data: Dataset, force: boolean): BackgroundChecker | null {
  if (!force && !autoAllowed()) return null;
  const spec = model.spec?.() ?? null;
  if (spec === null) return null;
  // NOTE: the thread gets a copy of the data per train() call: worth it for the notebook's
  // 1000-row sets (24 MB), not for the whole training set (600 MB), whose checks then run inline.
  if (data.xTrain.data.byteLength + data.xVal.data.byteLength > MAX_SHARED_BYTES) return null;
  if (thread === null) thread = startThread();
  if (thread.broken) return null;
  return new ThreadChecker(thread, spec, data);
}

/** What "auto" asks of the process: the main thread, two cores or more, BNLAB_BACKGROUND_CHECKS not "0". */
function autoAllowed(): boolean {
  return isMainThread && availableParallelism() >= 2 && process.env["BNLAB_BACKGROUND_CHECKS"] !== "0";
}

/**
 * Starts the thread now when "auto" would use it, without waiting, so that it is ready by
 * the first check (for programs about to load data and train: the CLI calls it first).
 */
export function prestartBackgroundChecks(): void {
  if (thread === null && autoAllowed()) thread = startThread();
}

/** Whether the background thread has been started and said it is ready (for tests and benchmarks). */
export function backgroundCheckThreadReady(): boolean {
  if (thread === null || thread.broken) return false;
  drain(thread);
  return thread.ready;
}

/**
 * Starts the background thread now (if the factory would use one) and, with `wait`,
 * blocks until it is ready or `timeoutMs` passes; returns whether it is ready.
 */
export function startBackgroundCheckThread(wait = false, timeoutMs = 10_000): boolean {
  if (thread === null) thread = startThread();
  const start = performance.now();
  while (wait && !backgroundCheckThreadReady() && !thread.broken && performance.now() - start < timeoutMs) {
    Atomics.wait(thread.signal, 0, Atomics.load(thread.signal, 0), 20);
  }
  return backgroundCheckThreadReady();
}

/**
 * Lets Solvers in this process measure their accuracy checks on a background thread
 * (`backgroundChecks`, "auto" by default): registers the Node checker, unless a checker
 * factory is already registered (that one is kept), and starts the thread now when "auto"
 * would use it, so that it is ready by the first check. Node only; call it once before
 * training (calling it again does nothing more). Without it every check is inline.
 */
export function enableBackgroundChecks(): void {
  if (getBackgroundCheckerFactory() === null) setBackgroundCheckerFactory(nodeBackgroundChecker);
  prestartBackgroundChecks();
}
