/**
 * Writes a study's output folder (`bnlab study`): figures/*.svg and *.png,
 * results.json and report.html, each through the report writer's atomic
 * `writeFigure` / `writeFileAtomic` (src/report/write.ts, which also draws the
 * studies' sections of the notebook's report with `reproduce --extended`).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { studyJsonText } from "../studies/json.js";
import type { AnyStudy, StudyRecord } from "../studies/study.js";
import { renderStudyHtml } from "./study-html.js";
import { writeFileAtomic, writeStudyFigures } from "./write.js";

/** Paths written by `writeStudyReport`, absolute. */
export interface WrittenStudyReport {
  outDir: string;
  resultsJson: string;
  reportHtml: string;
  figures: Record<string, { svg: string; png: string }>;
}

/** Draws the figures and writes results.json and report.html of a study run into `outDir` (created if needed). */
export async function writeStudyReport(outDir: string, study: AnyStudy, record: StudyRecord): Promise<WrittenStudyReport> {
  mkdirSync(outDir, { recursive: true });
  const t0 = performance.now();
  const figures = await writeStudyFigures(outDir, study, record);
  record.timings.figures = (performance.now() - t0) / 1000;
  const resultsJson = join(outDir, "results.json");
  const reportHtml = join(outDir, "report.html");
  writeFileAtomic(resultsJson, studyJsonText(record, study));
  writeFileAtomic(reportHtml, renderStudyHtml(record, study.summary, figures, study.tables?.(record.result) ?? []));
  const abs: Record<string, { svg: string; png: string }> = {};
  for (const [k, v] of Object.entries(record.figures)) abs[k] = { svg: join(outDir, v.svg), png: join(outDir, v.png) };
  return { outDir, resultsJson, reportHtml, figures: abs };
}
