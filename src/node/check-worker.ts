/**
 * The worker thread of src/train/background-checks.ts: scores model snapshots on the
 * Solver's data with `AccuracyCounter`, in the order they come. Node only. It lives outside
 * src/train because it builds concrete models (`modelFromSpec`); src/train knows only `Model`.
 */
import { workerData, type MessagePort } from "node:worker_threads";
import { setKernelPath } from "../kernels/index.js";
import { Tensor } from "../core/tensor.js";
import type { Model, ModelSpec } from "../models/model.js";
import { modelFromSpec } from "../models/spec.js";
import { AccuracyCounter } from "../train/accuracy.js";
import { datasetFromShared } from "../train/shared-data.js";
import type { CheckReply, CheckRequest } from "../train/background-checks.js";
import type { Dataset } from "../train/solver.js";

const init = (workerData as { init?: { port: MessagePort; signal: Int32Array } } | null)?.init;

if (init !== undefined) {
  const { port, signal } = init;
  const datasets = new Map<number, Dataset>();
  const models = new Map<string, Model>();
  /** Each dataset's counter, pinning its rows while the data lives here. */
  const pinning = new Map<number, AccuracyCounter>();
  const warmCounter = new AccuracyCounter();
  const reply = (r: CheckReply): void => {
    port.postMessage(r);
    Atomics.add(signal, 0, 1);
    Atomics.notify(signal, 0);
  };
  const modelFor = (spec: ModelSpec): Model => {
    const key = JSON.stringify(spec);
    let m = models.get(key);
    if (m === undefined) {
      if (models.size >= 4) models.clear();
      m = modelFromSpec(spec);
      models.set(key, m);
    }
    return m;
  };
  port.on("message", (m: CheckRequest) => {
    if (m.type === "data") {
      datasets.set(m.id, datasetFromShared(m.data));
      // One train() call's data, fixed until "drop": its rows scored whole are packed once (same bits).
      pinning.get(m.id)?.endPinning();
      const c = new AccuracyCounter();
      c.beginPinning();
      pinning.set(m.id, c);
    } else if (m.type === "drop") {
      datasets.delete(m.id);
      pinning.get(m.id)?.endPinning();
      pinning.delete(m.id);
    } else {
      try {
        const d = datasets.get(m.id);
        if (d === undefined) throw new Error(`no data for check ${m.id}`);
        const counter = pinning.get(m.id) ?? warmCounter;
        setKernelPath(m.kernelPath);
        const model = modelFor(m.spec);
        model.restore(m.snapshot);
        const trainAcc = counter.count(model, d.xTrain, d.yTrain, m.trainMask) / (m.trainMask?.length ?? d.xTrain.shape[0]!);
        const valAcc = m.withVal ? counter.count(model, d.xVal, d.yVal, m.valMask) / (m.valMask?.length ?? d.xVal.shape[0]!) : NaN;
        reply({ type: "result", id: m.id, trainAcc, valAcc });
      } catch (err) {
        reply({ type: "error", id: m.id, message: err instanceof Error ? err.message : String(err) });
      }
    }
  });
  // Warm up before saying ready: a few checks' worth of products through the kernels, so the
  // first real check does not pay for compiling and tiering them up (~120 ms measured cold).
  const warm = modelFromSpec({ kind: "fc-net", options: { hiddenDims: [64, 32], inputDim: 3072, normalization: "batchnorm" } });
  const wx = new Tensor(new Float32Array(200 * 3072).fill(0.5), [200, 3072]);
  const wy = new Int32Array(200);
  for (let r = 0; r < 8; r++) warmCounter.count(warm, wx, wy, null);
  reply({ type: "ready" });
}
