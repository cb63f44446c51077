/**
 * The playground page: settings in the URL, two networks trained side by side in
 * Web Workers, live charts, and the weight-scale sweep tab.
 */
import "./style.css";
import { deepNetSpec, NORM_LABELS } from "../../src/index.js";
import type { DeepNetResult, TrainingRun } from "../../src/index.js";
import { LiveChart, layerStatsSpec, netLabel, STAT_TITLES, type StatKey, type StatsSeries } from "./charts.js";
import { Controls, el, formatScale } from "./controls.js";
import { CONTROL_PAUSE, CONTROL_RUN, CONTROL_STOP, type DataRequest, type FromWorker } from "./protocol.js";
import { hiddenDims, parseSettings, settingsToQuery, type NormKind, type Settings } from "./state.js";
import { runConfig } from "./runconfig.js";
import { SweepRunner } from "./sweep.js";
import { ImplementTab } from "./implement.js";

/** One of the two networks of the Train tab. */
interface RunView {
  side: "left" | "right";
  normalization: NormKind;
  worker: Worker | null;
  control: Int32Array | null;
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
  bestValAcc: number;
  stats: StatsSeries["points"];
  iteration: number;
  numIterations: number;
  iterationsPerEpoch: number;
  epoch: number;
  itPerSec: number;
  seconds: number;
  /** The kernel path the worker ran ("data" message) and whether the weights were resident ("done"). */
  kernel: string;
  resident: boolean;
  state: "idle" | "loading" | "running" | "paused" | "done" | "stopped" | "error";
  message: string;
}

const parsed = parseSettings(location.search);
let settings: Settings = parsed.settings;
const controls = new Controls(settings);
const lossChart = new LiveChart(el("chart-train"));
const statsChart = new LiveChart(el("chart-stats"));
const sweepChart = new LiveChart(el("chart-sweep"));
const isolated = typeof SharedArrayBuffer !== "undefined" && globalThis.crossOriginIsolated === true;
let chosenFile: { name: string; bytes: ArrayBuffer } | null = null;
let servedAvailable = false;
let runs: RunView[] = [];
let nextId = 1;
/** The Implement tab's code while "Train with my layers" runs (null: bnlab's layers). */
let learner: { source: string; filename: string } | null = null;
let implement: ImplementTab | null = null;

/** What tests and curious people can read from the console. */
const debug = {
  settings: () => settings,
  runs: () => runs,
  isolated,
  renders: () => ({ train: lossChart.renders, stats: statsChart.renders, sweep: sweepChart.renders }),
  sweep: null as SweepRunner | null,
  implement: () => implement,
  /** True once both runs ended and their final charts are drawn. */
  settled: false,
};
(globalThis as unknown as { bnlab: typeof debug }).bnlab = debug;

function showProblems(problems: string[]): void {
  el("problems").textContent = problems.length ? `Ignored in the URL or the form: ${problems.join("; ")}.` : "";
}

function syncUrl(): void {
  const q = settingsToQuery(settings);
  const url = `${location.pathname}${q ? `?${q}` : ""}`;
  history.replaceState(null, "", url);
  el<HTMLAnchorElement>("permalink").href = url;
}

function readControls(): void {
  const r = controls.read(settings);
  settings = r.settings;
  showProblems(r.problems);
  syncUrl();
  el("file-label").hidden = false;
  const yours = (k: NormKind): string => (learner !== null && k !== "none" ? " (your layers)" : "");
  el("title-a").textContent = `Left: ${NORM_LABELS[settings.normA]}${yours(settings.normA)}`;
  el("title-b").textContent = `Right: ${NORM_LABELS[settings.normB]}${yours(settings.normB)}`;
}

function selectTab(tab: Settings["tab"]): void {
  settings = { ...settings, tab };
  for (const t of ["train", "sweep", "implement"] as const) {
    el(`tab-${t}`).setAttribute("aria-selected", String(t === tab));
    el(`panel-${t}`).hidden = t !== tab;
  }
  el("sweep-fields").hidden = tab !== "sweep";
  el("controls").hidden = tab === "implement";
  syncUrl();
}

