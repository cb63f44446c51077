/**
 * What src/train may depend on, and what importing the library does: src/train knows
 * models only through the `Model` contract (no file there imports the concrete net), and
 * importing the library (src/node.ts, which re-exports src/index.ts) registers no background
 * checker (`enableBackgroundChecks()` does).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
// NOTE: src/node.ts re-exports src/index.ts, so importing it covers both entries.
import { FullyConnectedNet, RandomState, Tensor, enableBackgroundChecks, modelFromSpec } from "../src/node.js";
import { nodeBackgroundChecker } from "../src/train/background-checks.js";
import { getBackgroundCheckerFactory, setBackgroundCheckerFactory } from "../src/train/checks.js";
import { repoRoot } from "./helpers/env.js";

/** The module specifiers a TypeScript file imports or re-exports (static and dynamic). */
function importsOf(text: string): string[] {
  const specs: string[] = [];
  for (const m of text.matchAll(/\b(?:import|export)\b[^;]*?\bfrom\s*["']([^"']+)["']/g)) specs.push(m[1]!);
  for (const m of text.matchAll(/\bimport\s*\(\s*["']([^"']+)["']\s*\)/g)) specs.push(m[1]!);
  for (const m of text.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) specs.push(m[1]!);
  return specs;
}

describe("src/train boundaries", () => {
  it("no file in src/train imports src/models/fc-net", () => {
    const dir = join(repoRoot, "src", "train");
    const files = readdirSync(dir).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(3);
    const offenders: string[] = [];
    for (const f of files) {
      for (const spec of importsOf(readFileSync(join(dir, f), "utf8"))) {
        if (/(^|\/)models\/fc-net(\.js|\.ts)?$/.test(spec)) offenders.push(`${f}: ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
    // The scan sees imports at all (a broken regex would pass vacuously).
    expect(importsOf(readFileSync(join(dir, "solver.ts"), "utf8"))).toContain("../models/model.js");
    expect(importsOf('import { X } from "../models/fc-net.js";')).toEqual(["../models/fc-net.js"]);
  });

  it("importing the library registers no checker; enableBackgroundChecks registers the Node one and keeps a custom one", () => {
    expect(getBackgroundCheckerFactory()).toBeNull();
    const custom = (): null => null;
    setBackgroundCheckerFactory(custom);
    enableBackgroundChecks();
    expect(getBackgroundCheckerFactory()).toBe(custom);
    setBackgroundCheckerFactory(null);
    enableBackgroundChecks();
    expect(getBackgroundCheckerFactory()).toBe(nodeBackgroundChecker);
    setBackgroundCheckerFactory(null);
  });

  it("modelFromSpec rebuilds a net that, restored from a snapshot, scores exactly as the original", () => {
    const net = new FullyConnectedNet({ hiddenDims: [12, 7], inputDim: 20, numClasses: 5, normalization: "batchnorm", dropoutKeepRatio: 0.8, reg: 0.1, seed: 4 });
    const rs = new RandomState(2);
    const X = new Tensor(Float32Array.from(rs.randn(16, 20).data), [16, 20]);
    net.loss(X, rs.randint(0, 5, 16)); // moves the running statistics off their initial values
    const spec = net.spec();
    expect(spec).not.toBeNull();
    expect(JSON.parse(JSON.stringify(spec))).toEqual(spec);
    const copy = modelFromSpec(spec!);
    copy.restore(net.snapshot());
    expect(Array.from(copy.scores(X).data)).toEqual(Array.from(net.scores(X).data));
    class Sub extends FullyConnectedNet {}
    expect(new Sub({ hiddenDims: [3], inputDim: 4, seed: 0 }).spec()).toBeNull();
    expect(() => modelFromSpec({ kind: "cnn", options: {} })).toThrow(/spec\.kind/);
  });
});
