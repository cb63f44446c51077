/**
 * The Sweep tab: the notebook's weight-scale experiment (cell 7) run in a pool of
 * workers. The runs and their stream states are those of `bnlab reproduce` (sweepJobs,
 * runSweepJob: the notebook's one stream, replayed), so the same settings give the
 * same points; they are drawn with the report's sweep figure as they arrive.
 */
import { IMAGE_BYTES } from "../../src/index.js";
import { logspace, sweepJobs, type SweepJob, type SweepOptions } from "../../src/index.js";
import type { SweepPoint, SweepResult, TrainSettings } from "../../src/index.js";
import { sweepSpec } from "../../src/index.js";
import type { LiveChart } from "./charts.js";
import type { DataRequest, FromWorker } from "./protocol.js";
import { hiddenDims, type Settings } from "./state.js";

/** The sweep the settings describe: their net and solver, `sweepScales` scales over 1e-4 … 1, both networks' normalizations. */
export function sweepOptions(s: Settings): SweepOptions {
  const settings: TrainSettings = {
    hiddenDims: hiddenDims(s),
    numTrain: s.numTrain,
    numVal: 1000,
    numEpochs: s.epochs,
    batchSize: s.batchSize,
    updateRule: s.optimizer,
    learningRate: s.learningRate,
  };
  return { ...settings, weightScales: logspace(-4, 0, s.sweepScales), normalizations: s.normA === s.normB ? [s.normA] : [s.normB, s.normA] };
}

export class SweepRunner {
  readonly poolSize: number;
  private workers: Worker[] = [];
  private stopped = false;
  /** Resolvers of the runs in flight, so that stop() can end their waits. */
  private waiting = new Set<(m: FromWorker) => void>();
  /** Results so far, in job order (the page's debug handle exposes them). */
  points: SweepPoint[] = [];

  constructor(
    private readonly chart: LiveChart,
    private readonly status: (text: string) => void,
  ) {
    this.poolSize = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 2));
  }

  /** Runs every job; resolves when all finished or the sweep was stopped. */
  async run(s: Settings, data: DataRequest): Promise<void> {
    this.stop();
    this.stopped = false;
    this.points = [];
    this.chart.clear();
    const o = sweepOptions(s);
    // NOTE: every data source of the page gives exactly numTrain CIFAR rows (or fails to load),
    // and runSweepJob checks the shape the states were planned for.
    const jobs: SweepJob[] = sweepJobs(o, s.seed, { numTrain: s.numTrain, inputDim: IMAGE_BYTES });
    const total = jobs.length;
    const byIndex = new Map<number, SweepPoint>();
    const { weightScales, normalizations, ...settings } = o;
    let input = { dim: 0, rms: 0 };
    const result = (): SweepResult => ({ seed: s.seed, settings, weightScales, normalizations, input, points: this.points });
    const t0 = performance.now();
    this.status(`Running ${total} trainings in ${this.poolSize} workers …`);
    let nextId = 1;
    let failure: string | null = null;
    const queue = [...jobs];
    const lane = async (): Promise<void> => {
      const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "bnlab-sweep" });
      this.workers.push(worker);
      try {
        for (let job = queue.shift(); job && !this.stopped; job = queue.shift()) {
          const j = job;
          const m = await new Promise<FromWorker>((resolve) => {
            this.waiting.add(resolve);
            worker.onmessage = (e: MessageEvent<FromWorker>) => {
              if (e.data.type === "point" || e.data.type === "error") resolve(e.data);
            };
            worker.onerror = (e) => resolve({ type: "error", id: 0, message: e.message || "worker failed" });
            const req = data.kind === "file" ? { ...data, bytes: data.bytes.slice(0) } : data;
            worker.postMessage({ type: "sweep", id: nextId++, settings, job: j, kernel: s.kernel, seed: s.seed, data: req });
          });
          if (this.stopped) return;
          if (m.type === "error") {
            this.stopped = true;
            failure = `Sweep failed: ${m.message}`;
            return;
          }
          if (m.type !== "point") return;
          byIndex.set(j.index, m.point);
          input = m.input;
          this.points = jobs.filter((x) => byIndex.has(x.index)).map((x) => byIndex.get(x.index)!);
          const secs = (performance.now() - t0) / 1000;
          this.status(`${this.points.length} / ${total} trainings done in ${secs.toFixed(1)} s (${this.poolSize} workers).`);
          this.chart.update(() => sweepSpec(result()));
        }
      } finally {
        worker.terminate();
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.poolSize, total) }, lane));
    await this.chart.flush();
    if (failure !== null) this.status(failure);
    else if (this.stopped && this.points.length < total) this.status(`Stopped after ${this.points.length} / ${total} trainings.`);
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.workers) w.terminate();
    this.workers = [];
    for (const resolve of this.waiting) resolve({ type: "error", id: 0, message: "stopped" });
    this.waiting.clear();
  }
}
