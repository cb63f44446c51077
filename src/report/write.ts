/**
 * Writes a run's output folder: figures/*.svg and *.png, results.json and
 * report.html. Every file is written to a temporary name and renamed, so a
 * reader never sees half a file.
 */
import { mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import type { ReproduceResults } from "../experiments/types.js";
import { renderReportHtml } from "./html.js";
import { renderFigure } from "./render.js";
import { resultsJsonText } from "./schema.js";
import { batchSizeSpec, deepNetSpec, sweepSpec } from "./specs.js";
import { getStudy } from "../studies/registry.js";
import type { AnyStudy, StudyRecord } from "../studies/study.js";
import { studySectionHtml, type StudyFigureHtml } from "./study-html.js";

/** Writes `data` to `path` atomically (temporary file in the same folder, then rename). */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

/** Renders one spec and writes `figures/<file>.svg` and `.png` under `outDir`; returns the relative paths and the SVG. */
export async function writeFigure(outDir: string, file: string, spec: TopLevelSpec): Promise<{ svg: string; png: string; svgText: string }> {
  mkdirSync(join(outDir, "figures"), { recursive: true });
  const fig = await renderFigure(spec);
  const svg = `figures/${file}.svg`;
  const png = `figures/${file}.png`;
  writeFileAtomic(join(outDir, svg), fig.svg);
  writeFileAtomic(join(outDir, png), fig.png);
  return { svg, png, svgText: fig.svg };
}

/**
 * Draws the study's figures into `outDir/figures` (files `<prefix><name>.svg|png`),
 * fills in `record.figures` and returns them for the HTML.
 */
export async function writeStudyFigures(outDir: string, study: AnyStudy, record: StudyRecord, prefix = ""): Promise<StudyFigureHtml[]> {
  const out: StudyFigureHtml[] = [];
  for (const f of study.figures(record.result)) {
    const w = await writeFigure(outDir, `${prefix}${f.name}`, f.spec);
    record.figures[f.name] = { svg: w.svg, png: w.png };
    out.push({ name: f.name, caption: f.caption, svg: w.svgText, files: { svg: w.svg, png: w.png } });
  }
  return out;
}

/** The section of a study in the notebook's report, its figures drawn into `outDir` (prefixed with the study's name). */
export async function studyReportSection(outDir: string, study: AnyStudy, record: StudyRecord): Promise<string> {
  const figures = await writeStudyFigures(outDir, study, record, `${study.name}-`);
  return studySectionHtml(record, study.summary, figures, 2, study.tables?.(record.result) ?? []);
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
 * results.json and report.html into `outDir` (created if needed).
 */
export async function writeReport(outDir: string, results: ReproduceResults): Promise<WrittenReport> {
  mkdirSync(outDir, { recursive: true });
  const specs: [string, string, TopLevelSpec][] = [
    ["deepNet", "deep-net", deepNetSpec(results.cells.deepNet)],
    ["sweep", "weight-scale-sweep", sweepSpec(results.cells.sweep)],
  ];
  if (results.cells.batchSize !== null) specs.push(["batchSize", "batch-size", batchSizeSpec(results.cells.batchSize)]);
  const t0 = performance.now();
  const svgs: Record<string, string> = {};
  const figures: Record<string, { svg: string; png: string }> = {};
  for (const [name, file, spec] of specs) {
    const f = await writeFigure(outDir, file, spec);
    svgs[name] = f.svgText;
    figures[name] = { svg: f.svg, png: f.png };
  }
  results.figures = figures;
  // The studies of --extended: figures prefixed with the study's name, one section each.
  const sections: string[] = [];
  for (const record of results.studies ?? []) sections.push(await studyReportSection(outDir, getStudy(record.study), record));
  results.timings.figures = (performance.now() - t0) / 1000;
  const resultsJson = join(outDir, "results.json");
  const reportHtml = join(outDir, "report.html");
  writeFileAtomic(resultsJson, resultsJsonText(results));
  writeFileAtomic(reportHtml, renderReportHtml(results, svgs, sections));
  const abs: Record<string, { svg: string; png: string }> = {};
  for (const [k, v] of Object.entries(figures)) abs[k] = { svg: join(outDir, v.svg), png: join(outDir, v.png) };
  return { outDir, resultsJson, reportHtml, figures: abs };
}
