/**
 * The Sweep tab: the notebook's weight-scale experiment (cell 7) run in a pool of
 * workers, one training per (scale, normalization), reduced as the notebook
 * reduces it and drawn with the report's sweep figure as results arrive.
 */
import type { SweepPoint, SweepResult } from "../../src/experiments/types.js";
import { sweepSpec } from "../../src/report/specs.js";
import type { LiveChart } from "./charts.js";
import { runConfig } from "./runconfig.js";
import type { DataRequest, FromWorker, RunConfig } from "./protocol.js";
import { hiddenDims, sweepWeightScales, type NormKind, type Settings } from "./state.js";

/** The notebook's reduction of one run: best accuracies and the mean of the last 100 losses. */
export function sweepPoint(
  weightScale: number,
  normalization: NormKind,
  runSeed: number,
  r: { lossHistory: number[]; trainAccHistory: number[]; bestValAcc: number; seconds: number },
): SweepPoint {
  const last = r.lossHistory.slice(-100);
  const finalLoss = last.reduce((a, b) => a + b, 0) / Math.max(1, last.length);
  const firstBad = r.lossHistory.findIndex((l) => !Number.isFinite(l));
  return {
    weightScale,
    normalization,
    bestValAcc: r.bestValAcc,
    bestTrainAcc: r.trainAccHistory.reduce((a, b) => Math.max(a, b), 0),
    finalLoss,
    diverged: firstBad >= 0,
    firstNonFiniteIteration: firstBad >= 0 ? firstBad : null,
    trainAccHistory: r.trainAccHistory,
    runSeed,
    seconds: r.seconds,
  };
}

interface Job {
  weightScale: number;
  normalization: NormKind;
  run: RunConfig;
}

export class SweepRunner {
  readonly poolSize: number;
  private workers: Worker[] = [];
  /** Resolvers of the runs in flight, so that stop() can end their waits. */
  private waiting = new Set<(m: FromWorker) => void>();
  private stopped = false;
  /** Results so far (the page's debug handle exposes them). */
  points: SweepPoint[] = [];

  constructor(
    private readonly chart: LiveChart,
    private readonly status: (text: string) => void,
  ) {
    this.poolSize = Math.max(1, Math.min(8, navigator.hardwareConcurrency || 2));
  }

  /** Runs every (scale, normalization) job; resolves when all finished or the sweep was stopped. */
  async run(s: Settings, data: DataRequest): Promise<void> {
    this.stop();
    this.stopped = false;
    this.points = [];
    this.chart.clear();
    const norms = s.normA === s.normB ? [s.normA] : [s.normA, s.normB];
    const jobs: Job[] = [];
    for (const weightScale of sweepWeightScales(s.sweepScales)) {
      for (const normalization of norms) jobs.push({ weightScale, normalization, run: { ...runConfig({ ...s, weightScale }, normalization, 0) } });
    }
    const total = jobs.length;
    const t0 = performance.now();
    const result = (): SweepResult => ({
      seed: s.seed,
      settings: {
        hiddenDims: hiddenDims(s),
        numTrain: s.numTrain,
        numVal: 0,
        numEpochs: s.epochs,
        batchSize: s.batchSize,
        updateRule: s.optimizer,
        learningRate: s.learningRate,
      },
      weightScales: sweepWeightScales(s.sweepScales),
      normalizations: norms,
      points: [...this.points].sort((a, b) => a.weightScale - b.weightScale),
    });
    this.status(`Running ${total} trainings in ${this.poolSize} workers …`);
    let nextId = 1;
    const lane = async (): Promise<void> => {
      const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: "bnlab-sweep" });
      this.workers.push(worker);
      try {
        for (let job = jobs.shift(); job && !this.stopped; job = jobs.shift()) {
          const j = job;
          const m = await new Promise<FromWorker>((resolve) => {
            this.waiting.add(resolve);
            worker.onmessage = (e: MessageEvent<FromWorker>) => {
              if (e.data.type === "done" || e.data.type === "error") resolve(e.data);
            };
            worker.onerror = (e) => resolve({ type: "error", id: 0, message: e.message || "worker failed" });
            worker.postMessage({ type: "sweep", id: nextId++, run: j.run, data: data.kind === "file" ? { ...data, bytes: data.bytes.slice(0) } : data });
          });
          if (this.stopped) return;
          if (m.type === "error") {
            this.stopped = true;
            this.status(`Sweep failed: ${m.message}`);
            return;
          }
          if (m.type !== "done" || this.stopped) return;
          this.points.push(sweepPoint(j.weightScale, j.normalization, j.run.seed, m));
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
    if (this.stopped && this.points.length < total) this.status(`Stopped after ${this.points.length} / ${total} trainings.`);
  }

  stop(): void {
    this.stopped = true;
    for (const w of this.workers) w.terminate();
    this.workers = [];
    for (const resolve of this.waiting) resolve({ type: "error", id: 0, message: "stopped" });
    this.waiting.clear();
  }
}
