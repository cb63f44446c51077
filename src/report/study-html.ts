/**
 * The HTML of a study: a section (for `reproduce --extended`'s report) and a
 * whole self-contained page (`bnlab study`), in the house style of report.html
 * (same style sheet, inline SVG, no scripts, no network). Pure string building.
 */
import type { Citation, StudyRecord, StudyTable } from "../studies/study.js";
import { escapeHtml, fmtNum, REPORT_CSS } from "./html.js";

/** "A, B and C, “Title”, Venue, Year." */
export function citationText(c: Citation): string {
  const names = c.authors.length <= 2 ? c.authors.join(" and ") : `${c.authors.slice(0, -1).join(", ")} and ${c.authors[c.authors.length - 1]}`;
  return `${names}, “${c.title}”, ${c.venue}, ${c.year}.`;
}

/** A figure of a study: inline SVG, caption and the file names. */
export interface StudyFigureHtml {
  name: string;
  caption: string;
  svg: string;
  files?: { svg: string; png: string };
}

function settingsRows(options: unknown): string {
  if (options === null || typeof options !== "object") return "";
  const rows = Object.entries(options as Record<string, unknown>).map(
    ([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(typeof v === "number" ? fmtNum(v) : JSON.stringify(v))}</td></tr>`,
  );
  return `<details><summary>Settings</summary><table><thead><tr><th>option</th><th>value</th></tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table></details>`;
}

/**
 * One study as a section: what it measures, the paper, the findings (written
 * from the numbers), the figures and the settings. `heading` is the level of its title.
 */
function tableHtml(t: StudyTable): string {
  const th = t.head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const trs = t.rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><caption>${escapeHtml(t.caption)}</caption><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

export function studySectionHtml(record: StudyRecord, summary: string, figures: readonly StudyFigureHtml[], heading: 1 | 2 = 2, tables: readonly StudyTable[] = []): string {
  const h = `h${heading}`;
  const sub = `h${heading + 1}`;
  const figs = figures
    .map((f) => {
      const links = f.files ? ` Files: <code>${escapeHtml(f.files.svg)}</code>, <code>${escapeHtml(f.files.png)}</code>.` : "";
      return `<figure class="plot" data-figure="${escapeHtml(f.name)}">\n${f.svg}\n<figcaption>${escapeHtml(f.caption)}${links}</figcaption>\n</figure>`;
    })
    .join("\n");
  const findings = record.findings.map((f) => `<p class="finding" data-finding="${escapeHtml(f.id)}">${escapeHtml(f.text)}</p>`).join("\n");
  return `<section id="study-${escapeHtml(record.study)}" class="study">
<${h}>${escapeHtml(record.title)}</${h}>
<p class="purpose">${escapeHtml(summary.charAt(0).toUpperCase() + summary.slice(1))}.</p>
<p class="citation">After ${escapeHtml(citationText(record.citation))}${record.citation.url ? ` <code>${escapeHtml(record.citation.url)}</code>` : ""}</p>
<${sub}>Findings</${sub}>
<p class="meta">Written by bnlab from the numbers measured in this run; other settings or data give other text.</p>
${findings}
${tables.map(tableHtml).join("\n")}
<${sub}>Figures</${sub}>
${figs}
${settingsRows(record.options)}
</section>`;
}

/** A study's whole page (report.html of `bnlab study`). */
export function renderStudyHtml(record: StudyRecord, summary: string, figures: readonly StudyFigureHtml[], tables: readonly StudyTable[] = []): string {
  const ds = record.dataset;
  const synthetic = ds.source === "synthetic";
  const dataWord = synthetic ? "SYNTHETIC data (not CIFAR-10)" : "CIFAR-10";
  const title = `${record.title}: a bnlab study on ${dataWord}${record.settings.quick ? " (quick run)" : ""}`;
  const banner = synthetic
    ? `<div class="banner" role="alert"><strong>Synthetic data.</strong> These results come from bnlab's synthetic CIFAR-shaped data set, not from CIFAR-10.${ds.warning ? ` ${escapeHtml(ds.warning)}` : ""}</div>`
    : "";
  const timingRows = Object.entries(record.timings)
    .map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${v.toFixed(2)} s</td></tr>`)
    .join("\n");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
${REPORT_CSS}.study p.finding { max-width: 52em; } caption { text-align: left; color: #555; padding-bottom: 0.3em; }
</style>
</head>
<body>
<header>
<p class="meta">Data: ${escapeHtml(ds.description)}. Seed ${record.settings.seed}${record.settings.quick ? ", --quick" : ""}, ${record.settings.jobs} job(s). bnlab ${escapeHtml(record.versions.bnlab)}, Node ${escapeHtml(record.versions.node)}, kernel ${escapeHtml(record.versions.kernelPath)}, ${escapeHtml(record.createdAt)}.</p>
${banner}
</header>
${studySectionHtml(record, summary, figures, 1, tables)}
<footer>
<h2>Timings</h2>
<table><thead><tr><th>step</th><th>wall time</th></tr></thead><tbody>
${timingRows}
</tbody></table>
</footer>
</body>
</html>
`;
}
