/**
 * The benchmark machinery in its tiny configuration: every line is valid JSON with
 * the expected fields. Never asserts on timings.
 */
import { execFileSync } from "node:child_process";
import os from "node:os";
import { describe, expect, it } from "vitest";
import { BENCH_CASES, parseBenchArgs, runBench, type BenchLine } from "../bench/run.js";
import { availableKernelPaths } from "../src/node.js";

describe("bench", () => {
  it("runs every case in the tiny configuration and emits JSON-serialisable lines", async () => {
    const lines: BenchLine[] = [];
    await runBench({ tiny: true, jobs: 2, emit: (l) => lines.push(JSON.parse(JSON.stringify(l)) as BenchLine) });
    const kinds = new Set(lines.map((l) => l.case));
    for (const k of ["env", "matmul", "batchnorm-backward", "batchnorm-forward", "train-step", "training", "sweep", "numpy", "done"]) {
      expect(kinds, k).toContain(k);
    }
    // One matmul line per path, shape and dtype, each validated against the reference.
    const matmul = lines.filter((l) => l.case === "matmul" && l["path"] !== "numpy");
    expect(matmul).toHaveLength(availableKernelPaths().length * 2 * 2);
    for (const l of matmul) {
      expect(l["gflops"]).toBeGreaterThan(0);
      expect(l["relErr"]).toBeLessThanOrEqual(l["dtype"] === "float32" ? 1e-4 : 1e-12);
    }
    const bn = lines.filter((l) => l.case === "batchnorm-backward" && l["path"] !== "numpy").map((l) => l["variant"]);
    expect(bn.sort()).toEqual(["alt", "alt", "alt-into-workspace", "alt-into-workspace", "staged", "staged"]);
    expect(lines.filter((l) => l.case === "sweep" && l["path"] !== "numpy").map((l) => l["jobs"])).toEqual([1, 2]);
    // numpy either ran (then ratios follow) or a line says why not.
    const numpy = lines.find((l) => l.case === "numpy")!;
    if (numpy["available"] === true) {
      expect(lines.some((l) => l.case === "ratio" && l["of"] === "matmul")).toBe(true);
      expect(lines.some((l) => l.case === "ratio" && l["of"] === "training")).toBe(true);
    } else {
      expect(String(numpy["reason"])).toMatch(/numpy|python3/);
      expect(lines.some((l) => l.case === "ratio")).toBe(false);
    }
    // The kernel peak and, for each training and sweep, its FLOPs and achieved fraction of that peak.
    const best = lines.find((l) => l.case === "peak" && l["best"] === true)!;
    expect(best["gflopsPerCore"]).toBeGreaterThan(0);
    for (const l of lines.filter((x) => (x.case === "training" || x.case === "sweep") && x["path"] !== "numpy")) {
      expect(l["flops"]).toBeGreaterThan(0);
      const f = (l["flops"] as number) / ((((l["medianMs"] ?? l["wallMs"]) as number) / 1e3) * (l["cores"] as number) * (best["gflopsPerCore"] as number) * 1e9);
      expect(l["achievedFraction"]).toBeCloseTo(f, 9);
    }
    // The products alone (the least each training and the sweep can take) and the share of the
    // whole spent on them.
    const trainings = lines.filter((l) => l.case === "training" && l["path"] !== "numpy" && l["checks"] === "inline");
    for (const t of trainings) {
      const p = lines.find((l) => l.case === "products" && l["name"] === t["name"])!;
      expect(p["productsMs"]).toBeGreaterThan(0);
      const limit = lines.find((l) => l.case === "limit" && l["of"] === "training" && l["name"] === t["name"])!;
      expect(limit["fractionOfLimit"]).toBeCloseTo((p["productsMs"] as number) / (t["medianMs"] as number), 12);
    }
    const run = lines.find((l) => l.case === "products" && l["name"] === "sweep-run")!;
    const sweep = lines.find((l) => l.case === "products" && l["name"] === "sweep")!;
    expect(sweep["productsMs"]).toBeCloseTo(((run["productsMs"] as number) * (sweep["runs"] as number)) / (sweep["cores"] as number), 9);
    expect(lines.filter((l) => l.case === "limit" && l["of"] === "sweep")).toHaveLength(1);
    if (numpy["available"] === true) {
      expect(lines.some((l) => l.case === "ratio" && l["of"] === "products" && l["name"] === "sweep")).toBe(true);
      // numpy's sweep in one process and spread over as many processes as bnlab's jobs, each compared.
      expect(lines.filter((l) => l.case === "sweep" && l["path"] === "numpy").map((l) => l["processes"])).toEqual([1, 2]);
      expect(lines.filter((l) => l.case === "ratio" && l["of"] === "sweep" && l["jobs"] === 2).map((l) => l["numpyProcesses"])).toEqual([1, 2]);
      expect(lines.some((l) => l.case === "ratio" && l["of"] === "training" && l["checks"] === "inline")).toBe(true);
      // PyTorch ran, or a line says why not.
      expect(lines.filter((l) => l.case === "torch")).toHaveLength(1);
    }
    expect(lines[lines.length - 1]!.case).toBe("done");
  }, 60_000);

  it("--interleaved: the trainings and the sweep again, bnlab and numpy alternating, one ratio line each", async () => {
    const lines: BenchLine[] = [];
    await runBench({ tiny: true, jobs: 2, cases: ["training", "sweep"], interleaved: 3, emit: (l) => lines.push(JSON.parse(JSON.stringify(l)) as BenchLine) });
    const inter = lines.filter((l) => l["interleaved"] === true);
    if (lines.find((l) => l.case === "numpy")!["available"] !== true) {
      expect(inter).toEqual([]);
      expect(lines.find((l) => l.case === "interleaved")).toMatchObject({ available: false });
      return;
    }
    // One training line (the tiny configuration has one training), the sweep against numpy's pool of 2 and one process.
    expect(inter.map((l) => [l["of"], l["numpyProcesses"] ?? null])).toEqual([["training", null], ["sweep", 2], ["sweep", 1]]);
    for (const l of inter) {
      expect(l.case).toBe("ratio");
      expect(l["rounds"]).toBe(3);
      const ours = l["bnlabMs"] as number[];
      const theirs = l["numpyMs"] as number[];
      const r = l["roundRatios"] as number[];
      expect([ours.length, theirs.length, r.length]).toEqual([3, 3, 3]);
      for (let i = 0; i < 3; i++) expect(r[i]).toBe(ours[i]! / theirs[i]!);
      // timeRatio is the median of the rounds' ratios.
      expect(l["timeRatio"]).toBe([...r].sort((a, b) => a - b)[1]!);
      // Each round measured the peak next to its bnlab measurement: its achieved fraction.
      const peaks = l["peakGflops"] as number[];
      const fractions = l["achievedFractions"] as number[];
      expect([peaks.length, fractions.length]).toEqual([3, 3]);
      const cores = l["cores"] as number;
      expect(cores).toBe(l["of"] === "training" ? 1 : Math.min(2, os.cpus().length));
      for (let i = 0; i < 3; i++) {
        expect(peaks[i]).toBeGreaterThan(0);
        expect(fractions[i]).toBeCloseTo((l["flops"] as number) / ((ours[i]! / 1e3) * cores * peaks[i]! * 1e9), 12);
      }
      expect(l["achievedFraction"]).toBe([...fractions].sort((a, b) => a - b)[1]!);
    }
    // The sweep's rounds are the same bnlab runs set against both numpy sides.
    expect(inter[1]!["bnlabMs"]).toEqual(inter[2]!["bnlabMs"]);
    expect(lines[lines.length - 1]!.case).toBe("done");
  }, 60_000);

  it("`bnlab bench --json` prints only JSON lines", () => {
    const out = execFileSync(process.execPath, ["--import", "tsx", "cli/main.ts", "bench", "--json", "--tiny", "--no-numpy", "--only", "matmul,batchnorm"], {
      encoding: "utf8",
      timeout: 60_000,
    });
    const lines = out.trim().split("\n").map((l) => JSON.parse(l) as BenchLine);
    expect(lines[0]!.case).toBe("env");
    expect(lines.some((l) => l.case === "training")).toBe(false);
    expect(lines.find((l) => l.case === "numpy")).toMatchObject({ available: false, reason: "disabled (--no-numpy)" });
  }, 60_000);

  it("parses its arguments and rejects unknown ones", () => {
    expect(parseBenchArgs(["--tiny", "--only", "matmul,sweep", "--jobs", "3", "--no-numpy"])).toEqual({ tiny: true, cases: ["matmul", "sweep"], jobs: 3, numpy: false });
    expect(() => parseBenchArgs(["--only", "gpu"])).toThrow(/expected some of matmul/);
    expect(() => parseBenchArgs(["--jobs", "0"])).toThrow(/positive integer/);
    expect(parseBenchArgs(["--interleaved", "3"])).toEqual({ interleaved: 3 });
    expect(() => parseBenchArgs(["--interleaved", "two"])).toThrow(/--interleaved: expected a positive integer/);
    expect(() => parseBenchArgs(["--interleaved"])).toThrow(/--interleaved needs a value/);
    expect(() => parseBenchArgs(["--fast"])).toThrow(/unknown argument "--fast"/);
    expect(BENCH_CASES).toContain("training");
  });
});
