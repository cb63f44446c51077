/**
 * "Noisy batch norm" (Santurkar, Tsipras, Ilyas, Madry 2018, "How Does Batch
 * Normalization Help Optimization?", section 2.1): after a batch-norm layer, a
 * random per-unit scale and shift, drawn afresh at every training step, so the
 * distribution of the layer's output moves from step to step however stable
 * batch norm made it. The noise is a constant of the step: backward multiplies
 * the gradient by the scale.
 */
import { OptionError } from "../core/errors.js";
import type { RandomState } from "../core/random.js";
import { Tensor } from "../core/tensor.js";
import type { FloatArray } from "../core/tensor.js";

/**
 * The noise of `FullyConnectedNetOptions.bnNoise`: per unit j of each hidden
 * batch-norm layer, out[:, j] = s_j·out[:, j] + m_j with
 *   m_j = shift·(2u_j − 1) ~ U(−shift, shift),  s_j = 1 + scale·v_j ~ U(1, 1 + scale),
 * where u (D values) then v (D values) are the next uniforms `rand(D)` of the
 * net's noise stream RandomState(seed ?? 0), layer after layer, at every
 * train-mode forward pass (numpy: `m = shift*(2*rs.rand(D) - 1); s = 1 + scale*rs.rand(D)`).
 */
export interface BnNoise {
  /** Half-width of the shift's range; >= 0. */
  shift: number;
  /** Width of the scale's range above 1; >= 0. */
  scale: number;
  /** Seeds the noise stream; default 0. */
  seed?: number;
}

/** One layer's draw: scale s and shift m per unit (D each, float64). */
export interface LayerNoise {
  readonly s: Float64Array;
  readonly m: Float64Array;
}

/** Validates `bnNoise` (the net checks that normalization is "batchnorm"); returns a frozen copy. */
export function checkBnNoise(v: unknown): Readonly<BnNoise> {
  if (typeof v !== "object" || v === null) throw new OptionError("bnNoise", "{ shift, scale, seed? }", v);
  const o = v as Record<string, unknown>;
  for (const k of ["shift", "scale"] as const) {
    const x = o[k];
    if (typeof x !== "number" || !(x >= 0) || !Number.isFinite(x)) throw new OptionError(`bnNoise.${k}`, "a finite number >= 0", x);
  }
  const seed = o["seed"];
  if (seed !== undefined && !(typeof seed === "number" && Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32)) {
    throw new OptionError("bnNoise.seed", "an integer in [0, 2^32)", seed);
  }
  const out: BnNoise = { shift: o["shift"] as number, scale: o["scale"] as number };
  if (seed !== undefined) out.seed = seed as number;
  return Object.freeze(out);
}

/** The next layer's draw of D units from the noise stream (u for the shifts first, then v for the scales). */
export function drawNoise(rng: RandomState, D: number, noise: Readonly<BnNoise>): LayerNoise {
  const m = new Float64Array(D);
  const s = new Float64Array(D);
  for (let j = 0; j < D; j++) m[j] = noise.shift * (2 * rng.randomSample() - 1);
  for (let j = 0; j < D; j++) s[j] = 1 + noise.scale * rng.randomSample();
  return { s, m };
}

/**
 * out = s·x + m per column, in place on x (N, D).
 * NOTE: with shift = scale = 0, s = 1 and m = ±0, so every value is unchanged
 * (x·1 = x, x + ±0 = x but for the sign of an exact zero, which the activation
 * after it and every later value do not see).
 */
export function applyNoise(x: Tensor, n: LayerNoise): void {
  const [N, D] = x.shape as [number, number];
  const d = x.data;
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) d[r + j] = n.s[j]! * d[r + j]! + n.m[j]!;
  }
}

/** Backward of `applyNoise` (the noise a constant): dx = s·dout, into dxBuffer (N·D, dtype of dout). */
export function noiseBackward(dout: Tensor, n: LayerNoise, dxBuffer: FloatArray): { dx: Tensor } {
  const [N, D] = dout.shape as [number, number];
  const dd = dout.data;
  for (let i = 0; i < N; i++) {
    const r = i * D;
    for (let j = 0; j < D; j++) dxBuffer[r + j] = n.s[j]! * dd[r + j]!;
  }
  return { dx: new Tensor(dxBuffer, dout.shape) };
}
