/**
 * The covariate-shift study's figures (Vega-Lite specs, no Node imports):
 * per-layer internal covariate shift over training, the loss range and the
 * gradient change along the gradient as bands over training, and the effective
 * β-smoothness over training. Non-finite values are left out and counted.
 */
import type { TopLevelSpec } from "vega-lite";
import { FIGURE_CONFIG } from "../../report/specs.js";
import type { StudyFigure } from "../study.js";
import { ARM_LABELS } from "./findings.js";
import type { ArmName, CovariateShiftResult } from "./types.js";

const ARM_COLORS: Record<ArmName, string> = { baseline: "#1f77b4", batchnorm: "#ff7f0e", noisy: "#d62728" };
const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
const WIDTH = 600;

type Row = Record<string, string | number>;

function armColor(r: CovariateShiftResult): object {
  const arms = r.arms.map((a) => a.arm);
  return { field: "net", type: "nominal", title: null, scale: { domain: arms.map((a) => ARM_LABELS[a]), range: arms.map((a) => ARM_COLORS[a]) } };
}

const iterationX = { field: "iteration", type: "quantitative", title: "Iteration" };
const fin = (x: number): boolean => Number.isFinite(x);

function icsSpec(r: CovariateShiftResult): TopLevelSpec {
  const rows: Row[] = [];
  let dropped = 0;
  for (const a of r.arms) {
    for (const p of a.probes) {
      p.ics.l2.forEach((l2, i) => {
        // NOTE: layer 1 has no earlier layer: its shift is exactly 0 and cannot sit on a log axis.
        if (i === 0) return;
        const cos = p.ics.cos[i]!;
        if (fin(l2) && l2 > 0 && fin(cos)) rows.push({ net: ARM_LABELS[a.arm], layer: `layer ${i + 1}`, iteration: p.iteration, l2, cos });
        else dropped++;
      });
    }
  }
  const layers = (r.arms[0]?.probes[0]?.ics.l2.length ?? 1) - 1;
  const layerColor = { field: "layer", type: "nominal", title: "layer", sort: Array.from({ length: layers }, (_, i) => `layer ${i + 2}`), scale: { scheme: "viridis" } };
  const panel = (field: "l2" | "cos", yTitle: string, log: boolean): object => ({
    data: { values: rows },
    facet: { column: { field: "net", type: "nominal", title: null, sort: r.arms.map((a) => ARM_LABELS[a.arm]) } },
    spec: {
      width: r.arms.length <= 2 ? 330 : 250,
      height: 170,
      mark: { type: "line", point: { size: 12 } },
      encoding: { x: iterationX, y: { field, type: "quantitative", title: yTitle, scale: log ? { type: "log" } : { zero: false } }, color: layerColor },
    },
  });
  return {
    $schema: SCHEMA,
    title: {
      text: "Internal covariate shift per layer over training",
      // NOTE: headless vega estimates text widths generously: long subtitles go on two lines, or they widen the figure.
      subtitle: [
        "G, G′: layer i's weight gradient on one batch, before and after layers 1…i−1 step",
        `(layer 1: exactly 0, not drawn)${dropped > 0 ? `; ${dropped} non-finite values not drawn` : ""}`,
      ],
    },
    config: FIGURE_CONFIG,
    vconcat: [panel("l2", "‖G − G′‖ (log)", true), panel("cos", "cos(G, G′)", false)],
  } as TopLevelSpec;
}

