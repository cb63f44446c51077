/**
 * The settings form: fills the controls from a Settings object and reads them
 * back. The weight scale has a log slider (1e-4 … 1); its exact value comes from
 * the URL until the slider is moved.
 */
import { NORMALIZATIONS, UPDATE_RULES } from "../../src/index.js";
import { DATA_SOURCES, FIELDS, KERNELS, NORMS, OPTIMIZERS, scaleToSlider, sliderToScale, type KernelChoice, type Settings } from "./state.js";

const NORM_TEXT: Record<string, string> = Object.fromEntries(Object.entries(NORMALIZATIONS).map(([k, v]) => [k, v.menu]));
const OPT_TEXT: Record<string, string> = Object.fromEntries(Object.entries(UPDATE_RULES).map(([k, v]) => [k, v.label]));
const DATA_TEXT: Record<string, string> = { served: "served CIFAR-10", synthetic: "synthetic set", file: "chosen file" };
// Typed by KernelChoice: a new kernel path does not compile without its label.
const KERNEL_TEXT: Record<KernelChoice, string> = {
  auto: "fastest",
  ts: "TypeScript",
  "wasm-simd": "wasm SIMD",
  "wasm-relaxed": "wasm relaxed",
};

function el<T extends HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`the page lacks #${id}`);
  return e as T;
}

function fillSelect(id: string, values: readonly string[], text: Record<string, string>): void {
  const s = el<HTMLSelectElement>(id);
  s.replaceChildren(...values.map((v) => new Option(text[v] ?? v, v)));
}

/** Number inputs by setting name (their ids). */
const NUMBER_INPUTS: [keyof Settings, string][] = [
  ["depth", "depth"],
  ["width", "width"],
  ["learningRate", "lr"],
  ["batchSize", "batch"],
  ["epochs", "epochs"],
  ["numTrain", "ntrain"],
  ["seed", "seed"],
  ["sweepScales", "scales"],
];
const SELECTS: [keyof Settings, string][] = [
  ["normA", "normA"],
  ["normB", "normB"],
  ["optimizer", "optimizer"],
  ["data", "data"],
  ["kernel", "kernel"],
];

export class Controls {
  private scale: number;

  constructor(initial: Settings) {
    fillSelect("normA", NORMS, NORM_TEXT);
    fillSelect("normB", NORMS, NORM_TEXT);
    fillSelect("optimizer", OPTIMIZERS, OPT_TEXT);
    fillSelect("data", DATA_SOURCES, DATA_TEXT);
    fillSelect("kernel", KERNELS, KERNEL_TEXT);
    this.scale = initial.weightScale;
    this.write(initial);
    el<HTMLInputElement>("scale-slider").addEventListener("input", () => {
      this.scale = sliderToScale(Number(el<HTMLInputElement>("scale-slider").value));
      this.showScale();
    });
  }

  /** Shows `s` in the controls. */
  write(s: Settings): void {
    for (const [key, id] of NUMBER_INPUTS) el<HTMLInputElement>(id).value = String(s[key]);
    for (const [key, id] of SELECTS) el<HTMLSelectElement>(id).value = String(s[key]);
    this.scale = s.weightScale;
    el<HTMLInputElement>("scale-slider").value = String(scaleToSlider(s.weightScale));
    this.showScale();
  }

  /**
   * The settings the controls show, on top of `base` (which supplies the tab).
   * A number outside its range keeps the value of `base`, and is listed.
   */
  read(base: Settings): { settings: Settings; problems: string[] } {
    const out: Settings = { ...base, weightScale: this.scale };
    const problems: string[] = [];
    const rec = out as unknown as Record<string, number | string>;
    for (const [key, id] of NUMBER_INPUTS) {
      const spec = FIELDS[key];
      const raw = el<HTMLInputElement>(id).value;
      const v = Number(raw);
      if (spec.kind === "enum") continue;
      const ok = raw !== "" && Number.isFinite(v) && (spec.kind === "num" || Number.isInteger(v)) && v >= spec.min && v <= spec.max;
      if (ok) rec[key] = v;
      else problems.push(`${spec.key}: expected ${spec.kind === "int" ? "an integer" : "a number"} in [${spec.min}, ${spec.max}], got ${JSON.stringify(raw)}`);
    }
    for (const [key, id] of SELECTS) rec[key] = el<HTMLSelectElement>(id).value;
    return { settings: out, problems };
  }

  /** Enables or disables one data source option (e.g. "served" on a static host). */
  setDataAvailable(source: "served", available: boolean): void {
    const opt = [...el<HTMLSelectElement>("data").options].find((o) => o.value === source);
    if (opt) opt.disabled = !available;
  }

  private showScale(): void {
    el<HTMLOutputElement>("scale-out").value = formatScale(this.scale);
  }
}

/** A weight scale as people write it: 2e-2 → "0.02", 1e-4 → "1e-4". */
export function formatScale(v: number): string {
  return v >= 1e-3 ? String(Number(v.toPrecision(3))) : v.toExponential(2).replace(/\.?0+e/, "e").replace("e-0", "e-");
}

export { el };