/** The data request the current settings name, or an error message. */
function dataRequest(): DataRequest | string {
  if (settings.data === "synthetic") return { kind: "synthetic" };
  if (settings.data === "file") {
    if (!chosenFile) return "Choose a CIFAR-10 binary file (data_batch_1.bin …) first.";
    return { kind: "file", name: chosenFile.name, bytes: chosenFile.bytes.slice(0) };
  }
  if (!servedAvailable) return "This page's server offers no CIFAR-10 data: choose the synthetic set or a file.";
  return { kind: "served", baseUrl: new URL(".", location.href).href };
}

function trainingRun(r: RunView): TrainingRun {
  return {
    normalization: r.normalization,
    batchSize: settings.batchSize,
    weightScale: settings.weightScale,
    lossHistory: r.lossHistory,
    trainAccHistory: r.trainAccHistory,
    valAccHistory: r.valAccHistory,
    bestValAcc: r.bestValAcc,
    iterationsPerEpoch: r.iterationsPerEpoch,
    seconds: r.seconds,
  };
}

function redraw(): void {
  if (runs.length === 0) return;
  const snapshot = runs.map(trainingRun);
  const result: DeepNetResult = {
    seed: settings.seed,
    settings: {
      hiddenDims: hiddenDims(settings),
      numTrain: settings.numTrain,
      numVal: 0,
      numEpochs: settings.epochs,
      batchSize: settings.batchSize,
      updateRule: settings.optimizer,
      learningRate: settings.learningRate,
      weightScale: settings.weightScale,
    },
    runs: snapshot,
  };
  lossChart.update(() => deepNetSpec(result, "Training: left and right network"));
  const key = el<HTMLSelectElement>("stat").value as StatKey;
  const series: StatsSeries[] = runs.map((r) => ({ label: netLabel(r.side, r.normalization), normalization: r.normalization, points: r.stats }));
  if (series.some((s) => s.points.length > 0)) statsChart.update(() => layerStatsSpec(series, key));
}

function showCounters(): void {
  for (const r of runs) {
    const id = r.side === "left" ? "counter-a" : "counter-b";
    const loss = r.lossHistory.length ? r.lossHistory[r.lossHistory.length - 1]! : NaN;
    const parts = [
      `iteration ${r.iteration} / ${r.numIterations || "…"}`,
      `epoch ${r.epoch} / ${settings.epochs}`,
      `${r.itPerSec.toFixed(1)} it/s`,
      Number.isFinite(loss) ? `loss ${loss.toFixed(4)}` : r.lossHistory.length ? "loss not finite" : "",
      r.valAccHistory.length ? `val acc ${r.valAccHistory[r.valAccHistory.length - 1]!.toFixed(3)}` : "",
    ].filter(Boolean);
    el(id).textContent = parts.join(" · ");
    el(id).dataset.iteration = String(r.iteration);
  }
  const states = runs.map((r) => `${r.side}: ${r.state}${r.message ? ` (${r.message})` : ""}`);
  el("status").textContent = states.join("; ");
  const active = runs.some((r) => r.state === "running" || r.state === "paused" || r.state === "loading");
  el<HTMLButtonElement>("pause").disabled = !active || !isolated;
  el<HTMLButtonElement>("pause").textContent = runs.some((r) => r.state === "paused") ? "Resume" : "Pause";
  el<HTMLButtonElement>("start").disabled = active;
}

