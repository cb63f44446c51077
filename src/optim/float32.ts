/**
 * The update rules on float32 weights, as numpy evaluates the assignment's optim.py
 * on float32 arrays: the definition of the float32 path, which the WebAssembly
 * kernels (asm/optim.ts) reproduce bit for bit.
 *
 * NumPy 2 (NEP 50) does not let a Python float scalar upcast a float32 array: the
 * scalar (`learning_rate`, `beta1`, `1 - beta1`, `1 - beta1**t`, …, each computed in
 * double precision by Python) is rounded to float32 first, and every array operation
 * is a float32 operation, rounded, in Python's order of evaluation. Here each
 * operation is done in float64 on float32 values and rounded with `Math.fround`:
 * for +, −, ×, ÷ and √ that gives exactly the float32 result (float64 has more
 * than 2·24 + 2 bits, so rounding twice cannot differ from rounding once).
 * Scalars are passed already rounded (`Math.fround`), named as in the kernels:
 * omb1 = fround(1 − beta1), c1 = fround(1 − beta1^t), ….
 */
import type { OptimKernelsF32 } from "../kernels/types.js";

const f = Math.fround;

/** The float32 reference: every array (w's length) is updated in place. */
export const optimF32Reference: OptimKernelsF32 = {
  /** w = w − lr·dw. */
  sgd(w, dw, lr) {
    for (let i = 0; i < w.length; i++) w[i] = f(w[i]! - f(lr * dw[i]!));
  },

  /** v = mu·v − lr·dw; w = w + v. */
  sgdMomentum(w, dw, v, lr, mu) {
    for (let i = 0; i < w.length; i++) {
      const vi = f(f(mu * v[i]!) - f(lr * dw[i]!));
      v[i] = vi;
      w[i] = f(w[i]! + vi);
    }
  },

  /** cache = rho·cache + omr·(dw·dw); w = w − (lr·dw)/(√cache + eps). */
  rmsprop(w, dw, cache, lr, rho, omr, eps) {
    for (let i = 0; i < w.length; i++) {
      const g = dw[i]!;
      const c = f(f(rho * cache[i]!) + f(omr * f(g * g)));
      cache[i] = c;
      w[i] = f(w[i]! - f(f(lr * g) / f(f(Math.sqrt(c)) + eps)));
    }
  },

  /** m = b1·m + omb1·dw; mt = m/c1; v = b2·v + omb2·(dw·dw); vt = v/c2; w = w − (lr·mt)/(√vt + eps). */
  adam(w, dw, m, v, lr, b1, omb1, c1, b2, omb2, c2, eps) {
    for (let i = 0; i < w.length; i++) {
      const g = dw[i]!;
      const mi = f(f(b1 * m[i]!) + f(omb1 * g));
      m[i] = mi;
      const vi = f(f(b2 * v[i]!) + f(omb2 * f(g * g)));
      v[i] = vi;
      const mt = f(mi / c1);
      const vt = f(vi / c2);
      w[i] = f(w[i]! - f(f(lr * mt) / f(f(Math.sqrt(vt)) + eps)));
    }
  },
};
