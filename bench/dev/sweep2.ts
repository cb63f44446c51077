/**
 * The weight-scale sweep (the notebook's 20 scales, 40 runs, on fake rows) in two worker threads,
 * wall time: the probe behind the A/B runs of docs/performance.md ("Tried: no check-row pinning in
 * the sweep's workers").
 *
 *   node --import tsx bench/dev/sweep2.ts
 */
import { SWEEP_DEFAULTS, logspace, sweepExperimentParallel } from "../../src/node.js";
import { fakeDataset } from "../fake-rows.js";

const data = fakeDataset();
const o = { ...SWEEP_DEFAULTS, numTrain: 1000, numVal: 1000, weightScales: logspace(-4, 0, 20) };
const t0 = performance.now();
await sweepExperimentParallel(data, o, 231, 2);
console.log(JSON.stringify({ jobs: 2, runs: 40, ms: Math.round(performance.now() - t0) }));
