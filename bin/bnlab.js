#!/usr/bin/env node
// The `bnlab` command. Two ways to run, chosen by what is next to this file:
//  - an installed package (no cli/main.ts; dist/ built by prepack/prepare): the compiled
//    JavaScript in dist/cli/main.js, with no devDependency;
//  - a clone (cli/main.ts present): the TypeScript sources through tsx (a devDependency),
//    so the command always runs the current code without a build step.
// BNLAB_CLI=dist runs the compiled build in a clone too (after `npm run build`).
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const source = join(root, "cli", "main.ts");
const compiled = join(root, "dist", "cli", "main.js");

function tsxCli() {
  try {
    return createRequire(import.meta.url).resolve("tsx/cli");
  } catch {
    return null;
  }
}

if (existsSync(source) && process.env.BNLAB_CLI !== "dist") {
  const tsx = tsxCli();
  if (tsx !== null) {
    const r = spawnSync(process.execPath, [tsx, source, ...process.argv.slice(2)], { stdio: "inherit" });
    process.exit(r.status ?? 1);
  }
  if (!existsSync(compiled)) {
    process.stderr.write("bnlab: in a clone the command runs the TypeScript sources through tsx: run `npm ci` first (or `npm run build` to run the compiled dist/)\n");
    process.exit(1);
  }
}
if (!existsSync(compiled)) {
  process.stderr.write(`bnlab: the compiled CLI ${compiled} is missing: this package was packed without its build (npm run build)\n`);
  process.exit(1);
}
const { main } = await import(pathToFileURL(compiled).href);
process.exitCode = await main(process.argv.slice(2));
