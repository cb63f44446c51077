/**
 * Every registered study, as a user runs it: `bnlab study NAME --quick --data
 * <sample> --jobs 2` writes results.json that matches the record schema and the
 * study's own, every figure as SVG and PNG, and a report.html that renders in
 * chromium without console errors. The findings are written from the numbers
 * (other numbers give other text, every finding quotes a number), and the
 * result does not depend on the number of workers. Generic over the registry:
 * a new study gets these tests by being registered.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { getCifar10Data } from "../src/data/index.js";
import { encodeNonFinite } from "../src/report/schema.js";
import { fromStudyJson } from "../src/studies/json.js";
import { studyRecordSchema } from "../src/studies/record-schema.js";
import { getStudy, STUDIES, STUDY_NAMES } from "../src/studies/registry.js";
import { OptionError } from "../src/core/errors.js";
import { runStudy, studyOptions, type StudyRecord } from "../src/studies/study.js";
import { main } from "../cli/main.js";
import { captureCliOutput } from "./helpers/cli-capture.js";
import { chromiumArgs, chromiumPath, openReportPage, repoRoot, samplePath } from "./helpers/env.js";

const sample = samplePath();
const browserPath = chromiumPath();
const root = mkdtempSync(join(tmpdir(), "bnlab-studies-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const io = captureCliOutput();

function bnlab(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--import", "tsx", join(repoRoot, "cli", "main.ts"), ...args], {
    cwd: repoRoot,
    encoding: "utf8",
    env: { ...process.env, CI: "1" },
    timeout: 110_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** Every non-integer number scaled by a factor that depends on its position (integers are sizes and counts: kept). */
function perturb(value: unknown, path = ""): unknown {
  if (typeof value === "number") {
    if (!Number.isFinite(value) || Number.isInteger(value)) return value;
    let h = 0;
    for (let i = 0; i < path.length; i++) h = (h * 31 + path.charCodeAt(i)) | 0;
    return value * (1.5 + Math.sin(h));
  }
  if (Array.isArray(value)) return value.map((v, i) => perturb(v, `${path}/${i}`));
  if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, perturb(v, `${path}/${k}`)]));
  return value;
}

describe("the study registry", () => {
  it("has unique command-line names, a cited paper and both presets for every study", () => {
    expect(new Set(STUDY_NAMES).size).toBe(STUDIES.length);
    for (const s of STUDIES) {
      expect(s.name).toMatch(/^[a-z]+(-[a-z]+)*$/);
      expect(s.citation.authors.length).toBeGreaterThan(0);
      expect(s.citation.year).toBeGreaterThan(1990);
      expect(s.optionsSchema.safeParse(s.presets.quick).success).toBe(true);
      expect(s.optionsSchema.safeParse(s.presets.full).success).toBe(true);
      expect(getStudy(s.name)).toBe(s);
    }
    expect(() => getStudy("no-such-study")).toThrow(/expected one of/);
  });

  it("checks options given from outside with the study's schema (an OptionError naming the study)", () => {
    for (const s of STUDIES) {
      expect(studyOptions(s, true)).toBe(s.presets.quick);
      expect(studyOptions(s, false)).toBe(s.presets.full);
      expect(() => studyOptions(s, true, { ...(s.presets.quick as object), noSuchOption: 1 })).toThrow(OptionError);
      expect(() => studyOptions(s, true, { ...(s.presets.quick as object), noSuchOption: 1 })).toThrow(`invalid options of study "${s.name}"`);
    }
  });

  it("bnlab study --list names every study; an unknown name or none is a usage error", async () => {
    expect(await main(["study", "--list"])).toBe(0);
    for (const s of STUDIES) expect(io.stdout).toContain(s.name);
    expect(await main(["study", "no-such-study", "--synthetic"])).toBe(2);
    expect(io.stderr).toContain(`invalid study NAME: expected one of ${STUDY_NAMES.join(", ")}, got "no-such-study"`);
    expect(await main(["study", "--synthetic"])).toBe(2);
    expect(io.stderr).toContain("invalid NAME: expected a study name");
    expect(await main(["study", "covariate-shift", "--jobs", "0"])).toBe(2);
    expect(io.stderr).toContain("invalid --jobs");
  });
});

