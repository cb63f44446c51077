/**
 * The report pieces on hand-made results: figures render to SVG and PNG with
 * the bundled font, results.json round-trips non-finite numbers through the
 * schema, and the page holds every cell, the figures and the answer.
 */
import { mkdtempSync, readFileSync, rmSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { renderReportHtml } from "../src/report/html.js";
import { renderFigure } from "../src/report/render.js";
import { fromResultsJson, resultsSchema, toResultsJson } from "../src/report/schema.js";
import { deepNetSpec, sweepSpec } from "../src/report/specs.js";
import { writeReport } from "../src/report/write.js";
import { makeResults } from "./report-helpers.js";

const PNG_MAGIC = [0x89, 0x50, 0x4e, 0x47];
const tmp = mkdtempSync(join(tmpdir(), "bnlab-report-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("figures", () => {
  it("the sweep spec uses a log x-axis and leaves out non-finite losses", () => {
    const r = makeResults();
    const spec = sweepSpec(r.cells.sweep) as { vconcat: { encoding: { x: { scale: { type: string } } }; data: { values: { loss?: number }[] }; title: string }[] };
    expect(spec.vconcat).toHaveLength(3);
    for (const panel of spec.vconcat) expect(panel.encoding.x.scale.type).toBe("log");
    const diverged = r.cells.sweep.points.filter((p) => !Number.isFinite(p.finalLoss)).length;
    expect(diverged).toBeGreaterThan(0);
    expect(spec.vconcat[2]!.data.values).toHaveLength(r.cells.sweep.points.length - diverged);
    expect(spec.vconcat[2]!.title).toContain(`${diverged} diverged`);
  });

  it("renders SVG with axis titles and a PNG with text drawn", async () => {
    const r = makeResults();
    const fig = await renderFigure(deepNetSpec(r.cells.deepNet));
    expect(fig.svg.startsWith("<svg")).toBe(true);
    for (const t of ["Training loss", "Training accuracy", "Validation accuracy", "baseline", "batchnorm", "Iteration", "Epoch"]) expect(fig.svg).toContain(t);
    expect([...fig.png.subarray(0, 4)]).toEqual(PNG_MAGIC);
    // Two points per data row plus marks: a real drawing is tens of kilobytes.
    expect(fig.png.length).toBeGreaterThan(20_000);
  });
});

describe("results.json", () => {
  it("encodes NaN and Infinity as strings and decodes them back", () => {
    const r = makeResults();
    r.cells.deepNet.runs[1]!.lossHistory[5] = Infinity;
    const json = toResultsJson(r);
    const text = JSON.stringify(json);
    expect(text).toContain('"NaN"');
    expect(text).toContain('"Infinity"');
    const back = fromResultsJson(JSON.parse(text));
    expect(back.cells.deepNet.runs[1]!.lossHistory[5]).toBe(Infinity);
    expect(back.cells.sweep.points.filter((p) => Number.isNaN(p.finalLoss)).length).toBe(r.cells.sweep.points.filter((p) => Number.isNaN(p.finalLoss)).length);
    expect(back.cells.answer.observations).toEqual(r.cells.answer.observations);
  });

  it("rejects unknown keys and wrong types", () => {
    const json = toResultsJson(makeResults()) as Record<string, unknown>;
    expect(resultsSchema.safeParse({ ...json, extra: 1 }).success).toBe(false);
    expect(resultsSchema.safeParse({ ...json, schema: "bnlab-results/2" }).success).toBe(false);
    const cells = json.cells as Record<string, unknown>;
    expect(resultsSchema.safeParse({ ...json, cells: { ...cells, sweep: { ...(cells.sweep as object), points: "x" } } }).success).toBe(false);
  });
});

describe("report.html", () => {
  it("holds every cell, inline figures, the answer and the synthetic-data banner", async () => {
    const r = makeResults();
    const written = await writeReport(tmp, r);
    const html = readFileSync(written.reportHtml, "utf8");
    for (const id of ["cell-1", "cell-2", "cell-3", "cell-4", "cell-5", "cell-6", "cell-7", "cell-8"]) expect(html).toContain(`id="${id}"`);
    expect(html.match(/<svg/g)?.length).toBe(2);
    expect(html).toContain("Synthetic data.");
    expect(html).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
    for (const p of r.cells.answer.observations) expect(html).toContain(p.slice(0, 40).replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;"));
    for (const f of Object.values(written.figures)) {
      expect(existsSync(f.svg)).toBe(true);
      expect([...readFileSync(f.png).subarray(0, 4)]).toEqual(PNG_MAGIC);
    }
    const parsed = fromResultsJson(JSON.parse(readFileSync(written.resultsJson, "utf8")));
    expect(parsed.figures.sweep).toEqual({ svg: "figures/weight-scale-sweep.svg", png: "figures/weight-scale-sweep.png" });
  });

  it("escapes text from results", () => {
    const r = makeResults();
    r.dataset.description = "<b>data</b> & more";
    const html = renderReportHtml(r, {});
    expect(html).toContain("&lt;b&gt;data&lt;/b&gt; &amp; more");
    expect(html).not.toContain("<b>data</b>");
  });
});
