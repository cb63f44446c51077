/** Bit-for-bit comparison of float arrays (Object.is per element: −0 and NaN compared too). */
import type { FloatArray, Tensor } from "../../src/index.js";

/** null when a and b hold the same values bit for bit, else the first difference. */
export function firstBitDifference(a: FloatArray | Tensor, b: FloatArray | Tensor): string | null {
  const x = "data" in a ? a.data : a;
  const y = "data" in b ? b.data : b;
  if (x.length !== y.length) return `lengths ${x.length} vs ${y.length}`;
  if (x instanceof Float64Array !== y instanceof Float64Array) return "dtypes differ";
  const show = (v: number): string => (Object.is(v, -0) ? "-0" : String(v));
  for (let i = 0; i < x.length; i++) if (!Object.is(x[i], y[i])) return `[${i}]: ${show(x[i]!)} vs ${show(y[i]!)}`;
  return null;
}
