/**
 * Node-only rendering of the Vega-Lite specs: SVG through vega's headless view
 * (renderer "none", no canvas needed) and PNG through resvg with the bundled
 * DejaVu Sans, so a figure looks the same on every machine.
 */
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Resvg } from "@resvg/resvg-js";
import { parse, View } from "vega";
import { compile, type TopLevelSpec } from "vega-lite";

const FONT_FILES = ["DejaVuSans.ttf", "DejaVuSans-Bold.ttf"];

/** The folder holding the bundled fonts (assets/fonts at the package root, from src/ or dist/src/). */
export function fontDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, "assets", "fonts");
    if (existsSync(join(candidate, FONT_FILES[0]!))) return candidate;
    dir = dirname(dir);
  }
  throw new Error(`bnlab: the bundled font ${FONT_FILES[0]} was not found in assets/fonts above ${fileURLToPath(import.meta.url)}`);
}

/** Renders a Vega-Lite spec to an SVG string. */
export async function specToSvg(spec: TopLevelSpec): Promise<string> {
  const vgSpec = compile(spec).spec;
  const view = new View(parse(vgSpec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/** Rasterizes an SVG string to PNG bytes with the bundled font; `scale` multiplies the SVG's size. */
export function svgToPng(svg: string, scale = 2): Uint8Array {
  const dir = fontDir();
  const resvg = new Resvg(svg, {
    background: "white",
    fitTo: { mode: "zoom", value: scale },
    font: {
      loadSystemFonts: false,
      fontFiles: FONT_FILES.map((f) => join(dir, f)),
      defaultFontFamily: "DejaVu Sans",
      sansSerifFamily: "DejaVu Sans",
    },
  });
  return resvg.render().asPng();
}

/** A rendered figure: its SVG text and PNG bytes. */
export interface RenderedFigure {
  svg: string;
  png: Uint8Array;
}

/** Renders a spec to both SVG and PNG. */
export async function renderFigure(spec: TopLevelSpec, scale = 2): Promise<RenderedFigure> {
  const svg = await specToSvg(spec);
  return { svg, png: svgToPng(svg, scale) };
}
