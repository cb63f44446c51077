/**
 * report.html: one self-contained page (inline CSS and SVG, no scripts, no network)
 * that reads like the notebook — each cell's purpose, its numbers, the figures and
 * the written answer. Pure string building; the caller writes the file.
 */
import type { ReproduceResults, TrainingRun } from "../experiments/types.js";
import { NORM_LABELS } from "./specs.js";

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;").replace(/'/g, "&#39;");
}

/** A number as the report prints it: scientific for tiny or huge magnitudes, else 6 significant digits. */
export function fmtNum(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a < 1e-3 || a >= 1e6) return x.toExponential(3);
  return String(Number(x.toPrecision(6)));
}

/** The report's style sheet (also used by the study reports, src/report/study-html.ts). */
export const REPORT_CSS = `body { font-family: "DejaVu Sans", Verdana, Arial, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.5; }
h1 { font-size: 1.7em; margin-bottom: 0.2em; } h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
.meta { color: #555; font-size: 0.9em; } .purpose { color: #333; }
table { border-collapse: collapse; margin: 0.8em 0; font-size: 0.9em; } th, td { border: 1px solid #ddd; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f5f5f5; } td { font-family: "DejaVu Sans Mono", Menlo, monospace; }
.verdict.ok { color: #1a7f37; } .verdict.bad { color: #b42318; font-weight: bold; }
.banner { background: #fff4e5; border: 1px solid #f0a020; padding: 0.8em 1em; margin: 1em 0; }
figure.plot { margin: 1em 0; } figure.plot svg { max-width: 100%; height: auto; } figcaption { color: #555; font-size: 0.9em; }
#cell-8 p { max-width: 52em; }
`;

const fmtArr = (xs: readonly number[]): string => `[${xs.map(fmtNum).join(", ")}]`;
const pct = (x: number): string => (Number.isFinite(x) ? `${(100 * x).toFixed(1)}%` : String(x));

