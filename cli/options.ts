/**
 * Option parsers for commander that reject bad values with an OptionError naming
 * the flag, what was expected and what was given (exit code 2).
 */
import { OptionError } from "../src/node.js";
import { NET_NORMALIZATIONS, NORM_KINDS, NORM_LABELS, type NormKind } from "../src/node.js";
import type { DType } from "../src/node.js";

// NOTE: Number() also reads "0x10", "0b1", "1e3", " 7 " and "" (as 0); a flag takes
// exactly what a person types as a decimal number, nothing else.
const DECIMAL_INT = /^-?\d+$/;
const DECIMAL_NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** True when `value` is written as a plain decimal integer ("12", "-3"; not "0x10", "1e3", "1.0"). */
export function isDecimalInteger(value: string): boolean {
  return DECIMAL_INT.test(value);
}

/** An integer flag within [min, max]. */
export function intOption(flag: string, min: number, max: number): (value: string) => number {
  return (value: string): number => {
    const v = Number(value);
    if (!DECIMAL_INT.test(value) || !Number.isInteger(v) || v < min || v > max) {
      throw new OptionError(flag, `an integer from ${min} to ${max}`, value);
    }
    return v;
  };
}

/** A finite number flag with min < value <= max (or min <= value when `inclusiveMin`). */
export function numberOption(flag: string, min: number, max: number, inclusiveMin = false): (value: string) => number {
  return (value: string): number => {
    const v = Number(value);
    const okMin = inclusiveMin ? v >= min : v > min;
    if (!DECIMAL_NUMBER.test(value) || !Number.isFinite(v) || !okMin || v > max) {
      throw new OptionError(flag, `a number ${inclusiveMin ? ">=" : ">"} ${min} and <= ${max}`, value);
    }
    return v;
  };
}

/** A comma-separated list of positive integers, e.g. "100,100,100". */
export function intListOption(flag: string, max = 100_000): (value: string) => number[] {
  return (value: string): number[] => {
    const parts = value.split(",").map((s) => s.trim());
    const nums = parts.map(Number);
    if (parts.length === 0 || parts.some((p) => !DECIMAL_INT.test(p)) || nums.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
      throw new OptionError(flag, `a comma-separated list of integers from 1 to ${max} (e.g. 100,100)`, value);
    }
    return nums;
  };
}

/** The normalization names the flags take, as help and errors list them: the net's kinds, then "none". */
export const NORM_CHOICES: readonly string[] = [...NET_NORMALIZATIONS, "none"];

/** A normalization name or its legend label ("none" and "baseline" both mean no normalization). */
export function normOption(flag: string): (value: string) => NormKind {
  return (value: string): NormKind => {
    const kind = NORM_KINDS.find((k) => value === k || value === NORM_LABELS[k]);
    if (kind !== undefined) return kind;
    throw new OptionError(flag, `one of ${NORM_CHOICES.join(", ")}`, value);
  };
}

/** A comma-separated list of normalization names. */
export function normListOption(flag: string): (value: string) => NormKind[] {
  const one = normOption(flag);
  return (value: string): NormKind[] => {
    const kinds = value.split(",").map((s) => one(s.trim()));
    if (new Set(kinds).size !== kinds.length) throw new OptionError(flag, "distinct normalization names", value);
    return kinds;
  };
}

/** --dtype: the training dtype, float32 (default) or float64 (numpy's, to compare number for number). */
export function dtypeOption(value: string): DType {
  if (value === "float32" || value === "float64") return value;
  throw new OptionError("--dtype", "float32 or float64", value);
}

/** The help text of --dtype. */
export const DTYPE_HELP = "float32 (default) or float64: float64 replays numpy's float64 runs of the assignment number for number";

/** A seed: an integer in [0, 2^32). */
export const seedOption = intOption("--seed", 0, 2 ** 32 - 1);

/** --jobs: 1 to 256 worker threads. */
export const jobsOption = intOption("--jobs", 1, 256);

/**
 * A path flag (--out, --data, --dir): an empty or blank value is refused, since
 * `resolve("")` is the current folder and would silently write or read there.
 */
export function pathOption(flag: string): (value: string) => string {
  return (value: string): string => {
    if (value.trim() === "") throw new OptionError(flag, "a path (not empty)", value);
    return value;
  };
}
