/**
 * The notebook's full sweep (20 scales, 40 runs, fake rows) on JOBS workers (default 2; 1: on this
 * thread), once: wall time, the process's CPU time and its system part, its page faults, when the
 * first run started, and each run's own seconds in the order they ended —
 * the probe behind docs/performance.md's "Issue 15, sixth round". On Linux it also prints the TLB
 * shootdowns the machine took meanwhile (/proc/interrupts).
 *
 *   JOBS=2 node --import tsx bench/dev/sweep-timeline.ts
 */
import { readFileSync } from "node:fs";
import { SWEEP_DEFAULTS, logspace, runSweepJobs } from "../../src/node.js";
import { fakeDataset } from "../fake-rows.js";

function tlbShootdowns(): number | null {
  try {
    const line = readFileSync("/proc/interrupts", "utf8").split("\n").find((l) => l.trim().startsWith("TLB:"));
    return line === undefined ? null : line.trim().split(/\s+/).slice(1).filter((w) => /^\d+$/.test(w)).reduce((a, w) => a + Number(w), 0);
  } catch {
    return null;
  }
}

const data = fakeDataset();
const o = { ...SWEEP_DEFAULTS, numTrain: 1000, numVal: 1000, weightScales: logspace(-4, 0, 20) };
const jobs = Number(process.env["JOBS"] ?? 2);
const runs: string[] = [];
let firstStart = Infinity;
const tlb0 = tlbShootdowns();
const c0 = process.cpuUsage();
const pf0 = process.resourceUsage().minorPageFault;
const t0 = performance.now();
await runSweepJobs(data, o, 231, jobs, undefined, {
  onPoint: (job, p) => {
    const end = (performance.now() - t0) / 1000;
    firstStart = Math.min(firstStart, end - p.seconds);
    runs.push(`${job.index}:${p.seconds.toFixed(2)}`);
  },
});
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(c0);
const pageFaults = process.resourceUsage().minorPageFault - pf0;
const tlb1 = tlbShootdowns();
console.log(
  JSON.stringify({
    jobs,
    wallMs: Math.round(wallMs),
    cpuMs: Math.round((cpu.user + cpu.system) / 1000),
    systemMs: Math.round(cpu.system / 1000),
    pageFaults,
    tlbShootdowns: tlb0 === null || tlb1 === null ? null : tlb1 - tlb0,
    firstRunStartS: Number(firstStart.toFixed(2)),
    runs: runs.join(" "),
  }),
);
