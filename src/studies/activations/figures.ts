/**
 * The activation study's figures, as the paper's figure 1 (Vega-Lite specs, no
 * Node imports): (a) held-out accuracy over training, with and without batch
 * norm; (b, c) the 15th, 50th and 85th percentiles of one last-hidden-layer
 * sigmoid's input over training, one panel per net. Non-finite values are left
 * out and counted.
 */
import type { TopLevelSpec } from "vega-lite";
import { FIGURE_CONFIG } from "../../report/specs.js";
import type { StudyFigure } from "../study.js";
import type { ActivationArm, ActivationsResult } from "./types.js";

const SCHEMA = "https://vega.github.io/schema/vega-lite/v6.json";
/** Display names of the nets. */
export const ACTIVATION_ARM_LABELS: Record<ActivationArm, string> = { baseline: "without batch norm", batchnorm: "with batch norm" };
const COLORS: Record<ActivationArm, string> = { baseline: "#1f77b4", batchnorm: "#ff7f0e" };
const iterationX = { field: "iteration", type: "quantitative", title: "Training steps" };

type Row = Record<string, string | number>;

function accuracySpec(r: ActivationsResult): TopLevelSpec {
  const rows: Row[] = [];
  let dropped = 0;
  for (const a of r.arms) for (const p of a.probes) (Number.isFinite(p.valAcc) ? rows.push({ net: ACTIVATION_ARM_LABELS[a.arm], iteration: p.iteration, acc: p.valAcc }) : dropped++);
  return {
    $schema: SCHEMA,
    title: { text: "(a) Held-out accuracy over training", subtitle: `${r.settings.numVal} validation rows of CIFAR-10 (the paper: MNIST test set)${dropped > 0 ? `; ${dropped} values not drawn` : ""}` },
    config: FIGURE_CONFIG,
    width: 560,
    height: 240,
    data: { values: rows },
    mark: { type: "line", strokeWidth: 1.8 },
    encoding: {
      x: iterationX,
      y: { field: "acc", type: "quantitative", title: "Accuracy", axis: { format: ".0%" }, scale: { zero: false } },
      color: { field: "net", type: "nominal", title: null, legend: { labelLimit: 400 }, scale: { domain: r.arms.map((a) => ACTIVATION_ARM_LABELS[a.arm]), range: r.arms.map((a) => COLORS[a.arm]) } },
    },
  } as TopLevelSpec;
}

function percentileSpec(r: ActivationsResult): TopLevelSpec {
  const rows: Row[] = [];
  let dropped = 0;
  for (const a of r.arms) {
    for (const p of a.probes) {
      if ([p.p15, p.p50, p.p85].every(Number.isFinite)) rows.push({ net: ACTIVATION_ARM_LABELS[a.arm], iteration: p.iteration, p15: p.p15, p50: p.p50, p85: p.p85 });
      else dropped++;
    }
  }
  const L = r.settings.hiddenDims.length;
  return {
    $schema: SCHEMA,
    title: {
      text: `(b, c) Input of one ${r.settings.activation} in hidden layer ${L} over training`,
      subtitle: `unit ${r.settings.unit}; band: 15th to 85th percentile over ${r.settings.probeRows} training rows, line: median${dropped > 0 ? `; ${dropped} probes not drawn` : ""}`,
    },
    config: FIGURE_CONFIG,
    data: { values: rows },
    facet: { column: { field: "net", type: "nominal", title: null, sort: r.arms.map((a) => ACTIVATION_ARM_LABELS[a.arm]) } },
    spec: {
      width: 300,
      height: 220,
      layer: [
        { mark: { type: "area", opacity: 0.3, color: "#4c78a8" }, encoding: { x: iterationX, y: { field: "p15", type: "quantitative", title: `input of the ${r.settings.activation}`, scale: { zero: false } }, y2: { field: "p85" } } },
        { mark: { type: "line", color: "#4c78a8", strokeWidth: 1.8 }, encoding: { x: iterationX, y: { field: "p50", type: "quantitative" } } },
      ],
    },
    resolve: { scale: { y: "independent" } },
  } as TopLevelSpec;
}

export function activationsFigures(r: ActivationsResult): StudyFigure[] {
  return [
    { name: "accuracy", caption: "Held-out (validation) accuracy of the sigmoid nets over training, with and without batch norm (the paper's figure 1a).", spec: accuracySpec(r) },
    {
      name: "percentiles",
      caption: "The 15th, 50th and 85th percentiles of one last-hidden-layer sigmoid's input over training, without batch norm (left) and with it (right): the paper's figures 1b and 1c.",
      spec: percentileSpec(r),
    },
  ];
}
