/**
 * The summary table of `bnlab reproduce`: one row per cell, aligned, and the
 * answer row states its counts out of the sweep's scales.
 */
import { expect, it } from "vitest";
import { summaryRows, textTable } from "../cli/summary.js";
import { makeResults } from "./report-helpers.js";

it("has a row per cell and says how many of the scales the baseline was stuck or exploded at", () => {
  const r = makeResults();
  const rows = summaryRows(r);
  expect(rows.map(([k]) => k)).toEqual(["data", "1 train-time forward", "2 test-time forward", "3 backward check", "4 staged vs alt", "5 net gradcheck", "6 deep net", "7 sweep (20 scales)", "8 answer", "total time"]);
  const f = r.cells.answer.facts;
  expect(f.baselineStuckScales.length).toBeGreaterThan(0);
  expect(rows.find(([k]) => k === "8 answer")![1]).toContain(
    `baseline stuck at chance at ${f.baselineStuckScales.length} of 20 scales, exploded at ${f.baselineExplodedScales.length}`,
  );
  const lines = textTable(rows).split("\n");
  const col = lines[1]!.indexOf(rows[0]![1]);
  for (const [i, [, v]] of rows.entries()) expect(lines[i + 1]!.indexOf(v)).toBe(col);
});