function onMessage(r: RunView, m: FromWorker): void {
  switch (m.type) {
    case "data":
      r.state = "running";
      r.kernel = m.kernel;
      r.message = `${m.source}; ${m.numTrain} training / ${m.numVal} validation images; kernels ${m.kernel}`;
      break;
    case "progress":
      for (const l of m.losses) r.lossHistory.push(l);
      r.iteration = m.iteration;
      r.numIterations = m.numIterations;
      r.epoch = m.epoch;
      r.itPerSec = m.itPerSec;
      break;
    case "epoch":
      r.trainAccHistory.push(m.trainAcc);
      r.valAccHistory.push(m.valAcc);
      r.bestValAcc = Math.max(r.bestValAcc, m.valAcc);
      break;
    case "stats":
      r.stats.push({ iteration: m.iteration, layers: m.layers });
      break;
    case "done":
      r.lossHistory = m.lossHistory;
      r.trainAccHistory = m.trainAccHistory;
      r.valAccHistory = m.valAccHistory;
      r.bestValAcc = m.bestValAcc;
      r.seconds = m.seconds;
      r.iterationsPerEpoch = m.iterationsPerEpoch;
      r.itPerSec = m.itPerSec;
      r.resident = m.resident;
      r.state = m.stopped ? "stopped" : "done";
      r.message = `${m.seconds.toFixed(1)} s, best val acc ${m.bestValAcc.toFixed(3)}`;
      r.worker?.terminate();
      r.worker = null;
      break;
    case "error":
      r.state = "error";
      r.message = m.message;
      r.worker?.terminate();
      r.worker = null;
      break;
  }
  showCounters();
  redraw();
  if (runs.every((x) => x.worker === null)) void Promise.all([lossChart.flush(), statsChart.flush()]).then(() => (debug.settled = true));
}

function stopRuns(): void {
  for (const r of runs) {
    if (r.control) Atomics.store(r.control, 0, CONTROL_STOP);
    if (r.control) Atomics.notify(r.control, 0);
    r.worker?.terminate();
    r.worker = null;
  }
  runs = [];
}

function start(): void {
  readControls();
  const req = dataRequest();
  if (typeof req === "string") {
    el("status").textContent = req;
    return;
  }
  stopRuns();
  debug.settled = false;
  lossChart.clear();
  statsChart.clear();
  // About 50 probes per run, whatever its length (a probe costs about one training step).
  const total = Math.max(1, Math.floor(settings.numTrain / settings.batchSize)) * settings.epochs;
  const probeEvery = Math.max(1, Math.round(total / 50));
  runs = (["left", "right"] as const).map((side) => {
    const normalization = side === "left" ? settings.normA : settings.normB;
    const control = isolated ? new Int32Array(new SharedArrayBuffer(4)) : null;
    const worker = new Worker(new URL("./worker.ts", import.meta.url), { type: "module", name: `bnlab-${side}` });
    const r: RunView = {
      side,
      normalization,
      worker,
      control,
      lossHistory: [],
      trainAccHistory: [],
      valAccHistory: [],
      bestValAcc: 0,
      stats: [],
      iteration: 0,
      numIterations: 0,
      iterationsPerEpoch: 0,
      epoch: 0,
      itPerSec: 0,
      kernel: "",
      resident: false,
      seconds: 0,
      state: "loading",
      message: "loading data",
    };
    worker.onmessage = (e: MessageEvent<FromWorker>) => onMessage(r, e.data);
    worker.onerror = (e) => onMessage(r, { type: "error", id: 0, message: e.message || "the worker failed to start" });
    const data = req.kind === "file" ? { ...req, bytes: req.bytes.slice(0) } : req;
    worker.postMessage({
      type: "train",
      id: nextId++,
      run: runConfig(settings, normalization, probeEvery),
      data,
      control: control ? (control.buffer as SharedArrayBuffer) : null,
      learner: normalization === "none" ? null : learner,
    });
    return r;
  });
  showCounters();
}

function togglePause(): void {
  const paused = runs.some((r) => r.state === "paused");
  for (const r of runs) {
    if (!r.control || (r.state !== "running" && r.state !== "paused")) continue;
    Atomics.store(r.control, 0, paused ? CONTROL_RUN : CONTROL_PAUSE);
    Atomics.notify(r.control, 0);
    r.state = paused ? "running" : "paused";
  }
  showCounters();
}