/** A band (min…max over the step sizes) and the value at w, per net, over training. */
function bandSpec(r: CovariateShiftResult, title: string, subtitle: string, yTitle: string, pick: (p: CovariateShiftResult["arms"][number]["probes"][number]) => { lo: number; hi: number; mid: number }, log: boolean): TopLevelSpec {
  const rows: Row[] = [];
  let dropped = 0;
  for (const a of r.arms) {
    for (const p of a.probes) {
      const { lo, hi, mid } = pick(p);
      if (fin(lo) && fin(hi) && fin(mid) && (!log || lo > 0)) rows.push({ net: ARM_LABELS[a.arm], iteration: p.iteration, lo, hi, mid });
      else dropped++;
    }
  }
  const color = armColor(r);
  // NOTE: a baseline's loss along the gradient can reach 1e4 while batch norm's stays near 2: then a log axis.
  const his = rows.map((q) => q.hi as number);
  const los = rows.map((q) => q.lo as number);
  const logY = log || (los.length > 0 && Math.min(...los) > 0 && Math.max(...his) / Math.min(...los) > 50);
  const y = { field: "lo", type: "quantitative", title: logY && !log ? `${yTitle} (log)` : yTitle, scale: logY ? { type: "log" } : { zero: false } };
  return {
    $schema: SCHEMA,
    title: { text: title, subtitle: [...subtitle.split("; "), ...(dropped > 0 ? [`${dropped} non-finite probes not drawn`] : [])] },
    config: FIGURE_CONFIG,
    width: WIDTH,
    height: 260,
    data: { values: rows },
    layer: [
      { mark: { type: "area", opacity: 0.3 }, encoding: { x: iterationX, y, y2: { field: "hi" }, color } },
      { mark: { type: "line", strokeWidth: 1.5 }, encoding: { x: iterationX, y: { ...y, field: "mid" }, color } },
    ],
  } as TopLevelSpec;
}

function betaSpec(r: CovariateShiftResult): TopLevelSpec {
  const rows: Row[] = [];
  let dropped = 0;
  for (const a of r.arms) {
    for (const p of a.probes) {
      if (fin(p.landscape.beta) && p.landscape.beta > 0) rows.push({ net: ARM_LABELS[a.arm], iteration: p.iteration, beta: p.landscape.beta });
      else dropped++;
    }
  }
  return {
    $schema: SCHEMA,
    title: { text: "Effective β-smoothness over training", subtitle: `max over step sizes of ‖∇L(w) − ∇L(w − η∇L)‖ / ‖Δw‖${dropped > 0 ? `; ${dropped} probes not drawn (non-finite or 0)` : ""}` },
    config: FIGURE_CONFIG,
    width: WIDTH,
    height: 260,
    data: { values: rows },
    mark: { type: "line", point: { size: 14 } },
    encoding: { x: iterationX, y: { field: "beta", type: "quantitative", title: "β (log)", scale: { type: "log" } }, color: armColor(r) },
  } as TopLevelSpec;
}

/** Per hidden layer, the distribution shift between probes, one panel per net (log scale). */
function distShiftSpec(r: CovariateShiftResult): TopLevelSpec {
  const rows: Row[] = [];
  let dropped = 0;
  for (const a of r.arms) {
    for (const p of a.probes) {
      if (p.iteration === 0) continue;
      p.activation.shift.forEach((shift, i) => {
        if (fin(shift) && shift > 0) rows.push({ net: ARM_LABELS[a.arm], layer: `layer ${i + 1}`, iteration: p.iteration, shift });
        else dropped++;
      });
    }
  }
  const hidden = r.settings.hiddenDims.length;
  return {
    $schema: SCHEMA,
    title: {
      text: "Covariate shift of the activations' inputs over training",
      subtitle: [
        `on a fixed batch: mean over units of |Δ mean| since the previous probe (${r.settings.probeEvery} steps),`,
        `in standard deviations${dropped > 0 ? `; ${dropped} values not drawn (0 or non-finite)` : ""}`,
      ],
    },
    config: FIGURE_CONFIG,
    data: { values: rows },
    facet: { column: { field: "net", type: "nominal", title: null, sort: r.arms.map((a) => ARM_LABELS[a.arm]) } },
    spec: {
      width: r.arms.length <= 2 ? 330 : 250,
      height: 200,
      mark: { type: "line", point: { size: 12 } },
      encoding: {
        x: iterationX,
        y: { field: "shift", type: "quantitative", title: "shift (std, log)", scale: { type: "log" } },
        color: { field: "layer", type: "nominal", title: "layer", sort: Array.from({ length: hidden }, (_, i) => `layer ${i + 1}`), scale: { scheme: "viridis" } },
      },
    },
  } as TopLevelSpec;
}

