/** Classification losses on raw scores: softmax cross-entropy and multiclass SVM (hinge). */
import { Tensor, allocFloat } from "../core/tensor.js";
import type { FloatArray, Labels } from "../core/tensor.js";
import { expect2d, outputBuffer } from "./checks.js";

function checkLabels(fn: string, N: number, C: number, y: Labels): void {
  if (y.length !== N) throw new RangeError(`${fn}: y must have shape (${N}) to match x (${N}, ${C}), found (${y.length})`);
  for (let i = 0; i < N; i++) {
    const c = y[i]!;
    if (!(c >= 0 && c < C)) throw new RangeError(`${fn}: y[${i}] must be a class index in [0, ${C}), found ${c}`);
  }
}

/**
 * Softmax cross-entropy loss, averaged over the batch.
 *
 * @param x scores (N, C)
 * @param y labels (N), 0 <= y[i] < C
 * @param dxBuffer optional preallocated dx (N·C, dtype of x)
 * @returns loss (a number) and dx (N, C), the gradient of the loss
 */
export function softmaxLoss(x: Tensor, y: Labels, dxBuffer?: FloatArray): { loss: number; dx: Tensor } {
  const [N, C] = expect2d("softmaxLoss", "x", x);
  checkLabels("softmaxLoss", N, C, y);
  const xd = x.data;
  const dx = outputBuffer("softmaxLoss", "dx", dxBuffer, N * C, xd);
  const p = new Float64Array(C);
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const r = i * C;
    // NOTE: subtracting the row maximum leaves softmax unchanged and keeps exp() from overflowing.
    let max = -Infinity;
    for (let j = 0; j < C; j++) if (xd[r + j]! > max) max = xd[r + j]!;
    let z = 0;
    for (let j = 0; j < C; j++) {
      p[j] = Math.exp(xd[r + j]! - max);
      z += p[j]!;
    }
    const yi = y[i]!;
    loss -= xd[r + yi]! - max - Math.log(z);
    for (let j = 0; j < C; j++) dx[r + j] = (p[j]! / z - (j === yi ? 1 : 0)) / N;
  }
  return { loss: loss / N, dx: new Tensor(dx, [N, C]) };
}

/**
 * Multiclass SVM (hinge) loss with margin 1, averaged over the batch:
 * L_i = Σ_{j≠y_i} max(0, x_ij − x_iy_i + 1).
 *
 * @param x scores (N, C)
 * @param y labels (N), 0 <= y[i] < C
 * @returns loss (a number) and dx (N, C)
 */
export function svmLoss(x: Tensor, y: Labels): { loss: number; dx: Tensor } {
  const [N, C] = expect2d("svmLoss", "x", x);
  checkLabels("svmLoss", N, C, y);
  const xd = x.data;
  const dx = allocFloat(N * C, x.dtype);
  let loss = 0;
  for (let i = 0; i < N; i++) {
    const r = i * C;
    const yi = y[i]!;
    const correct = xd[r + yi]!;
    let numPositive = 0;
    for (let j = 0; j < C; j++) {
      if (j === yi) continue;
      const margin = xd[r + j]! - correct + 1;
      // NOTE: like ReLU, the hinge has no derivative at margin 0; we take 0 there.
      if (margin > 0) {
        loss += margin;
        dx[r + j] = 1 / N;
        numPositive++;
      }
    }
    dx[r + yi] = -numPositive / N;
  }
  return { loss: loss / N, dx: new Tensor(dx, [N, C]) };
}
