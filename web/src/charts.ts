/**
 * Live charts: Vega-Lite specs compiled and rendered to SVG with vega, at most a
 * few times a second however fast results arrive. The training and sweep figures
 * are the report's own specs (src/report/specs.ts); the per-layer statistics
 * figure is the playground's.
 */
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";
import { FIGURE_FONT, NORM_LABELS } from "../../src/index.js";
import type { LayerStats } from "./protocol.js";
import type { NormKind } from "./state.js";

/** Renders specs into one element, coalescing updates that arrive while a render runs. */
export class LiveChart {
  private pending: (() => TopLevelSpec) | null = null;
  private busy = false;
  private lastRender = 0;
  /** How many renders finished (tests and the page's status read it). */
  renders = 0;

  constructor(
    private readonly el: HTMLElement,
    private readonly minIntervalMs = 300,
  ) {}

  /** Schedules a render of the spec `make()` returns (called lazily, once per render). */
  update(make: () => TopLevelSpec): void {
    this.pending = make;
    if (!this.busy) void this.pump();
  }

  /** Renders whatever is pending now, without waiting for the interval. */
  async flush(): Promise<void> {
    while (this.busy) await new Promise((r) => setTimeout(r, 20));
    this.lastRender = 0;
    if (this.pending) await this.pump();
  }

  clear(): void {
    this.pending = null;
    this.el.replaceChildren();
  }

  private async pump(): Promise<void> {
    this.busy = true;
    try {
      while (this.pending) {
        const wait = this.lastRender + this.minIntervalMs - performance.now();
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        const make = this.pending;
        this.pending = null;
        if (!make) break;
        const svg = await renderSvg(make());
        this.el.innerHTML = svg;
        this.lastRender = performance.now();
        this.renders++;
      }
    } finally {
      this.busy = false;
    }
  }
}

/** A Vega-Lite spec as an SVG string (no DOM needed; the page swaps it in whole). */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Per-layer statistics of one network over time. */
export interface StatsSeries {
  label: string;
  normalization: NormKind;
  points: { iteration: number; layers: LayerStats[] }[];
}

export type StatKey = "preStd" | "preMean" | "gradMean" | "gradStd" | "unitPercentiles";

export const STAT_TITLES: Record<StatKey, string> = {
  preStd: "std of the ReLU input",
  preMean: "mean of the ReLU input",
  gradMean: "mean |gradient| at the ReLU input",
  gradStd: "std of |gradient| at the ReLU input",
  unitPercentiles: "unit 1's ReLU input: 15th, 50th, 85th percentiles",
};

function statValue(l: LayerStats, key: Exclude<StatKey, "unitPercentiles">): number {
  switch (key) {
    case "preStd":
      return l.pre.std;
    case "preMean":
      return l.pre.mean;
    case "gradMean":
      return l.grad.mean;
    case "gradStd":
      return l.grad.std;
  }
}

/**
 * One panel per network: the chosen statistic of every hidden layer against the
 * iteration, one color per layer (light: first layer, dark: last). Positive
 * statistics use a log axis, so vanishing and exploding both show.
 */
export function layerStatsSpec(series: readonly StatsSeries[], key: StatKey): TopLevelSpec {
  if (key === "unitPercentiles") return percentileSpec(series);
  const logAxis = key !== "preMean";
  const rows: { net: string; layer: number; iteration: number; value: number }[] = [];
  let dropped = 0;
  for (const s of series) {
    for (const p of s.points) {
      p.layers.forEach((l, i) => {
        const value = statValue(l, key);
        if (Number.isFinite(value) && (!logAxis || value > 0)) rows.push({ net: s.label, layer: i + 1, iteration: p.iteration, value });
        else dropped++;
      });
    }
  }
  const title = `${STAT_TITLES[key]} per hidden layer` + (dropped > 0 ? ` (${dropped} non-finite or zero values not drawn)` : "");
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, anchor: "start", fontSize: 14 },
    config: { font: FIGURE_FONT, view: { stroke: "#ddd" }, axis: { gridColor: "#eee" }, background: "white" },
    data: { values: rows },
    facet: { column: { field: "net", type: "nominal", title: null, sort: series.map((s) => s.label), header: { labelFontSize: 13 } } },
    spec: {
      width: 300,
      height: 200,
      mark: { type: "line", strokeWidth: 1.5 },
      encoding: {
        x: { field: "iteration", type: "quantitative", title: "Iteration" },
        y: { field: "value", type: "quantitative", title: STAT_TITLES[key], scale: logAxis ? { type: "log" } : { zero: false } },
        color: { field: "layer", type: "ordinal", title: "layer", scale: { scheme: "viridis", reverse: true } },
      },
    },
  } as TopLevelSpec;
}

/**
 * One panel per network: per hidden layer, the median of one unit's ReLU input over
 * the probe batch (a line) inside the band from its 15th to its 85th percentile,
 * against the iteration (Ioffe and Szegedy 2015, figure 1).
 */
function percentileSpec(series: readonly StatsSeries[]): TopLevelSpec {
  const rows: { net: string; layer: number; iteration: number; p15: number; p50: number; p85: number }[] = [];
  let dropped = 0;
  for (const s of series) {
    for (const p of s.points) {
      p.layers.forEach((l, i) => {
        const { p15, p50, p85 } = l.unit;
        if ([p15, p50, p85].every(Number.isFinite)) rows.push({ net: s.label, layer: i + 1, iteration: p.iteration, p15, p50, p85 });
        else dropped++;
      });
    }
  }
  const title = `${STAT_TITLES.unitPercentiles} per hidden layer` + (dropped > 0 ? ` (${dropped} non-finite values not drawn)` : "");
  const x = { field: "iteration", type: "quantitative", title: "Iteration" };
  const color = { field: "layer", type: "ordinal", title: "layer", scale: { scheme: "viridis", reverse: true } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: { text: title, anchor: "start", fontSize: 14 },
    config: { font: FIGURE_FONT, view: { stroke: "#ddd" }, axis: { gridColor: "#eee" }, background: "white" },
    data: { values: rows },
    facet: { column: { field: "net", type: "nominal", title: null, sort: series.map((s) => s.label), header: { labelFontSize: 13 } } },
    spec: {
      width: 300,
      height: 200,
      layer: [
        { mark: { type: "area", opacity: 0.2 }, encoding: { x, y: { field: "p15", type: "quantitative", title: "unit 1's ReLU input", scale: { zero: false } }, y2: { field: "p85" }, color } },
        { mark: { type: "line", strokeWidth: 1.5 }, encoding: { x, y: { field: "p50", type: "quantitative" }, color } },
      ],
    },
  } as TopLevelSpec;
}

/** The label of a network in the page: its side and its normalization. */
export function netLabel(side: "left" | "right", norm: NormKind): string {
  return `${side}: ${NORM_LABELS[norm]}`;
}
