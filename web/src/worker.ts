/**
 * The training worker: loads the data a message names, trains one network with
 * the library (WebAssembly kernels), and posts progress. Pause blocks this thread
 * with Atomics.wait on the page's shared control word; stop ends the run early.
 */
import { runSweepJob, sweepResult } from "../../src/index.js";
import { loadPlaygroundData, type PlaygroundData } from "./dataset.js";
import { useKernels } from "./kernels.js";
import { CONTROL_PAUSE, CONTROL_STOP, type DataRequest, type FromWorker, type ToWorker } from "./protocol.js";
import { StopRun, trainRun, type TrainHooks } from "./trainer.js";
import { loadInPage, netLayers } from "./learner.js";

/** The part of DedicatedWorkerGlobalScope this file uses (the DOM lib types `self` as Window). */
interface WorkerScope {
  postMessage(message: FromWorker): void;
  onmessage: ((e: MessageEvent<ToWorker>) => void) | null;
}
const scope = self as unknown as WorkerScope;

let cached: { key: string; data: PlaygroundData } | null = null;

function dataKey(req: DataRequest, numTraining: number, seed: number): string {
  const what = req.kind === "served" ? req.baseUrl : req.kind === "file" ? `${req.name}:${req.bytes.byteLength}` : `seed ${seed}`;
  return `${req.kind}|${what}|${numTraining}`;
}

/** The data of a request; a sweep worker loads it once for all its runs. */
async function getData(req: DataRequest, numTraining: number, seed: number): Promise<PlaygroundData> {
  const key = dataKey(req, numTraining, seed);
  if (cached?.key === key) return cached.data;
  const data = await loadPlaygroundData(req, numTraining, seed);
  cached = { key, data };
  return data;
}

function control(word: Int32Array | null): (() => void) | undefined {
  if (word === null) return undefined;
  return () => {
    let state = Atomics.load(word, 0);
    while (state === CONTROL_PAUSE) {
      Atomics.wait(word, 0, CONTROL_PAUSE);
      state = Atomics.load(word, 0);
    }
    if (state === CONTROL_STOP) throw new StopRun();
  };
}

async function handle(msg: ToWorker): Promise<void> {
  const { id } = msg;
  if (msg.type === "sweep") {
    useKernels(msg.kernel);
    const data = await getData(msg.data, msg.settings.numTrain, msg.seed);
    const point = runSweepJob(data, msg.settings, msg.job);
    const { input } = sweepResult(data, { ...msg.settings, weightScales: [], normalizations: [] }, msg.seed, []);
    scope.postMessage({ type: "point", id, point, input });
    return;
  }
  const { run } = msg;
  const kernel = useKernels(run.kernel);
  const data = await getData(msg.data, run.numTrainSamples, run.seed);
  scope.postMessage({ type: "data", id, source: data.source, numTrain: data.yTrain.length, numVal: data.yVal.length, kernel });
  const hooks: TrainHooks = {
    progress: (p) => scope.postMessage({ type: "progress", id, ...p }),
    epoch: (trainAcc, valAcc) => scope.postMessage({ type: "epoch", id, trainAcc, valAcc }),
    stats: (iteration, layers) => scope.postMessage({ type: "stats", id, iteration, layers }),
  };
  const c = control(msg.control ? new Int32Array(msg.control) : null);
  if (c) hooks.control = c;
  if (msg.learner) hooks.layers = netLayers(loadInPage(msg.learner.source, msg.learner.filename));
  scope.postMessage({ type: "done", id, ...trainRun(data, run, hooks) });
}

scope.onmessage = (e) => {
  const msg = e.data;
  handle(msg).catch((err: unknown) => {
    scope.postMessage({ type: "error", id: msg.id, message: err instanceof Error ? err.message : String(err) });
  });
};
