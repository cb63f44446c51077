/**
 * `reproduce --extended` with the studies: runReproduce (shrunk settings, on
 * synthetic data) adds one record per registered study, results.json keeps them
 * (validated by the record schema and each study's own), and report.html gets
 * one section per study with its figures and findings.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { syntheticCifar } from "../src/data/synthetic.js";
import { runReproduce } from "../src/experiments/reproduce.js";
import { fromResultsJson, resultsSchema } from "../src/report/schema.js";
import { writeReport } from "../src/report/write.js";
import { checkStudyResult } from "../src/studies/json.js";
import { getStudy, STUDIES, STUDY_NAMES } from "../src/studies/registry.js";
import { tinyExtendedConfig } from "./helpers/tiny-studies.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-studies-report-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("reproduce --extended with every registered study", () => {
  it("records each study, writes its figures and a section of report.html", async () => {
    const data = syntheticCifar({ numTrain: 60, numVal: 30, numTest: 10, seed: 2 });
    // Each study's quick preset, shrunk further (test/helpers/tiny-studies.ts).
    const config = tinyExtendedConfig();
    const dataset = { source: "synthetic" as const, dir: null, description: "synthetic test data", numTrain: 60, numVal: 30, numTest: 10, warning: null };
    const results = await runReproduce({ data, dataset, quick: true, extended: true, jobs: 1, version: "test", config });
    expect(results.studies?.map((s) => s.study)).toEqual([...STUDY_NAMES]);
    expect(Object.keys(results.timings)).toEqual(expect.arrayContaining(STUDY_NAMES.map((n) => `study:${n}`)));

    const written = await writeReport(tmp, results);
    const json = JSON.parse(readFileSync(written.resultsJson, "utf8")) as unknown;
    const parsed = resultsSchema.safeParse(json);
    expect(parsed.success, parsed.success ? "" : parsed.error.message).toBe(true);
    const back = fromResultsJson(json);
    const html = readFileSync(written.reportHtml, "utf8");
    for (const record of back.studies!) {
      const study = getStudy(record.study);
      expect(() => checkStudyResult(study, (json as { studies: { result: unknown }[] }).studies[back.studies!.indexOf(record)]!.result)).not.toThrow();
      expect(html).toContain(`id="study-${study.name}"`);
      for (const f of study.figures(record.result)) {
        expect(record.figures[f.name]).toEqual({ svg: `figures/${study.name}-${f.name}.svg`, png: `figures/${study.name}-${f.name}.png` });
        expect(existsSync(join(tmp, record.figures[f.name]!.png))).toBe(true);
        expect(html).toContain(`data-figure="${f.name}"`);
      }
      for (const f of record.findings) expect(html).toContain(`data-finding="${f.id}"`);
    }
    expect(html.match(/<section id="study-/g)?.length).toBe(STUDIES.length);
  });

  it("results.json's studies field is optional and holds study records only", () => {
    expect(resultsSchema.shape.studies.safeParse(undefined).success).toBe(true);
    expect(resultsSchema.shape.studies.safeParse([{ schema: "bnlab-study/1" }]).success).toBe(false);
  });
});
