/**
 * Writes a run's output folder: figures/*.svg and *.png, results.json and
 * report.html. Everything is rendered first, then the folder is written whole
 * or not at all (`writeReportDir`, src/report/report-dir.ts).
 */
import { renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tempPathFor } from "../node/temp-files.js";
import type { TopLevelSpec } from "vega-lite";
import type { ReproduceResults } from "../experiments/types.js";
import { renderReportHtml } from "./html.js";
import { renderFigure } from "./render.js";
import { writeReportDir, type ReportFile, type WriteReportDirOptions } from "./report-dir.js";
import { resultsJsonText } from "./schema.js";
import { batchSizeSpec, deepNetSpec, sweepSpec } from "./specs.js";
import { getStudy } from "../studies/registry.js";
import type { AnyStudy, StudyRecord } from "../studies/study.js";
import { studySectionHtml, type StudyFigureHtml } from "./study-html.js";

export { ReportWriteError, recoverReportDir, writeReportDir, type ReportFile, type WriteReportDirOptions } from "./report-dir.js";

/** Writes `data` to `path` atomically (temporary file in the same folder, then rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tempPathFor(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** A rendered figure: the two report files (`figures/<file>.svg` and `.png`) and the SVG text. */
export interface FigureFiles {
  svg: string;
  png: string;
  svgText: string;
  files: ReportFile[];
}

/** Renders one spec into the files `figures/<file>.svg` and `.png` of a report folder (not written yet). */
export async function figureFiles(file: string, spec: TopLevelSpec): Promise<FigureFiles> {
  const fig = await renderFigure(spec);
  const svg = `figures/${file}.svg`;
  const png = `figures/${file}.png`;
  return { svg, png, svgText: fig.svg, files: [{ path: svg, data: fig.svg }, { path: png, data: fig.png }] };
}

/**
 * Renders one spec and writes `figures/<file>.svg` and `.png` into the report folder
 * `outDir` (whole or not at all, keeping the folder's other files); returns the
 * relative paths and the SVG.
 */
export async function writeFigure(outDir: string, file: string, spec: TopLevelSpec): Promise<{ svg: string; png: string; svgText: string }> {
  const fig = await figureFiles(file, spec);
  writeReportDir(outDir, fig.files);
  return { svg: fig.svg, png: fig.png, svgText: fig.svgText };
}

/**
 * Renders the study's figures as report files `figures/<prefix><name>.svg|png`
 * (written by the caller's `writeReportDir`), fills in `record.figures` and returns
 * them for the HTML.
 */
export async function studyFigureFiles(study: AnyStudy, record: StudyRecord, prefix = ""): Promise<{ html: StudyFigureHtml[]; files: ReportFile[] }> {
  const html: StudyFigureHtml[] = [];
  const files: ReportFile[] = [];
  for (const f of study.figures(record.result)) {
    const w = await figureFiles(`${prefix}${f.name}`, f.spec);
    record.figures[f.name] = { svg: w.svg, png: w.png };
    html.push({ name: f.name, caption: f.caption, svg: w.svgText, files: { svg: w.svg, png: w.png } });
    files.push(...w.files);
  }
  return { html, files };
}

/** The section of a study in the notebook's report, and its figure files (prefixed with the study's name). */
export async function studyReportSection(study: AnyStudy, record: StudyRecord): Promise<{ html: string; files: ReportFile[] }> {
  const figures = await studyFigureFiles(study, record, `${study.name}-`);
  return { html: studySectionHtml(record, study.summary, figures.html, 2, study.tables?.(record.result) ?? []), files: figures.files };
}

/** Paths written by `writeReport`, absolute. */
export interface WrittenReport {
  outDir: string;
  resultsJson: string;
  reportHtml: string;
  figures: Record<string, { svg: string; png: string }>;
}

/**
 * Draws the figures of `results`, fills in `results.figures`, and writes
 * results.json, report.html and figures/ as the folder `outDir`, whole or not
 * at all (a `ReportWriteError` leaves an existing report as it was).
 */
export async function writeReport(outDir: string, results: ReproduceResults, options: WriteReportDirOptions = {}): Promise<WrittenReport> {
  const specs: [string, string, TopLevelSpec][] = [
    ["deepNet", "deep-net", deepNetSpec(results.cells.deepNet)],
    ["sweep", "weight-scale-sweep", sweepSpec(results.cells.sweep)],
  ];
  if (results.cells.batchSize !== null) specs.push(["batchSize", "batch-size", batchSizeSpec(results.cells.batchSize)]);
  const t0 = performance.now();
  const svgs: Record<string, string> = {};
  const figures: Record<string, { svg: string; png: string }> = {};
  const files: ReportFile[] = [];
  for (const [name, file, spec] of specs) {
    const f = await figureFiles(file, spec);
    svgs[name] = f.svgText;
    figures[name] = { svg: f.svg, png: f.png };
    files.push(...f.files);
  }
  results.figures = figures;
  // The studies of --extended: figures prefixed with the study's name, one section each.
  const sections: string[] = [];
  for (const record of results.studies ?? []) {
    const section = await studyReportSection(getStudy(record.study), record);
    sections.push(section.html);
    files.push(...section.files);
  }
  results.timings.figures = (performance.now() - t0) / 1000;
  files.push({ path: "results.json", data: resultsJsonText(results) }, { path: "report.html", data: renderReportHtml(results, svgs, sections) });
  writeReportDir(outDir, files, options);
  const abs: Record<string, { svg: string; png: string }> = {};
  for (const [k, v] of Object.entries(figures)) abs[k] = { svg: join(outDir, v.svg), png: join(outDir, v.png) };
  return { outDir, resultsJson: join(outDir, "results.json"), reportHtml: join(outDir, "report.html"), figures: abs };
}
