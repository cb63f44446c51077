/**
 * test/fixtures/optim.json: update-rule steps computed with the assignment's numpy
 * code (scripts/fixtures/optim.py), in float64 and float32.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { repoRoot } from "./env.js";

export interface OptimCase {
  rule: string;
  /** Absent: float64 (the float32 cases are checked bit for bit in test/optim-f32.test.ts). */
  dtype?: "float32";
  config: Record<string, number>;
  w0: number[];
  dws: number[][];
  ws: number[][];
  state: Record<string, number[] | number>;
}

export const optimCases = (JSON.parse(readFileSync(join(repoRoot, "test", "fixtures", "optim.json"), "utf8")) as { cases: OptimCase[] }).cases;