/** The paper's figure 2: the 15th–85th percentile band and the median of one unit's input, a middle and the last hidden layer. */
function distributionSpec(r: CovariateShiftResult): TopLevelSpec {
  const hidden = r.settings.hiddenDims.length;
  const layers = hidden >= 2 ? [2, hidden] : [1];
  const rows: Row[] = [];
  for (const a of r.arms) {
    for (const p of a.probes) {
      for (const layer of layers) {
        const [lo, mid, hi] = [p.activation.p15[layer - 1]!, p.activation.p50[layer - 1]!, p.activation.p85[layer - 1]!];
        if (fin(lo) && fin(mid) && fin(hi)) rows.push({ net: ARM_LABELS[a.arm], layer: `layer ${layer}`, iteration: p.iteration, lo, mid, hi });
      }
    }
  }
  const color = armColor(r);
  return {
    $schema: SCHEMA,
    title: { text: "Distribution of one unit's input to the activation", subtitle: "unit 1, fixed batch: 15th–85th percentile band and median, at each probe" },
    config: FIGURE_CONFIG,
    data: { values: rows },
    facet: {
      row: { field: "layer", type: "nominal", title: null, sort: layers.map((l) => `layer ${l}`) },
      column: { field: "net", type: "nominal", title: null, sort: r.arms.map((a) => ARM_LABELS[a.arm]) },
    },
    resolve: { scale: { y: "independent" } },
    spec: {
      width: r.arms.length <= 2 ? 330 : 250,
      height: 150,
      layer: [
        { mark: { type: "area", opacity: 0.3 }, encoding: { x: iterationX, y: { field: "lo", type: "quantitative", title: "value", scale: { zero: false } }, y2: { field: "hi" }, color } },
        { mark: { type: "line" }, encoding: { x: iterationX, y: { field: "mid", type: "quantitative" }, color } },
      ],
    },
  } as TopLevelSpec;
}

const minMax = (xs: readonly number[]): { lo: number; hi: number } => ({ lo: Math.min(...xs), hi: Math.max(...xs) });

export function covariateShiftFigures(r: CovariateShiftResult): StudyFigure[] {
  const steps = r.settings.stepSizes;
  const stepText = `step sizes η from ${Math.min(...steps)} to ${Math.max(...steps)}`;
  return [
    { name: "ics", caption: "Internal covariate shift: ‖G − G′‖ and cos(G, G′) per layer at each probe, one panel per net.", spec: icsSpec(r) },
    {
      name: "activation-shift",
      caption: "Covariate shift in the distributional sense: how far each hidden layer's activation inputs moved between probes (mean over units of |Δ mean|, in standard deviations, on a fixed batch).",
      spec: distShiftSpec(r),
    },
    {
      name: "activation-distribution",
      caption: "As figure 2 of Santurkar et al.: the 15th–85th percentiles and the median of one unit's input to the activation over training, for a middle and the last hidden layer.",
      spec: distributionSpec(r),
    },
    {
      name: "loss-landscape",
      caption: `Loss along the gradient: the band spans L(w − η∇L) over the ${stepText}; the line is L(w) on the probe's batch.`,
      spec: bandSpec(r, "Loss landscape along the gradient", `band: min…max of L(w − η∇L) over ${stepText}; line: L(w)`, "Loss", (p) => ({ ...minMax(p.landscape.losses), mid: p.landscape.loss }), false),
    },
    {
      name: "gradient-predictiveness",
      caption: `Gradient predictiveness: the band spans ‖∇L(w) − ∇L(w − η∇L)‖ over the ${stepText} (log scale); the line is its median.`,
      spec: bandSpec(
        r,
        "Gradient predictiveness",
        `band: min…max of ‖∇L(w) − ∇L(w − η∇L)‖ over ${stepText}; line: median`,
        "‖Δ∇L‖ (log)",
        (p) => {
          const s = [...p.landscape.gradDiffs].sort((a, b) => a - b);
          return { ...minMax(s), mid: s[s.length >> 1]! };
        },
        true,
      ),
    },
    { name: "beta-smoothness", caption: "Effective β-smoothness: the largest gradient change per unit distance moved along the gradient (log scale).", spec: betaSpec(r) },
  ];
}