function table(head: string[], rows: string[][]): string {
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join("");
  const trs = rows.map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table><thead><tr>${th}</tr></thead><tbody>\n${trs}\n</tbody></table>`;
}

function cell(id: string, title: string, purpose: string, body: string): string {
  return `<section id="${id}">\n<h2>${escapeHtml(title)}</h2>\n<p class="purpose">${escapeHtml(purpose)}</p>\n${body}\n</section>`;
}

function verdict(ok: boolean, text: string): string {
  return `<p class="verdict ${ok ? "ok" : "bad"}">${ok ? "✓" : "✗"} ${escapeHtml(text)}</p>`;
}

function figure(name: string, svg: string | undefined, caption: string, files: { svg: string; png: string } | undefined): string {
  if (svg === undefined) return "";
  const links = files ? ` Files: <code>${escapeHtml(files.svg)}</code>, <code>${escapeHtml(files.png)}</code>.` : "";
  return `<figure class="plot" data-figure="${escapeHtml(name)}">\n${svg}\n<figcaption>${escapeHtml(caption)}${links}</figcaption>\n</figure>`;
}

function runSummary(runs: readonly TrainingRun[], withBatch: boolean): string {
  const rows = runs.map((r) => {
    const last = r.lossHistory[r.lossHistory.length - 1] ?? NaN;
    return [
      NORM_LABELS[r.normalization] + (withBatch ? `, batch ${r.batchSize}` : ""),
      fmtNum(last),
      pct(r.trainAccHistory[r.trainAccHistory.length - 1] ?? NaN),
      pct(r.bestValAcc),
      `${r.seconds.toFixed(1)} s`,
    ];
  });
  return table(["method", "last loss", "final train acc", "best val acc", "time"], rows);
}

/**
 * Builds the page. `svgs` holds the inline SVG of each figure by name
 * ("deepNet", "sweep", "batchSize").
 */
export function renderReportHtml(results: ReproduceResults, svgs: Record<string, string>, extraSections: readonly string[] = []): string {
  const c = results.cells;
  const ds = results.dataset;
  const synthetic = ds.source === "synthetic";
  const parts: string[] = [];

  const f1 = c.forwardTrain;
  const maxMean = Math.max(...f1.afterUnit.means.map(Math.abs));
  const maxStdDev = Math.max(...f1.afterUnit.stds.map((s) => Math.abs(s - 1)));
  const affOk = f1.afterAffine.means.every((m, i) => Math.abs(m - f1.afterAffine.beta[i]!) < 1e-6) &&
    f1.afterAffine.stds.every((s, i) => Math.abs(s - f1.afterAffine.gamma[i]!) < 1e-3);
  parts.push(
    cell(
      "cell-1",
      "1. Batch normalization: train-time forward",
      "Simulate the forward pass of a two-layer network and check the means and standard deviations of its features before and after batch normalization: after it, means should be close to zero and stds close to one; with a non-trivial gamma and beta, means should be close to beta and stds close to gamma.",
      table(
        ["", "means", "stds"],
        [
          ["before batch norm", fmtArr(f1.before.means), fmtArr(f1.before.stds)],
          ["after (gamma = 1, beta = 0)", fmtArr(f1.afterUnit.means), fmtArr(f1.afterUnit.stds)],
          [`after (gamma = ${fmtArr(f1.afterAffine.gamma)}, beta = ${fmtArr(f1.afterAffine.beta)})`, fmtArr(f1.afterAffine.means), fmtArr(f1.afterAffine.stds)],
        ],
      ) +
        verdict(maxMean < 1e-7 && maxStdDev < 1e-4, `largest |mean| ${fmtNum(maxMean)}, largest |std − 1| ${fmtNum(maxStdDev)}`) +
        verdict(affOk, "means equal beta and stds equal gamma"),
    ),
  );

  const f2 = c.forwardTest;
  const m2 = Math.max(...f2.after.means.map(Math.abs));
  const s2 = Math.max(...f2.after.stds.map((s) => Math.abs(s - 1)));
  parts.push(
    cell(
      "cell-2",
      "2. Batch normalization: test-time forward",
      `Run the train-time forward pass ${f2.warmupPasses} times to warm up the running averages, then check a test-time forward pass: means close to zero and stds close to one, but noisier than at train time.`,
      table(["", "means", "stds"], [["after batch norm (test-time)", fmtArr(f2.after.means), fmtArr(f2.after.stds)]]) +
        verdict(m2 < 0.2 && s2 < 0.15, `largest |mean| ${fmtNum(m2)}, largest |std − 1| ${fmtNum(s2)}`),
    ),
  );

  const f3 = c.backwardCheck;
  const e3 = Math.max(f3.dxError, f3.dgammaError, f3.dbetaError, f3.alt.dxError, f3.alt.dgammaError, f3.alt.dbetaError);
  parts.push(
    cell(
      "cell-3",
      "3. Batch normalization: backward",
      `Check the staged backward pass (through every node of the computation graph) against centred-difference numerical gradients; N, D = ${f3.shape.N}, ${f3.shape.D}, x = 5·randn + 12.`,
      table(
        ["backward", "dx error", "dgamma error", "dbeta error"],
        [
          ["staged", fmtNum(f3.dxError), fmtNum(f3.dgammaError), fmtNum(f3.dbetaError)],
          ["alt (closed form)", fmtNum(f3.alt.dxError), fmtNum(f3.alt.dgammaError), fmtNum(f3.alt.dbetaError)],
        ],
      ) + verdict(e3 < 1e-7, `largest relative error ${fmtNum(e3)} (threshold 1e-7)`),
    ),
  );

  const f4 = c.backwardCompare;
  const t = f4.timing;
  parts.push(
    cell(
      "cell-4",
      "4. Batch normalization: alternative backward",
      `Compare the staged backward pass with the simplified closed form: both should give nearly identical gradients, and the closed form should be faster. N, D = ${f4.shape.N}, ${f4.shape.D}; the speedup is the ratio of medians over ${t.reps} repetitions after ${t.warmupReps} warm-up calls, not a single noisy reading.`,
      table(
        ["dx difference", "dgamma difference", "dbeta difference"],
        [[fmtNum(f4.dxDifference), fmtNum(f4.dgammaDifference), fmtNum(f4.dbetaDifference)]],
      ) +
        table(
          ["backward", "median", "min", "max"],
          [
            ["staged", `${fmtNum(t.staged.medianMs)} ms`, `${fmtNum(t.staged.minMs)} ms`, `${fmtNum(t.staged.maxMs)} ms`],
            ["alt", `${fmtNum(t.alt.medianMs)} ms`, `${fmtNum(t.alt.minMs)} ms`, `${fmtNum(t.alt.maxMs)} ms`],
          ],
        ) +
        `<p class="figure-line">speedup: <strong>${t.speedup.toFixed(2)}×</strong></p>`,
    ),
  );

  const f5 = c.netGradcheck;
  const netRows: string[][] = [];
  for (const chk of f5.checks) {
    netRows.push([`reg = ${chk.reg}`, "initial loss", fmtNum(chk.initialLoss)]);
    for (const e of chk.errors) netRows.push([`reg = ${chk.reg}`, `${e.name} relative error`, e.relError.toExponential(2)]);
  }
  parts.push(
    cell(
      "cell-5",
      "5. Fully connected nets with batch normalization: gradient check",
      `A net with hidden layers [${f5.shape.H1}, ${f5.shape.H2}] and batch norm before each ReLU, weight scale ${f5.weightScale}, float64, on N = ${f5.shape.N} random inputs of dimension ${f5.shape.D}: the initial loss and every parameter's relative error against the numerical gradient, at each regularization strength.`,
      table(["check", "quantity", "value"], netRows),
    ),
  );

  const f6 = c.deepNet;
  parts.push(
    cell(
      "cell-6",
      "6. Batch normalization for deep networks",
      `Train a ${f6.settings.hiddenDims.length + 1}-layer network (hidden ${JSON.stringify(f6.settings.hiddenDims)}) on ${f6.settings.numTrain} training examples, with and without batch normalization: ${f6.settings.numEpochs} epochs, batch ${f6.settings.batchSize}, ${f6.settings.updateRule} with learning rate ${f6.settings.learningRate}, weight scale ${f6.settings.weightScale}. Batch normalization should make the network converge much faster.`,
      runSummary(f6.runs, false) +
        figure("deepNet", svgs.deepNet, "Training loss per iteration, training and validation accuracy per epoch.", results.figures.deepNet),
    ),
  );

  const f7 = c.sweep;
  const sweepRows = f7.weightScales.map((w) => {
    const row = [w.toExponential(2)];
    for (const k of f7.normalizations) {
      const p = f7.points.find((q) => q.weightScale === w && q.normalization === k);
      row.push(p ? `${pct(p.bestValAcc)} / ${pct(p.bestTrainAcc)} / ${fmtNum(p.finalLoss)}` : "—");
    }
    return row;
  });
  parts.push(
    cell(
      "cell-7",
      "7. Batch normalization and initialization",
      `Train ${f7.settings.hiddenDims.length + 1}-layer networks (hidden ${JSON.stringify(f7.settings.hiddenDims)}) with and without batch normalization at ${f7.weightScales.length} weight-initialization scales from ${fmtNum(f7.weightScales[0] ?? NaN)} to ${fmtNum(f7.weightScales[f7.weightScales.length - 1] ?? NaN)}, and plot the best validation accuracy, the best training accuracy and the final training loss (mean of the last 100 losses) against the scale.`,
      figure("sweep", svgs.sweep, "Best validation accuracy, best training accuracy and final training loss vs weight initialization scale (log axis).", results.figures.sweep) +
        `<details><summary>All ${f7.points.length} runs (best val acc / best train acc / final loss)</summary>` +
        table(["weight scale", ...f7.normalizations.map((k) => NORM_LABELS[k])], sweepRows) +
        `</details>`,
    ),
  );

  if (c.batchSize !== null) {
    const fb = c.batchSize;
    parts.push(
      cell(
        "cell-bs",
        "Beyond the notebook: batch normalization and batch size",
        `As in later versions of the assignment: the same deep network trained with batch sizes ${fb.settings.batchSizes.join(", ")}. Batch statistics from small batches are noisy, which hurts batch norm (and not layer norm, which normalizes each example on its own).`,
        runSummary(fb.runs, true) + figure("batchSize", svgs.batchSize, "Training and validation accuracy per epoch by method and batch size.", results.figures.batchSize),
      ),
    );
  }

  const ans = c.answer;
  parts.push(
    cell(
      "cell-8",
      "8. Question: describe the results of this experiment and give a reason",
      "Written by bnlab from the numbers measured above; rerun with other settings or data and this text changes with them.",
      `<h3>What happened</h3>\n${ans.observations.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n")}\n<h3>Why</h3>\n${ans.reasons.map((p) => `<p>${escapeHtml(p)}</p>`).join("\n")}`,
    ),
  );

  const timingRows = Object.entries(results.timings).map(([k, v]) => [k, `${v.toFixed(2)} s`]);
  const banner = synthetic
    ? `<div class="banner" role="alert"><strong>Synthetic data.</strong> These results come from bnlab's synthetic CIFAR-shaped data set, not from CIFAR-10.${ds.warning ? ` ${escapeHtml(ds.warning)}` : ""}</div>`
    : "";
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(results.title)}</title>
<style>
${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${escapeHtml(results.title)}</h1>
<p class="meta">Data: ${escapeHtml(ds.description)}. Seed ${results.settings.seed}${results.settings.quick ? ", --quick (shrunk training experiments)" : ""}${results.settings.extended ? ", --extended" : ""}. bnlab ${escapeHtml(results.versions.bnlab)}, Node ${escapeHtml(results.versions.node)}, kernel ${escapeHtml(results.versions.kernelPath)}, ${escapeHtml(results.createdAt)}.</p>
${banner}
<p>The CS231n batch-normalization notebook, cell by cell, computed by bnlab. Each section states what the cell checks, the numbers it produced, and the figures; the last section answers the notebook's question from these numbers.</p>
</header>
${parts.join("\n")}
${extraSections.join("\n")}
<footer>
<h2>Timings</h2>
${table(["step", "wall time"], timingRows)}
</footer>
</body>
</html>
`;
}
