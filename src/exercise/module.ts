/**
 * Turns a learner's source (TypeScript or JavaScript, an ES module) into its
 * functions, the same way in Node and in the page: sucrase strips the types and
 * rewrites the imports as `require` calls, which we answer ourselves, so
 * `import { Tensor } from "bnlab"` gets the very module the checks run with (one
 * Tensor class). Sucrase keeps line numbers, so stack frames point at the
 * learner's own lines. No file system, no network: browser-safe.
 */
import { transform } from "sucrase";
import { EXERCISE_FUNCTIONS, type LearnerLayers } from "./types.js";

/** A problem in the learner's module itself (syntax, imports, top-level code). */
export class LearnerModuleError extends Error {
  constructor(
    message: string,
    readonly line: number | null = null,
    readonly column: number | null = null,
  ) {
    super(message);
    this.name = "LearnerModuleError";
  }
}

/** JavaScript (CommonJS shape) of a learner's module; throws LearnerModuleError on a syntax error. */
export function compileLearnerSource(source: string, filename: string): string {
  const typescript = /\.(ts|mts|cts|tsx)$/.test(filename);
  try {
    return transform(source, { transforms: typescript ? ["typescript", "imports"] : ["imports"], filePath: filename, production: true }).code;
  } catch (err) {
    const e = err as { message?: string; loc?: { line: number; column: number } };
    const loc = e.loc ?? null;
    const msg = (e.message ?? String(err)).replace(/\s*\(\d+:\d+\)\s*$/, "");
    throw new LearnerModuleError(`${filename}${loc ? `:${loc.line}:${loc.column + 1}` : ""}: ${msg}`, loc?.line ?? null, loc === null ? null : loc.column + 1);
  }
}

/** The JavaScript of the starter: the TypeScript one with its types stripped (comments kept). */
export function stripTypes(source: string): string {
  const js = transform(source, { transforms: ["typescript"], disableESTransforms: true, keepUnusedImports: true }).code;
  // NOTE: sucrase blanks the removed lines (it keeps line numbers); a starter reads better without them.
  return js.replace(/\n{3,}/g, "\n\n");
}

/**
 * Runs the compiled module. `evaluate(code, filename)` must return a function
 * (require, exports, module) => void whose stack frames carry `filename` (Node:
 * vm.runInThisContext; the page: an indirect eval with a sourceURL).
 */
export function loadLearnerModule(
  source: string,
  filename: string,
  modules: Record<string, unknown>,
  evaluate: (code: string, filename: string) => (require: (id: string) => unknown, exports: object, module: { exports: object }) => void,
): LearnerLayers {
  const code = compileLearnerSource(source, filename);
  // NOTE: the wrapper starts on the module's first line, so line numbers are unchanged.
  const fn = evaluate(`(function (require, exports, module) {${code}\n})`, filename);
  const module = { exports: {} as Record<string, unknown> };
  const require = (id: string): unknown => {
    if (id in modules) return modules[id];
    throw new LearnerModuleError(`${filename}: cannot import "${id}" here: a learner's module may import only ${Object.keys(modules).map((m) => `"${m}"`).join(", ")}`);
  };
  try {
    fn(require, module.exports, module);
  } catch (err) {
    if (err instanceof LearnerModuleError) throw err;
    throw new LearnerModuleError(`${filename}: loading the module threw ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
  }
  const layers: LearnerLayers = {};
  const exported = module.exports;
  for (const name of EXERCISE_FUNCTIONS) {
    const f = exported[name];
    if (typeof f === "function") (layers as Record<string, unknown>)[name] = f;
  }
  return layers;
}
