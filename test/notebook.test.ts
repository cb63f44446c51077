/**
 * The notebook (notebooks/batch-normalization.ipynb) executed headless, as a
 * reader would run it: Debian's jupyter-nbconvert with Deno's Jupyter kernel
 * (the `deno` devDependency ships the binary), on the CIFAR-10 sample. Checks
 * that every code cell ran without error, that the printed figures of cells 1,
 * 2 and 5 are numpy's seed-231 values (test/fixtures/cells.json), and that the
 * figures are shown inline as SVG.
 *
 * Needs `jupyter nbconvert` (apt: jupyter-nbconvert python3-jupyter-client); it
 * skips with a warning without it, and fails instead under BNLAB_REQUIRE_NOTEBOOK=1 (CI).
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { repoRoot, samplePath } from "./helpers/env.js";

interface Output {
  output_type: string;
  name?: string;
  text?: string[] | string;
  data?: Record<string, string[] | string>;
  ename?: string;
  evalue?: string;
}
interface Cell {
  cell_type: string;
  source: string[];
  outputs?: Output[];
}

const fixture = JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "cells.json"), "utf8")) as {
  cell1: { before: { means: number[]; stds: number[] }; afterAffine: { means: number[]; stds: number[] } };
  cell2: { after: { means: number[]; stds: number[] } };
  cell5: { checks: { reg: number; initialLoss: number; errors: { name: string; relError: number }[] }[] };
};

function hasNbconvert(): boolean {
  return spawnSync("jupyter", ["nbconvert", "--version"], { encoding: "utf8" }).status === 0;
}

const sample = samplePath();
const available = hasNbconvert();
if (!available) {
  if (process.env.BNLAB_REQUIRE_NOTEBOOK === "1") throw new Error("BNLAB_REQUIRE_NOTEBOOK=1 but `jupyter nbconvert` is not installed");
  console.warn("[bnlab tests] jupyter nbconvert not found: the notebook test is skipped (apt-get install jupyter-nbconvert python3-jupyter-client).");
}

const text = (t: string[] | string | undefined): string => (Array.isArray(t) ? t.join("") : (t ?? ""));

/** The numbers in the line after `label` in `out` (e.g. "  means: [a, b, c]"). */
function numbersAfter(out: string, label: string, field: string): number[] {
  const start = out.indexOf(label);
  expect(start, `"${label}" in the output`).toBeGreaterThanOrEqual(0);
  const line = out.slice(start).split("\n").find((l) => l.trim().startsWith(field));
  expect(line, `"${field}" after "${label}"`).toBeDefined();
  return [...line!.matchAll(/-?\d+(?:\.\d+)?(?:e[-+]?\d+)?/g)].map((m) => Number(m[0]));
}

/** Printed to 8 significant digits: equal to numpy's value within that precision. */
function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(want[i]!))));
}

