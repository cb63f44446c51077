/**
 * The learner's solution of test/fixtures/exercise/solution.js and buggy versions
 * of it: each bug replaces marked lines (the replacement must apply, so a test can
 * never pass on an unchanged solution).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { CauseId } from "../../src/exercise/types.js";
import { repoRoot } from "./env.js";

export const SOLUTION = readFileSync(join(repoRoot, "test", "fixtures", "exercise", "solution.js"), "utf8");

/** A module re-exporting bnlab's own layers: the reference as a learner's module. */
export const REFERENCE_MODULE = `export {
  batchnormForward, batchnormBackward, batchnormBackwardAlt, layernormForward, layernormBackward,
  affineNormReluForward, affineNormReluBackward,
} from "bnlab";
`;

export interface Bug {
  /** What the test expects the diagnosis to name. */
  cause: CauseId;
  /** The check that must fail with that cause (run with --only). */
  check: string;
  /** The wrong output the diagnosis must list. */
  wrong: string;
  edits: [string, string][];
}

export const BUGS: Record<string, Bug> = {
  "mean branch missing from the staged backward": {
    cause: "noMeanBranch", check: "cell3", wrong: "dx",
    edits: [["dx.data[i * D + j] = dx1[i] + dmu / N; // BUG:mean-branch", "dx.data[i * D + j] = dx1[i];"]],
  },
  "unbiased (N - 1) variance": {
    cause: "unbiased", check: "cell1", wrong: "out",
    edits: [["v[j] /= N; // BUG:unbiased", "v[j] /= N - 1;"]],
  },
  "momentum convention reversed": {
    cause: "momentumReversed", check: "cell2", wrong: "running mean",
    edits: [
      ["r.mean[j] = momentum * r.mean[j] + (1 - momentum) * mu[j]; // BUG:momentum", "r.mean[j] = (1 - momentum) * r.mean[j] + momentum * mu[j];"],
      ["r.var[j] = momentum * r.var[j] + (1 - momentum) * v[j]; // BUG:momentum-var", "r.var[j] = (1 - momentum) * r.var[j] + momentum * v[j];"],
    ],
  },
  "test mode using batch statistics": {
    cause: "testUsesBatch", check: "cell2", wrong: "out",
    edits: [
      ["mu = Float64Array.from(bnParam.running.mean); // BUG:test-mean", "for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) mu[j] += x.data[i * D + j] / N;"],
      ["v = Float64Array.from(bnParam.running.var); // BUG:test-var", "for (let i = 0; i < N; i++) for (let j = 0; j < D; j++) v[j] += (x.data[i * D + j] - mu[j]) ** 2 / N;"],
    ],
  },
  "missing 1/N in the closed form": {
    cause: "missingInvN", check: "cell3-alt", wrong: "dx",
    edits: [["const scale = gamma[j] / std[j] / N; // BUG:alt-scale", "const scale = gamma[j] / std[j];"]],
  },
  "gamma left out of dx": {
    cause: "noGamma", check: "cell3-alt", wrong: "dx",
    edits: [["const scale = gamma[j] / std[j] / N; // BUG:alt-scale", "const scale = 1 / std[j] / N;"]],
  },
  "eps added outside the square root": {
    cause: "epsOutside", check: "forward-reference", wrong: "out",
    edits: [["std[j] = Math.sqrt(v[j] + eps); // BUG:eps", "std[j] = Math.sqrt(v[j]) + eps;"]],
  },
  "an input mutated": {
    cause: "mutatedInput", check: "cell1", wrong: "x",
    edits: [["xmu[k] = x.data[k] - mu[j]; // BUG:mutate", "x.data[k] -= mu[j]; xmu[k] = x.data[k];"]],
  },
  "a cache array mutated": {
    cause: "mutatedInput", check: "repeatable", wrong: "cache.xhat",
    edits: [["dx.data[k] = scale * (N * dout.data[k] - dbeta.data[j] - xhat[k] * dgamma.data[j]);", "dx.data[k] = scale * (N * dout.data[k] - dbeta.data[j] - xhat[k] * dgamma.data[j]); xhat[k] *= 2;"]],
  },
  "NaN in an output (beta read past its end)": {
    cause: "notFinite", check: "cell1", wrong: "out",
    edits: [["out.data[k] = gamma.data[j] * xhat[k] + beta.data[j];", "out.data[k] = gamma.data[j] * xhat[k] + beta.data[j + 1];"]],
  },
  "eps missing (NaN at N = 1)": {
    cause: "noEps", check: "forward-n1", wrong: "out",
    edits: [["std[j] = Math.sqrt(v[j] + eps); // BUG:eps", "std[j] = Math.sqrt(v[j]);"]],
  },
  "a wrong shape": {
    cause: "wrongShape", check: "cell3-alt", wrong: "dbeta",
    edits: [["const dbeta = Tensor.zeros([D], dtype); // BUG:alt-dbeta-shape", "const dbeta = Tensor.zeros([1, D], dtype);"]],
  },
};

/** The solution with `edits` applied; throws when one does not apply. */
export function withEdits(edits: readonly [string, string][], source = SOLUTION): string {
  let s = source;
  for (const [from, to] of edits) {
    if (!s.includes(from)) throw new Error(`edit does not apply: ${from}`);
    s = s.replace(from, to);
  }
  return s;
}

/** An endless loop at the start of batchnormBackward. */
export const INFINITE_LOOP = withEdits([["const { N, D, xhat, xmu, std, gamma, dtype } = cache; // BUG:staged-start", "while (true) {}"]]);
