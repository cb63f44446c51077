/**
 * `bnlab reproduce --quick --data <sample> --out <tmp>` end to end, as a user
 * runs it: results.json validates against the schema, the figures exist as SVG
 * and PNG, and report.html renders in chromium with no console errors and its
 * figures visible.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resultsSchema, fromResultsJson } from "../src/report/schema.js";
import { chromiumArgs, chromiumPath, openReportPage, repoRoot, samplePath } from "./helpers/env.js";

const sample = samplePath();
const browserPath = chromiumPath();
const out = mkdtempSync(join(tmpdir(), "bnlab-reproduce-"));
let run: { status: number | null; stdout: string; stderr: string } = { status: null, stdout: "", stderr: "" };

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe.skipIf(sample === null)("bnlab reproduce --quick on the CIFAR-10 sample", () => {
  beforeAll(() => {
    const r = spawnSync(
      process.execPath,
      ["--import", "tsx", join(repoRoot, "cli", "main.ts"), "reproduce", "--quick", "--data", sample!, "--out", out, "--jobs", "2"],
      { cwd: repoRoot, encoding: "utf8", env: { ...process.env, CI: "1" }, timeout: 110_000 },
    );
    run = { status: r.status, stdout: r.stdout, stderr: r.stderr };
  }, 120_000);

  it("exits 0, prints the summary table and where the report is", () => {
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain("1 train-time forward");
    expect(run.stdout).toContain("[-2.381, -13.180, 1.918]");
    expect(run.stdout).toContain("7 sweep (4 scales)");
    expect(run.stdout).toContain(join(out, "report.html"));
    expect(run.stderr).toContain("cell 7");
  });

  it("writes results.json that validates against the schema and records the data", () => {
    const json = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as unknown;
    const parsed = resultsSchema.safeParse(json);
    expect(parsed.success, parsed.success ? "" : parsed.error.message).toBe(true);
    const r = fromResultsJson(json);
    expect(r.dataset.source).toBe("cifar10");
    expect(r.dataset.numTrain).toBe(4170);
    expect(r.dataset.numVal).toBe(1000);
    expect(r.title).toContain("CIFAR-10");
    expect(r.settings).toMatchObject({ seed: 231, quick: true, jobs: 2 });
    expect(r.cells.forwardTrain.before.means[0]).toBeCloseTo(-2.3814598, 7);
    expect(r.cells.sweep.points).toHaveLength(8);
    expect(r.cells.deepNet.runs.map((x) => x.normalization)).toEqual(["batchnorm", "none"]);
    expect(r.cells.answer.observations.length).toBeGreaterThan(2);
    expect(r.timings.total).toBeGreaterThan(0);
  });

  it("writes both figures as SVG and PNG", () => {
    for (const name of ["deep-net", "weight-scale-sweep"]) {
      const svg = readFileSync(join(out, "figures", `${name}.svg`), "utf8");
      expect(svg.startsWith("<svg")).toBe(true);
      const png = readFileSync(join(out, "figures", `${name}.png`));
      expect([...png.subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
      expect(statSync(join(out, "figures", `${name}.png`)).size).toBeGreaterThan(20_000);
    }
  });

  it.skipIf(browserPath === null)("report.html renders in chromium with no console errors and visible figures", async () => {
    expect(existsSync(join(out, "report.html"))).toBe(true);
    const browser = await chromium.launch({ executablePath: browserPath!, args: chromiumArgs });
    try {
      const { page, errors, requests } = await openReportPage(browser, join(out, "report.html"));
      expect(await page.title()).toContain("CIFAR-10");
      const figures = page.locator("figure.plot svg");
      expect(await figures.count()).toBe(2);
      for (let i = 0; i < 2; i++) {
        const box = await figures.nth(i).boundingBox();
        expect(box, `figure ${i}`).not.toBeNull();
        expect(box!.width).toBeGreaterThan(300);
        expect(box!.height).toBeGreaterThan(300);
        // Marks are drawn: points/lines inside the SVG.
        expect(await figures.nth(i).locator("path").count()).toBeGreaterThan(10);
      }
      expect(await page.locator("#cell-8 p").count()).toBeGreaterThan(3);
      mkdirArtifacts();
      await page.screenshot({ path: join(repoRoot, "test-artifacts", "report.png"), fullPage: true });
      expect(errors).toEqual([]);
      expect(requests).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

function mkdirArtifacts(): void {
  rmSync(join(repoRoot, "test-artifacts", "report.png"), { force: true });
  spawnSync("mkdir", ["-p", join(repoRoot, "test-artifacts")]);
}
