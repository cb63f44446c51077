// npm's `prepare` (after `npm install`/`npm ci` in this folder, and when npm installs bnlab
// from a git URL or a folder): builds what is missing, and only that, so a clone's `npm ci`
// stays fast.
//  - web/dist (the playground for `bnlab serve`, ~2 s) when it is missing.
//  - dist/ (tsc, ~10 s) when it is missing, except in a developer's own clone, which needs
//    none: there bin/bnlab.js runs the TypeScript sources through tsx and the tests run the
//    sources. "A developer's own clone" = npm runs in this folder itself (INIT_CWD) and not
//    as part of installing bnlab as a git dependency (npm's pacote then sets
//    _PACOTE_NO_PREPARE_ or npm_package_resolved). BNLAB_BUILD=1 builds it regardless.
// `npm pack` builds everything afresh through prepack (scripts/build.mjs), whatever is there.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");

/** What prepare builds in `dir` under `env`: { lib, web } (true = build it). */
export function preparePlan(dir, env, exists = existsSync) {
  const libBuilt = ["dist/src/index.js", "dist/src/node.js", "dist/cli/main.js"].every((p) => exists(join(dir, p)));
  const webBuilt = exists(join(dir, "web", "dist", "index.html"));
  const asDependency = env._PACOTE_NO_PREPARE_ !== undefined || env.npm_package_resolved !== undefined;
  const ownClone = !asDependency && env.INIT_CWD !== undefined && resolve(env.INIT_CWD) === resolve(dir);
  return { web: !webBuilt, lib: !libBuilt && (!ownClone || env.BNLAB_BUILD === "1"), libSkipped: !libBuilt && ownClone && env.BNLAB_BUILD !== "1" };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const plan = preparePlan(root, process.env);
  const { buildLib, buildWeb } = await import("./build.mjs");
  if (plan.web) buildWeb();
  if (plan.lib) buildLib();
  if (plan.libSkipped) console.log("bnlab: dist/ not built (a clone runs its TypeScript sources; `npm run build` compiles them)");
}
