/**
 * The notebook's first check cell, replayed: seeded with 231 (as the assignment's
 * `np.random.seed(231)`), X = randn(200, 50), W1 = randn(50, 60), W2 = randn(60, 3),
 * a = relu(X·W1)·W2. The column means of `a` are the numbers the notebook prints
 * before batch normalization.
 */
import { describe, expect, it } from "vitest";
import { RandomState, Tensor } from "../src/node.js";

/** Plain float64 matrix product: (n, k) · (k, m) -> (n, m). */
function matmul(a: Tensor, b: Tensor): Float64Array {
  const [n, k] = a.shape as [number, number];
  const m = b.shape[1]!;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    for (let p = 0; p < k; p++) {
      const aip = a.data[i * k + p]!;
      for (let j = 0; j < m; j++) out[i * m + j]! += aip * b.data[p * m + j]!;
    }
  }
  return out;
}

describe("notebook cell 1 with seed 231", () => {
  it("column means of relu(X·W1)·W2 match the notebook to 1e-7", () => {
    const rng = new RandomState(231);
    const X = rng.randn(200, 50);
    const W1 = rng.randn(50, 60);
    const W2 = rng.randn(60, 3);
    const h = matmul(X, W1).map((v) => Math.max(0, v));
    const a = matmul(new Tensor(h, [200, 60]), W2);
    const means = [0, 0, 0];
    for (let i = 0; i < 200; i++) for (let j = 0; j < 3; j++) means[j]! += a[i * 3 + j]! / 200;
    const expected = [-2.3814598, -13.18038246, 1.91780462];
    for (let j = 0; j < 3; j++) expect(Math.abs(means[j]! - expected[j]!)).toBeLessThan(1e-7);
  });
});
