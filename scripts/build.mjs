// `npm run build` (and prepack): the package's compiled contents, from scratch.
//   dist/      the library and the CLI: JavaScript, declarations, source maps (tsconfig.build.json)
//   web/dist/  the playground that `bnlab serve` serves (vite)
// dist/ is emptied first so that a module deleted from src/ never lingers in a packed tarball.
// The WebAssembly bytes are not rebuilt here: they are committed (src/kernels/wasm-bytes.generated.ts,
// `npm run build:wasm`), and tsc compiles them into dist/ with the rest.
// `node scripts/build.mjs lib` builds dist/ only, `web` the playground only.
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);

function run(bin, args) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, stdio: "inherit" });
  if (r.status !== 0) process.exit(r.status ?? 1);
}

export function buildLib() {
  rmSync(join(root, "dist"), { recursive: true, force: true });
  run(require.resolve("typescript/bin/tsc"), ["-p", "tsconfig.build.json"]);
}

export function buildWeb() {
  run(join(dirname(require.resolve("vite/package.json")), "bin", "vite.js"), ["build", "--config", "web/vite.config.ts"]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const what = process.argv[2] ?? "all";
  if (what === "all" || what === "lib") buildLib();
  if (what === "all" || what === "web") buildWeb();
}
