/**
 * A deterministic, CIFAR-shaped dataset with class-dependent structure, for demos
 * and tests that cannot download anything.
 *
 * Each class has a smooth template per channel (a few low-frequency plane waves
 * plus a colour cast, drawn once from the seed). An image is its class template
 * at a random contrast, plus a weaker template of another random class (a
 * distractor), a random brightness shift and per-pixel Gaussian noise. Pixel
 * statistics are on CIFAR's scale after mean subtraction (std about 50), so the
 * assignment's hyperparameters behave sensibly; the training mean image is
 * subtracted exactly as `getCifar10Data` does.
 */
import { OptionError } from "../core/errors.js";
import { RandomState } from "../core/random.js";
import { Tensor, allocFloat, type DType } from "../core/tensor.js";
import { IMAGE_BYTES as IMPORTED_IMAGE_BYTES, NUM_CLASSES } from "./formats.js";

// NOTE: module-local copy for hot loops (see preprocess.ts).
const IMAGE_BYTES: number = IMPORTED_IMAGE_BYTES;
import type { Cifar10Data } from "./preprocess.js";

/** Options of `syntheticCifar`: split sizes and the seed of its deterministic stream. */
export interface SyntheticCifarOptions {
  numTrain?: number;
  numVal?: number;
  numTest?: number;
  seed?: number;
  dtype?: DType;
}

const SIDE = 32;
const WAVES = 3;
const WAVE_AMPLITUDE = 6;
const COLOUR_AMPLITUDE = 5;
const NOISE_STD = 50;
const DISTRACTOR_WEIGHT = 0.8;
const BRIGHTNESS_STD = 12;

/** The synthetic set's label names: "class 0" … "class 9". */
export const SYNTHETIC_LABEL_NAMES = Array.from({ length: NUM_CLASSES }, (_, c) => `class ${c}`);

/** Ten class templates, (10, 3072) float64. */
function templates(rng: RandomState): Float64Array {
  const t = new Float64Array(NUM_CLASSES * IMAGE_BYTES);
  for (let c = 0; c < NUM_CLASSES; c++) {
    for (let ch = 0; ch < 3; ch++) {
      const base = c * IMAGE_BYTES + ch * SIDE * SIDE;
      const colour = COLOUR_AMPLITUDE * rng.standardNormal();
      for (let w = 0; w < WAVES; w++) {
        const fx = rng.randint(-3, 4, 1)[0]!;
        const fy = rng.randint(-3, 4, 1)[0]!;
        const phase = 2 * Math.PI * rng.randomSample();
        const amp = WAVE_AMPLITUDE * (0.5 + rng.randomSample());
        for (let i = 0; i < SIDE; i++) {
          for (let j = 0; j < SIDE; j++) {
            t[base + i * SIDE + j]! += amp * Math.cos((2 * Math.PI * (fx * j + fy * i)) / SIDE + phase);
          }
        }
      }
      for (let k = 0; k < SIDE * SIDE; k++) t[base + k]! += colour;
    }
  }
  return t;
}

/**
 * n standard normals from a small counter-free generator (mulberry32 + Box–Muller)
 * seeded by `seed`. NOTE: pixel noise is the bulk of the draws; RandomState's
 * numpy-exact `randn` is kept for everything else, this is several times faster.
 */
function gaussianNoise(seed: number, n: number): Float64Array {
  const out = new Float64Array(n);
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  for (let i = 0; i < n; i += 2) {
    const r = Math.sqrt(-2 * Math.log(next()));
    const theta = 2 * Math.PI * next();
    out[i] = r * Math.cos(theta);
    if (i + 1 < n) out[i + 1] = r * Math.sin(theta);
  }
  return out;
}

/** n images (n, 3072) float64 and their labels, drawn from `rng`. */
function draw(rng: RandomState, tmpl: Float64Array, n: number): { x: Float64Array; y: Int32Array } {
  const y = n > 0 ? rng.randint(0, NUM_CLASSES, n) : new Int32Array(0);
  const x = new Float64Array(n * IMAGE_BYTES);
  for (let i = 0; i < n; i++) {
    const label = y[i]!;
    const other = (label + 1 + (rng.randint(0, NUM_CLASSES - 1, 1)[0]!)) % NUM_CLASSES;
    const contrast = 0.6 + 0.8 * rng.randomSample();
    const distract = DISTRACTOR_WEIGHT * rng.randomSample();
    const shift = BRIGHTNESS_STD * rng.standardNormal();
    const noise = gaussianNoise(rng.randint(0, 0x7fffffff, 1)[0]!, IMAGE_BYTES);
    const off = i * IMAGE_BYTES;
    const ta = label * IMAGE_BYTES;
    const tb = other * IMAGE_BYTES;
    for (let j = 0; j < IMAGE_BYTES; j++) {
      x[off + j] = contrast * tmpl[ta + j]! + distract * tmpl[tb + j]! + shift + NOISE_STD * noise[j]!;
    }
  }
  return { x, y };
}

function checkCount(option: string, v: number): void {
  if (!Number.isInteger(v) || v < 0) throw new OptionError(option, "a non-negative integer", v);
}

/**
 * A deterministic CIFAR-shaped dataset: images (N, 3, 32, 32) already
 * preprocessed (training mean image subtracted), labels in 0..9. Same `seed`,
 * same data. Defaults: 1000 / 200 / 200 records, seed 0, float32.
 */
export function syntheticCifar(options: SyntheticCifarOptions = {}): Cifar10Data {
  const { numTrain = 1000, numVal = 200, numTest = 200, seed = 0, dtype = "float32" } = options;
  checkCount("numTrain", numTrain);
  checkCount("numVal", numVal);
  checkCount("numTest", numTest);
  if (dtype !== "float32" && dtype !== "float64") throw new OptionError("dtype", '"float32" or "float64"', dtype);
  const rng = new RandomState(seed);
  const tmpl = templates(rng);
  const train = draw(rng, tmpl, numTrain);
  const val = draw(rng, tmpl, numVal);
  const test = draw(rng, tmpl, numTest);

  const mean = new Float64Array(IMAGE_BYTES);
  for (let i = 0; i < numTrain; i++) for (let j = 0; j < IMAGE_BYTES; j++) mean[j]! += train.x[i * IMAGE_BYTES + j]!;
  if (numTrain > 0) for (let j = 0; j < IMAGE_BYTES; j++) mean[j]! /= numTrain;
  const finish = (x: Float64Array, n: number): Tensor => {
    const out = allocFloat(n * IMAGE_BYTES, dtype);
    for (let i = 0; i < n; i++) for (let j = 0; j < IMAGE_BYTES; j++) out[i * IMAGE_BYTES + j] = x[i * IMAGE_BYTES + j]! - mean[j]!;
    return new Tensor(out, [n, 3, SIDE, SIDE]);
  };
  const meanImage = new Tensor(allocFloat(IMAGE_BYTES, dtype), [3, SIDE, SIDE]);
  meanImage.data.set(mean);
  return {
    xTrain: finish(train.x, numTrain),
    yTrain: train.y,
    xVal: finish(val.x, numVal),
    yVal: val.y,
    xTest: finish(test.x, numTest),
    yTest: test.y,
    meanImage,
    labelNames: [...SYNTHETIC_LABEL_NAMES],
    source: { kind: "synthetic", dir: null, counts: { train: numTrain, val: numVal, test: numTest }, files: [] },
  };
}