describe.skipIf(!available || sample === null)("notebooks/batch-normalization.ipynb", () => {
  let tmp = "";
  let cells: Cell[] = [];

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), "bnlab-notebook-"));
    // A kernelspec of our own, so the test neither needs nor changes the user's Jupyter set-up.
    const deno = join(repoRoot, "node_modules", ".bin", "deno");
    const kernelDir = join(tmp, "jupyter", "kernels", "deno");
    mkdirSync(kernelDir, { recursive: true });
    writeFileSync(
      join(kernelDir, "kernel.json"),
      JSON.stringify({ argv: [deno, "jupyter", "--kernel", "--conn", "{connection_file}"], display_name: "Deno", language: "typescript" }),
    );
    const out = join(tmp, "executed.ipynb");
    const execute = (): Cell[] => {
      const r = spawnSync(
        "jupyter",
        ["nbconvert", "--to", "notebook", "--execute", "--ExecutePreprocessor.timeout=600", "--output", out, join(repoRoot, "notebooks", "batch-normalization.ipynb")],
        {
          encoding: "utf8",
          cwd: join(repoRoot, "notebooks"),
          env: { ...process.env, JUPYTER_PATH: join(tmp, "jupyter"), JUPYTER_DATA_DIR: join(tmp, "jupyter-data"), BNLAB_DATA: sample!, NO_COLOR: "1" },
          timeout: 600_000,
        },
      );
      if (r.status !== 0) throw new Error(`nbconvert failed (exit ${r.status}):\n${r.stderr.slice(-4000)}`);
      return (JSON.parse(readFileSync(out, "utf8")) as { cells: Cell[] }).cells;
    };
    cells = execute();
    // NOTE: once in a full CI run on a busy machine (2026-12-02) a cell's display message reached
    // nbconvert after the cell had ended and the executed notebook had no output for it (the
    // cell printed it: run alone, it always shows). Such a run is executed once more, and says so;
    // every assertion below is on the notebook of the last run.
    const silent = cells.filter((c) => c.cell_type === "code" && (c.outputs ?? []).length === 0);
    if (silent.length > 0) {
      console.warn(`[notebook] ${silent.length} code cell(s) came back without output (${text(silent[0]!.source).slice(0, 60)}…); executing the notebook once more`);
      cells = execute();
    }
  }, 1_240_000);

  afterAll(() => {
    if (tmp !== "") rmSync(tmp, { recursive: true, force: true });
  });

  /** Everything the cells printed: their text outputs (CellOutput.show) and stdout streams. */
  const stdout = (): string =>
    cells
      .flatMap((c) => c.outputs ?? [])
      .map((o) => (o.output_type === "stream" && o.name === "stdout" ? text(o.text) : text(o.data?.["text/plain"])))
      .join("\n");

  it("ran every code cell without an error", () => {
    const code = cells.filter((c) => c.cell_type === "code");
    expect(code.length).toBeGreaterThanOrEqual(10);
    for (const c of code) {
      const errors = (c.outputs ?? []).filter((o) => o.output_type === "error");
      expect(errors.map((e) => `${e.ename}: ${e.evalue}`), text(c.source)).toEqual([]);
      expect((c.outputs ?? []).length, `outputs of: ${text(c.source).slice(0, 80)}`).toBeGreaterThan(0);
    }
    expect(stdout()).toContain("source: cifar10-bin");
  });

  it("prints numpy's seed-231 figures of cells 1 and 2", () => {
    const out = stdout();
    expectClose(numbersAfter(out, "Before batch normalization:", "means:"), fixture.cell1.before.means);
    expectClose(numbersAfter(out, "Before batch normalization:", "stds:"), fixture.cell1.before.stds);
    expectClose(numbersAfter(out, "(nontrivial gamma, beta)", "stds:"), fixture.cell1.afterAffine.stds);
    expectClose(numbersAfter(out, "(test-time):", "means:"), fixture.cell2.after.means);
    expectClose(numbersAfter(out, "(test-time):", "stds:"), fixture.cell2.after.stds);
  });

  it("prints cell 5's initial losses and gradient errors (numpy's, seed 231)", () => {
    const out = stdout();
    const losses = [...out.matchAll(/Initial loss: (\S+)/g)].map((m) => Number(m[1]));
    expectClose(losses, fixture.cell5.checks.map((c) => c.initialLoss));
    for (const check of fixture.cell5.checks) {
      const part = out.slice(out.indexOf(`Running check with reg = ${check.reg}`));
      for (const e of check.errors) {
        const m = new RegExp(`${e.name} relative error: (\\S+)`).exec(part);
        expect(m, e.name).not.toBeNull();
        // NOTE: as test/experiments-cells.test.ts: b1 and b2 feed a batch-norm layer, so their
        // true gradient is 0 and both relative errors are ratios of round-off; the others
        // agree with numpy's within a factor of 10.
        if (e.name === "b1" || e.name === "b2") continue;
        expect(Math.abs(Math.log10(Number(m![1]) / e.relError))).toBeLessThanOrEqual(1);
      }
    }
  });

  it("shows both figures inline as SVG and ends with the measured answer", () => {
    const displays = cells.flatMap((c) => c.outputs ?? []).filter((o) => o.output_type === "display_data");
    const svgs = displays.map((o) => text(o.data?.["image/svg+xml"])).filter((s) => s.includes("<svg"));
    expect(svgs.length).toBe(2);
    expect(svgs[0]).toContain("Training loss");
    const answer = displays.map((o) => text(o.data?.["text/markdown"])).filter((s) => s.length > 0);
    expect(answer.length).toBe(1);
    // The answer quotes this run's numbers (a percentage at least).
    expect(answer[0]).toMatch(/\d+(\.\d+)?\s?%/);
  });
});
