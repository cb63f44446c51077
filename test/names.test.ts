/**
 * One source per concept (src/core/names.ts): the normalization kinds and the update-rule
 * names are defined once, and the net's validation, the CLI's parsers, the report's schema
 * and labels, and the playground's menus all take them from there.
 */
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { normOption } from "../cli/options.js";
import {
  FullyConnectedNet,
  NET_NORMALIZATIONS,
  NORMALIZATIONS,
  NORM_KINDS,
  NORM_LABELS,
  OptionError,
  UPDATE_RULES,
  UPDATE_RULE_NAMES,
  getUpdateRule,
  isNormalization,
  netNormalization,
  normKindOf,
} from "../src/index.js";
import { NORMS, OPTIMIZERS } from "../web/src/state.js";
import { repoRoot } from "./helpers/env.js";

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (p.endsWith(".ts")) out.push(p);
  }
  return out;
}

describe("the names module", () => {
  it("lists every normalization once, with its labels, and the net's option derives from it", () => {
    expect(NORM_KINDS).toEqual(Object.keys(NORMALIZATIONS));
    expect(NORM_KINDS[0]).toBe("none");
    expect(NET_NORMALIZATIONS).toEqual(NORM_KINDS.filter((k) => k !== "none"));
    for (const k of NORM_KINDS) expect(NORM_LABELS[k]).toBe(NORMALIZATIONS[k].label);
    expect(NORM_LABELS.none).toBe("baseline");
    for (const k of NORM_KINDS) expect(normKindOf(netNormalization(k))).toBe(k);
    // The net accepts null and every kind but "none" (as before), and nothing else.
    for (const n of [null, ...NET_NORMALIZATIONS]) {
      expect(isNormalization(n)).toBe(true);
      expect(new FullyConnectedNet({ hiddenDims: [3], inputDim: 4, normalization: n, seed: 0 }).normalization).toBe(n);
    }
    expect(isNormalization(undefined)).toBe(false);
    for (const bad of ["none", "instancenorm", 0]) {
      expect(isNormalization(bad)).toBe(false);
      expect(() => new FullyConnectedNet({ hiddenDims: [3], inputDim: 4, normalization: bad as never, seed: 0 })).toThrow(OptionError);
    }
  });

  it("the CLI, the page and the optimizers take their lists from it", () => {
    const parse = normOption("--normalization");
    for (const k of NORM_KINDS) {
      expect(parse(k)).toBe(k);
      expect(parse(NORM_LABELS[k])).toBe(k);
    }
    expect(() => parse("instancenorm")).toThrow(OptionError);
    expect(NORMS).toBe(NORM_KINDS);
    expect(OPTIMIZERS).toBe(UPDATE_RULE_NAMES);
    expect(UPDATE_RULE_NAMES).toEqual(Object.keys(UPDATE_RULES));
    for (const r of UPDATE_RULE_NAMES) expect(typeof getUpdateRule(r)).toBe("function");
    expect(() => getUpdateRule("nesterov")).toThrow(OptionError);
  });

  it("no other source file spells out a list of the kinds or of the rules", () => {
    const lists = [/"none",\s*"batchnorm",\s*"layernorm"/, /"batchnorm"\s*\|\s*"layernorm"/, /"sgd",\s*"sgdMomentum",\s*"rmsprop"/, /"sgdMomentum"\s*\|\s*"rmsprop"/];
    const found: string[] = [];
    for (const dir of ["src", "cli", "web/src"]) {
      for (const f of sourceFiles(join(repoRoot, dir))) {
        const rel = relative(repoRoot, f);
        if (rel === join("src", "core", "names.ts")) continue;
        const text = readFileSync(f, "utf8");
        for (const re of lists) if (re.test(text)) found.push(`${rel}: ${re.source}`);
      }
    }
    expect(found).toEqual([]);
  });
});
