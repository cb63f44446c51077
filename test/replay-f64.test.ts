/**
 * `bnlab reproduce --dtype float64 --seed 231` on the CIFAR-10 sample gives the deep-net
 * loss history of the assignment's numpy code (scripts/fixtures/deepnet_f64.py →
 * test/fixtures/deepnet-f64.json) to 1e-12. The test runs cell 6 as reproduce runs it
 * (`deepNetExperiment` with `reproduceConfig(...).deepNet`, seed 231, data loaded as the
 * CLI loads it with dtype float64) with the --quick settings: hidden [100]×5, weight scale
 * 2e-2, Adam lr 1e-3, batch 50, 200 training / 200 validation rows, 2 epochs (8 iterations
 * per net). The full run (1000 / 1000 rows, 10 epochs, 200 iterations per net) is in the
 * fixture too and is checked with BNLAB_FULL_REPLAY=1 (about a minute).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { deepNetExperiment, getCifar10Data, reproduceConfig } from "../src/node.js";
import { repoRoot, samplePath } from "./helpers/env.js";

interface RunRecord {
  lossHistory: number[];
  trainAccHistory: number[];
  valAccHistory: number[];
}
interface Fixture {
  seed: number;
  numTraining: number;
  quick: { num_train: number; num_val: number; num_epochs: number; runs: Record<string, RunRecord> };
  full: { num_train: number; num_val: number; num_epochs: number; runs: Record<string, RunRecord> };
}

const fx = JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "deepnet-f64.json"), "utf8")) as Fixture;
const sample = samplePath();

/** Largest |a − b| / max(|a|, |b|). */
function maxRel(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!) / Math.max(Math.abs(x), Math.abs(b[i]!))));
}

describe.skipIf(sample === null)("reproduce --dtype float64 replays numpy's cell 6 on the sample", () => {
  const cases: ["quick" | "full", boolean][] = [["quick", true], ["full", process.env.BNLAB_FULL_REPLAY === "1"]];
  it.each(cases)("%s settings: loss histories to 1e-12, accuracy histories exactly", (which, enabled) => {
    if (!enabled) return;
    const data = getCifar10Data({ dir: sample!, numTraining: "rest", numValidation: 1000, numTest: 1000, dtype: "float64" });
    expect(data.xTrain.shape[0]).toBe(fx.numTraining);
    const config = reproduceConfig(which === "quick", false).deepNet;
    const want = fx[which];
    expect([config.numTrain, config.numVal, config.numEpochs]).toEqual([want.num_train, want.num_val, want.num_epochs]);
    const result = deepNetExperiment(data, config, fx.seed);
    expect(result.runs.map((r) => r.normalization)).toEqual(["batchnorm", "none"]);
    for (const run of result.runs) {
      const w = want.runs[run.normalization]!;
      expect(run.lossHistory.length).toBe(w.lossHistory.length);
      expect(maxRel(run.lossHistory, w.lossHistory), `${run.normalization} loss`).toBeLessThanOrEqual(1e-12);
      expect(run.trainAccHistory).toEqual(w.trainAccHistory);
      expect(run.valAccHistory).toEqual(w.valAccHistory);
    }
  });
});