for (const study of STUDIES) {
  describe.skipIf(sample === null)(`bnlab study ${study.name} --quick on the CIFAR-10 sample`, () => {
    const out = join(root, study.name);
    let run = { status: null as number | null, stdout: "", stderr: "" };
    let record: StudyRecord | null = null;
    beforeAll(() => {
      run = bnlab(["study", study.name, "--quick", "--data", sample!, "--out", out, "--jobs", "2"]);
      if (run.status === 0) record = fromStudyJson(JSON.parse(readFileSync(join(out, "results.json"), "utf8")), study);
    }, 120_000);

    it("exits 0 and prints the findings and where the report is", () => {
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toContain(join(out, "report.html"));
      for (const f of record!.findings) expect(run.stdout).toContain(f.text.slice(0, 60));
    });

    it("writes results.json matching the record schema and the study's result schema", () => {
      const json = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { result: unknown };
      const env = studyRecordSchema.safeParse(json);
      expect(env.success, env.success ? "" : env.error.message).toBe(true);
      const res = study.resultSchema.safeParse(json.result);
      expect(res.success, res.success ? "" : res.error.message).toBe(true);
      expect(record!.study).toBe(study.name);
      expect(record!.settings).toMatchObject({ seed: 231, quick: true, jobs: 2 });
      expect(record!.dataset.source).toBe("cifar10");
      expect(record!.findings.length).toBeGreaterThan(0);
    });

    it("writes every figure as SVG and PNG", () => {
      const names = study.figures(record!.result).map((f) => f.name);
      expect(Object.keys(record!.figures).sort()).toEqual([...names].sort());
      for (const name of names) {
        const svg = readFileSync(join(out, "figures", `${name}.svg`), "utf8");
        expect(svg.startsWith("<svg")).toBe(true);
        const png = join(out, "figures", `${name}.png`);
        expect([...readFileSync(png).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
        expect(statSync(png).size).toBeGreaterThan(10_000);
      }
    });

    it("writes findings from the numbers: each quotes a number, other numbers give other text", () => {
      const texts = record!.findings.map((f) => f.text);
      for (const t of texts) expect(t).toMatch(/\d/);
      const changed = study.findings(perturb(record!.result)).map((f) => f.text);
      expect(changed).not.toEqual(texts);
      // The same numbers give the same text (nothing but the result goes in).
      expect(study.findings(record!.result).map((f) => f.text)).toEqual(texts);
    });

    it("gives the same result on this thread as on two workers", () => {
      const data = getCifar10Data({ dir: sample!, numTraining: "rest", numValidation: 1000, numTest: 1000 });
      const seq = runStudy(study, { data, dataset: record!.dataset, seed: 231, quick: true, version: "test", kernelPath: record!.versions.kernelPath });
      expect(JSON.stringify(encodeNonFinite(seq.result))).toBe(JSON.stringify(encodeNonFinite(record!.result)));
      expect(seq.findings).toEqual(record!.findings);
    });

    it.skipIf(browserPath === null)("report.html renders in chromium with no console errors, its figures and findings visible", async () => {
      expect(existsSync(join(out, "report.html"))).toBe(true);
      const browser = await chromium.launch({ executablePath: browserPath!, args: chromiumArgs });
      try {
        const { page, errors, requests } = await openReportPage(browser, join(out, "report.html"));
        expect(await page.title()).toContain(study.title);
        const figures = page.locator("figure.plot svg");
        const n = study.figures(record!.result).length;
        expect(await figures.count()).toBe(n);
        for (let i = 0; i < n; i++) {
          const box = await figures.nth(i).boundingBox();
          expect(box, `figure ${i}`).not.toBeNull();
          expect(box!.width).toBeGreaterThan(300);
          expect(await figures.nth(i).locator("path").count()).toBeGreaterThan(3);
        }
        expect(await page.locator("p.finding").count()).toBe(record!.findings.length);
        const tables = study.tables?.(record!.result) ?? [];
        expect(await page.locator("section.study table caption").count()).toBe(tables.length);
        for (const t of tables) expect(await page.locator("section.study tbody").first().innerText()).toContain(t.rows[0]![0]!);
        expect(await page.locator("p.citation").innerText()).toContain(study.citation.title);
        expect(errors).toEqual([]);
        expect(requests).toEqual([]);
      } finally {
        await browser.close();
      }
    });
  });
}