function reset(): void {
  stopRuns();
  lossChart.clear();
  statsChart.clear();
  for (const id of ["counter-a", "counter-b"]) {
    el(id).textContent = "iteration 0";
    el(id).dataset.iteration = "0";
  }
  el("status").textContent = "Ready.";
  el<HTMLButtonElement>("start").disabled = false;
  el<HTMLButtonElement>("pause").disabled = true;
}

async function probeServer(): Promise<void> {
  let note: string;
  try {
    const res = await fetch(new URL("bnlab-config.json", location.href));
    const cfg = res.ok ? ((await res.json()) as { defaultSource: string; files: { name: string }[] }) : null;
    servedAvailable = cfg !== null && cfg.files.some((f) => f.name.startsWith("data_batch_"));
    note = servedAvailable ? `The server offers ${cfg!.files.filter((f) => f.name.startsWith("data_batch_")).length} CIFAR-10 training batch(es).` : "";
  } catch {
    servedAvailable = false;
    note = "";
  }
  controls.setDataAvailable("served", servedAvailable);
  if (!servedAvailable) {
    note = "No CIFAR-10 data from this host: use the synthetic set or choose a data_batch_N.bin file.";
    if (settings.data === "served") {
      settings = { ...settings, data: "synthetic" };
      controls.write(settings);
    }
  }
  el("data-note").textContent = note + (isolated ? "" : " (Not cross-origin isolated: Pause is unavailable; Reset still stops a run.)");
}

function init(): void {
  const stat = el<HTMLSelectElement>("stat");
  stat.replaceChildren(...(Object.keys(STAT_TITLES) as StatKey[]).map((k) => new Option(STAT_TITLES[k], k)));
  stat.addEventListener("change", redraw);
  showProblems(parsed.problems);
  el("controls").addEventListener("change", readControls);
  el("scale-slider").addEventListener("change", readControls);
  el("start").addEventListener("click", () => {
    learner = null;
    start();
  });
  el("pause").addEventListener("click", togglePause);
  el("reset").addEventListener("click", reset);
  for (const t of ["train", "sweep", "implement"] as const) el(`tab-${t}`).addEventListener("click", () => selectTab(t));
  implement = new ImplementTab((code) => {
    // "Train with my layers": the Train tab's two networks, normalized by the learner's code.
    learner = code;
    selectTab("train");
    start();
  });
  el<HTMLInputElement>("file").addEventListener("change", async () => {
    const f = el<HTMLInputElement>("file").files?.[0];
    if (!f) return;
    chosenFile = { name: f.name, bytes: await f.arrayBuffer() };
    settings = { ...settings, data: "file" };
    controls.write(settings);
    readControls();
    el("data-note").textContent = `Chosen: ${f.name} (${(f.size / 1e6).toFixed(1)} MB).`;
  });
  const sweep = new SweepRunner(sweepChart, (text) => (el("sweep-status").textContent = text));
  debug.sweep = sweep;
  el("worker-count").textContent = String(sweep.poolSize);
  el("sweep-start").addEventListener("click", () => {
    readControls();
    const req = dataRequest();
    if (typeof req === "string") {
      el("sweep-status").textContent = req;
      return;
    }
    el<HTMLButtonElement>("sweep-start").disabled = true;
    el<HTMLButtonElement>("sweep-stop").disabled = false;
    void sweep.run(settings, req).finally(() => {
      el<HTMLButtonElement>("sweep-start").disabled = false;
      el<HTMLButtonElement>("sweep-stop").disabled = true;
    });
  });
  el("sweep-stop").addEventListener("click", () => sweep.stop());
  selectTab(settings.tab);
  readControls();
  el("scale-out").title = `weight scale ${formatScale(settings.weightScale)}`;
  void probeServer();
}

init();
