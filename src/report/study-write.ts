/**
 * Writes a study's output folder (`bnlab study`): figures/*.svg and *.png,
 * results.json and report.html, rendered first and then written whole or not at
 * all by the one report writer, `writeReportDir` (src/report/report-dir.ts;
 * src/report/write.ts also draws the studies' sections of the notebook's report
 * with `reproduce --extended`).
 */
import { join } from "node:path";
import { studyJsonText } from "../studies/json.js";
import type { AnyStudy, StudyRecord } from "../studies/study.js";
import { renderStudyHtml } from "./study-html.js";
import { studyFigureFiles, writeReportDir, type WriteReportDirOptions } from "./write.js";

/** Paths written by `writeStudyReport`, absolute. */
export interface WrittenStudyReport {
  outDir: string;
  resultsJson: string;
  reportHtml: string;
  figures: Record<string, { svg: string; png: string }>;
}

/**
 * Draws the figures and writes results.json and report.html of a study run as the
 * folder `outDir`, whole or not at all (a `ReportWriteError` leaves it as it was).
 */
export async function writeStudyReport(outDir: string, study: AnyStudy, record: StudyRecord, options: WriteReportDirOptions = {}): Promise<WrittenStudyReport> {
  const t0 = performance.now();
  const figures = await studyFigureFiles(study, record);
  record.timings.figures = (performance.now() - t0) / 1000;
  const resultsJson = join(outDir, "results.json");
  const reportHtml = join(outDir, "report.html");
  writeReportDir(
    outDir,
    [...figures.files, { path: "results.json", data: studyJsonText(record, study) }, { path: "report.html", data: renderStudyHtml(record, study.summary, figures.html, study.tables?.(record.result) ?? []) }],
    options,
  );
  const abs: Record<string, { svg: string; png: string }> = {};
  for (const [k, v] of Object.entries(record.figures)) abs[k] = { svg: join(outDir, v.svg), png: join(outDir, v.png) };
  return { outDir, resultsJson, reportHtml, figures: abs };
}
