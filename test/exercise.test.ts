/**
 * The exercise's check engine, in this thread: bnlab's own layers as a learner's
 * module pass every check; each recognisable mistake fails the right check with a
 * diagnosis naming it; the variants used for the diagnosis equal bnlab's layers
 * when no mistake is selected; the starter says "not implemented" everywhere.
 */
import { runInThisContext } from "node:vm";
import { describe, expect, it } from "vitest";
import * as bnlab from "../src/index.js";
import { allPassed, EXERCISE_CHECKS, runChecksInline, selectChecks } from "../src/exercise/engine.js";
import { loadLearnerModule, LearnerModuleError } from "../src/exercise/module.js";
import { starterModule } from "../src/exercise/starter.js";
import { batchnormBackwardVariant, batchnormForwardVariant, layernormBackwardVariant, layernormForwardVariant } from "../src/exercise/variants.js";
import { scaledError } from "../src/exercise/context.js";
import { BUGS, REFERENCE_MODULE, SOLUTION, withEdits } from "./helpers/exercise-bugs.js";

type Evaluated = (require: (id: string) => unknown, exports: object, module: { exports: object }) => void;
const load = (source: string, file = "/tmp/exercise/layers.js") =>
  loadLearnerModule(source, file, { bnlab }, (code, filename) => runInThisContext(code, { filename }) as Evaluated);

describe("the variants with no mistake are bnlab's layers", () => {
  const { x, gamma, beta, dout } = (() => {
    const rng = new bnlab.RandomState(3);
    return { x: rng.randn(7, 5), gamma: rng.randn(5), beta: rng.randn(5), dout: rng.randn(7, 5) };
  })();
  it("batch norm forward (train, with running statistics) and backward", () => {
    const running = { mean: new Float64Array([0.1, 0.2, 0.3, 0.4, 0.5]), var: new Float64Array([1, 2, 3, 4, 5]) };
    const v = batchnormForwardVariant(x.data, 7, 5, gamma.data, beta.data, "train", running);
    const r = { mean: running.mean.slice(), var: running.var.slice() };
    const ref = bnlab.batchnormForward(x, gamma, beta, { mode: "train", running: r });
    expect(scaledError(v.out, ref.out.data)).toBeLessThan(1e-14);
    expect(scaledError(v.runningMean!, r.mean)).toBeLessThan(1e-15);
    expect(scaledError(v.runningVar!, r.var)).toBeLessThan(1e-15);
    const g = batchnormBackwardVariant(x.data, 7, 5, gamma.data, dout.data);
    const gr = bnlab.batchnormBackward(dout, ref.cache);
    expect(scaledError(g.dx, gr.dx.data)).toBeLessThan(1e-14);
    expect(scaledError(g.dgamma, gr.dgamma.data)).toBeLessThan(1e-14);
    expect(scaledError(g.dbeta, gr.dbeta.data)).toBeLessThan(1e-14);
  });
  it("layer norm forward and backward", () => {
    const ref = bnlab.layernormForward(x, gamma, beta, {});
    expect(scaledError(layernormForwardVariant(x.data, 7, 5, gamma.data, beta.data), ref.out.data)).toBeLessThan(1e-14);
    const g = layernormBackwardVariant(x.data, 7, 5, gamma.data, dout.data);
    const gr = bnlab.layernormBackward(dout, ref.cache);
    expect(scaledError(g.dx, gr.dx.data)).toBeLessThan(1e-13);
    expect(scaledError(g.dgamma, gr.dgamma.data)).toBeLessThan(1e-14);
  });
});

describe("exercise checks in this thread", () => {
  it("bnlab's own layers, as a learner's module, pass every check", () => {
    const layers = load(REFERENCE_MODULE);
    expect(Object.keys(layers)).toHaveLength(7);
    const results = runChecksInline(layers, "/tmp/exercise/layers.js");
    expect(results.map((r) => r.id)).toEqual(EXERCISE_CHECKS.map((c) => c.id));
    for (const r of results) expect(r.status, `${r.id}: ${JSON.stringify(r.diagnosis ?? r.message)}`).toBe("pass");
    expect(allPassed(results)).toBe(true);
  });

  it("the starter (TypeScript) says not implemented for every check", () => {
    const layers = load(starterModule("ts").text, "/tmp/exercise/layers.ts");
    expect(Object.keys(layers)).toHaveLength(7);
    const results = runChecksInline(layers, "/tmp/exercise/layers.ts");
    expect(results.every((r) => r.status === "not implemented")).toBe(true);
    expect(allPassed(results)).toBe(false);
  });

  it.each(Object.entries(BUGS))("%s: the right check fails and the diagnosis names the cause", (_name, bug) => {
    const layers = load(withEdits(bug.edits));
    const [r] = runChecksInline(layers, "/tmp/exercise/layers.js", bug.check).filter((x) => x.id === bug.check);
    expect(r, bug.check).toBeDefined();
    expect(r!.status).toBe("fail");
    expect(r!.diagnosis?.causeId, JSON.stringify(r!.diagnosis)).toBe(bug.cause);
    expect(r!.diagnosis!.wrong).toContain(bug.wrong);
    expect(r!.diagnosis!.cause!.length).toBeGreaterThan(20);
  });

  it("the correct solution passes the checks the bugs fail", () => {
    const layers = load(SOLUTION);
    const ids = [...new Set(Object.values(BUGS).map((b) => b.check))];
    for (const id of ids) {
      const [r] = runChecksInline(layers, "x", id).filter((x) => x.id === id);
      expect(r!.status, `${id}: ${JSON.stringify(r!.diagnosis)}`).toBe("pass");
    }
  });

  it("a thrown error shows the learner's own frames, not bnlab's", () => {
    const layers = load(withEdits([["const eps = bnParam.eps ?? 1e-5;", "const eps = bnParam.eps.value;"]]), "/tmp/exercise/mine.js");
    const [r] = runChecksInline(layers, "/tmp/exercise/mine.js", "cell1");
    expect(r!.status).toBe("error");
    expect(r!.message).toMatch(/batchnormForward threw TypeError/);
    expect(r!.message).toMatch(/\/tmp\/exercise\/mine\.js:7:/);
    expect(r!.message).not.toMatch(/src\/exercise|src\/experiments/);
  });

  it("--only selects by id, prefix or function; a syntax error names the line", () => {
    expect(selectChecks("cell3").map((c) => c.id)).toEqual(["cell3", "cell3-alt"]);
    expect(selectChecks("layernormBackward").map((c) => c.id)).toEqual(["layernorm-backward"]);
    expect(() => load("export function batchnormForward(x {\n}\n")).toThrow(LearnerModuleError);
    expect(() => load("export function batchnormForward(x {\n}\n")).toThrow(/layers\.js:1:/);
    expect(() => load('import fs from "node:fs";\n')).toThrow(/may import only "bnlab"/);
  });
});
