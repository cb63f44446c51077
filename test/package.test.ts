/**
 * The package as a user gets it: `npm pack`, the tarball installed into an empty
 * project (dependencies from the registry), and there
 *  - Node: `import … from "bnlab"` runs a gradient check; `bnlab/node` loads;
 *  - the installed bin: `bnlab gradcheck`, `bnlab reproduce --quick --synthetic`, and
 *    `bnlab bench` saying that it runs from a clone;
 *  - a page importing `bnlab`, bundled by vite, runs a training step in chromium;
 *  - Deno: a script importing `npm:bnlab` runs a forward pass on the WebAssembly
 *    kernels and prints the same number as Node;
 *  - tsc: the declarations resolve for a consumer with moduleResolution "bundler"
 *    (no Node types) and "node16".
 * The pack runs in a copy of the working tree (so the repository's dist/ and web/dist,
 * which other tests serve, are left alone) and happens once per run of this file.
 * Without the registry the file is skipped with a warning, except under CI=true or
 * BNLAB_REQUIRE_REGISTRY=1 (.ci/run), where that is a failure.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { dirname, extname, join } from "node:path";
import { chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { chromiumArgs, chromiumPath, repoRoot } from "./helpers/env.js";

const NPM = process.platform === "win32" ? "npm.cmd" : "npm";

/** The environment for child processes, without the npm_* variables of the `npm test` running us. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^npm_/i.test(k) && k !== "INIT_CWD") env[k] = v;
  return { ...env, NO_COLOR: "1", ...extra };
}

function run(cmd: string, args: string[], cwd: string, timeoutMs: number, env: NodeJS.ProcessEnv = cleanEnv()): SpawnSyncReturns<string> {
  return spawnSync(cmd, args, { cwd, env, encoding: "utf8", timeout: timeoutMs, maxBuffer: 64 * 2 ** 20 });
}

function ok(r: SpawnSyncReturns<string>, what: string): string {
  if (r.status !== 0) throw new Error(`${what} failed (status ${r.status}, ${r.error?.message ?? "no spawn error"}):\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

function registryReachable(): boolean {
  const r = run(NPM, ["ping", "--fetch-timeout=10000", "--fetch-retries=0"], repoRoot, 30_000);
  return r.status === 0;
}

const reachable = registryReachable();
if (!reachable) {
  if (process.env.CI === "true" || process.env.BNLAB_REQUIRE_REGISTRY === "1") {
    throw new Error("CI=true (or BNLAB_REQUIRE_REGISTRY=1) but the npm registry is unreachable: the package test must run, not skip");
  }
  console.warn("[bnlab tests] WARNING: the npm registry is unreachable: the package (pack + install) test is skipped.");
}

let work = "";
let project = "";
let packed: { filename: string; size: number; unpackedSize: number; files: { path: string }[] } | null = null;

describe.skipIf(!reachable)("the packed package installed into an empty project", () => {
  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), "bnlab-package-"));
    // A copy of what npm would pack from (tracked and untracked-but-not-ignored files), tests aside.
    const tree = join(work, "tree");
    const listed = ok(run("git", ["ls-files", "--cached", "--others", "--exclude-standard", "-z"], repoRoot, 30_000), "git ls-files");
    for (const rel of listed.split("\0").filter((p) => p !== "" && !p.startsWith("test/"))) {
      const from = join(repoRoot, rel);
      if (!existsSync(from)) continue; // deleted in the working tree, not yet committed
      mkdirSync(dirname(join(tree, rel)), { recursive: true });
      cpSync(from, join(tree, rel));
    }
    symlinkSync(join(repoRoot, "node_modules"), join(tree, "node_modules"), "dir");
    const out = ok(run(NPM, ["pack", "--json", "--pack-destination", work], tree, 240_000), "npm pack");
    packed = (JSON.parse(out.slice(out.indexOf("["))) as NonNullable<typeof packed>[])[0]!;

    project = join(work, "project");
    mkdirSync(project);
    writeFileSync(
      join(project, "package.json"),
      JSON.stringify({ name: "bnlab-consumer", private: true, type: "module", dependencies: { bnlab: `file:${join(work, packed.filename)}` } }, null, 2),
    );
    ok(run(NPM, ["install", "--no-audit", "--no-fund", "--prefer-offline"], project, 240_000), "npm install of the tarball");
  }, 480_000);

  afterAll(() => {
    if (work !== "") rmSync(work, { recursive: true, force: true });
  });

  it("holds the compiled library, the CLI, fonts and the built playground, and no tests, sources or benchmarks", () => {
    const files = packed!.files.map((f) => f.path);
    for (const f of [
      "package.json", "README.md", "bin/bnlab.js",
      "dist/src/index.js", "dist/src/index.d.ts", "dist/src/index.js.map", "dist/src/node.js", "dist/src/node.d.ts",
      "dist/src/kernels/wasm-bytes.generated.js", "dist/src/node/check-worker.js", "dist/src/experiments/sweep-worker.js",
      "dist/cli/main.js", "assets/fonts/DejaVuSans.ttf", "assets/fonts/LICENSE-DejaVu.txt", "web/dist/index.html",
    ]) {
      expect(files).toContain(f);
    }
    const stray = files.filter((f) => /^(test|bench|src|cli|asm|scripts|examples|dist\/bench)\//.test(f) || (f.endsWith(".ts") && !f.endsWith(".d.ts")));
    expect(stray).toEqual([]);
    // The installed package needs no devDependency: none is installed next to it.
    for (const dev of ["tsx", "typescript", "vite", "vitest"]) expect(existsSync(join(project, "node_modules", dev))).toBe(false);
  });

  it("`bnlab` runs a gradient check in Node, and `bnlab/node` adds the Node functions", () => {
    writeFileSync(
      join(project, "gradcheck.mjs"),
      `import * as bnlab from "bnlab";
import * as bnlabNode from "bnlab/node";
const { RandomState, batchnormForward, batchnormBackward, evalNumericalGradientArray, relError } = bnlab;
const rng = new RandomState(231);
const x = rng.randn(4, 5);
for (let i = 0; i < x.size; i++) x.data[i] = 5 * x.data[i] + 12;
const gamma = rng.randn(5), beta = rng.randn(5), dout = rng.randn(4, 5);
const { cache } = batchnormForward(x, gamma, beta, { mode: "train" });
const { dx } = batchnormBackward(dout, cache);
const dxNum = evalNumericalGradientArray(() => batchnormForward(x, gamma, beta, { mode: "train" }).out, x, dout);
console.log(JSON.stringify({
  dxError: relError(dxNum, dx),
  sameClass: bnlabNode.RandomState === RandomState,
  nodeHas: typeof bnlabNode.getCifar10Data + "," + typeof bnlabNode.writeReport + "," + typeof bnlabNode.sweepExperimentParallel,
  browserHas: typeof bnlab.getCifar10Data + "," + typeof bnlab.writeReport,
}));
`,
    );
    const res = JSON.parse(ok(run(process.execPath, ["gradcheck.mjs"], project, 60_000), "node gradcheck.mjs")) as {
      dxError: number; sameClass: boolean; nodeHas: string; browserHas: string;
    };
    expect(res.dxError).toBeLessThan(1e-7);
    expect(res.dxError).toBeGreaterThan(0);
    expect(res.sameClass).toBe(true);
    expect(res.nodeHas).toBe("function,function,function");
    expect(res.browserHas).toBe("undefined,undefined");
  });

  it("the installed `bnlab gradcheck` passes", () => {
    const r = run(join(project, "node_modules", ".bin", "bnlab"), ["gradcheck"], project, 120_000);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^all \d+ checks passed$/m);
    expect(r.stdout).not.toMatch(/^fail/m);
  });

  it("the installed `bnlab reproduce --quick --synthetic` writes results.json and report.html", () => {
    const out = join(work, "report");
    const r = run(join(project, "node_modules", ".bin", "bnlab"), ["reproduce", "--quick", "--synthetic", "--out", out], project, 240_000);
    expect(r.status, r.stderr).toBe(0);
    const results = JSON.parse(readFileSync(join(out, "results.json"), "utf8")) as { schema: string; dataset: { source: string }; settings: { quick: boolean } };
    expect(results.schema).toBe("bnlab-results/1");
    expect(results.dataset.source).toBe("synthetic");
    expect(results.settings.quick).toBe(true);
    const html = readFileSync(join(out, "report.html"), "utf8");
    expect(html).toContain("<svg");
    expect(existsSync(join(out, "figures", "deep-net.png"))).toBe(true);
  });

  it("the installed `bnlab bench` says that it runs from a clone", () => {
    const r = run(join(project, "node_modules", ".bin", "bnlab"), ["bench", "--tiny"], project, 60_000);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("bnlab bench runs from a clone");
  });

  it("tsc resolves the declarations for moduleResolution bundler (no Node types) and node16", () => {
    writeFileSync(
      join(project, "browser.ts"),
      `import { FullyConnectedNet, RandomState, Solver, syntheticCifar, type Tensor } from "bnlab";
const data = syntheticCifar({ numTrain: 10, numVal: 5, numTest: 5, seed: 0 });
export const solver: Solver = new Solver(new FullyConnectedNet({ hiddenDims: [3] }), data, { numEpochs: 1 });
export const x: Tensor = new RandomState(0).randn(2, 3);
// @ts-expect-error the types are real (not any): a seed is a number
export const bad = new RandomState("231");
`,
    );
    writeFileSync(
      join(project, "node.ts"),
      `import { getCifar10Data, writeReport, type Cifar10Data } from "bnlab/node";
import { RandomState } from "bnlab";
export const load: (dir: string) => Cifar10Data = (dir) => getCifar10Data({ dir });
export const write: typeof writeReport = writeReport;
export const rng = new RandomState(1);
// @ts-expect-error the types are real (not any): getCifar10Data takes an options object
export const bad = getCifar10Data("./cifar10");
`,
    );
    // NOTE: the bundler check has skipLibCheck false, so bnlab's declarations themselves are
    // type-checked, without Node's types; not exactOptionalPropertyTypes, which vega-lite's own
    // declarations (a dependency) do not pass. The node16 check resolves both entries with
    // skipLibCheck (a second full check of the same files would double the time); the lines
    // expecting an error fail if a type resolved to any.
    const strict = { strict: true, noEmit: true, target: "es2022" };
    writeFileSync(
      join(project, "tsconfig.bundler.json"),
      JSON.stringify({ compilerOptions: { ...strict, skipLibCheck: false, module: "esnext", moduleResolution: "bundler", lib: ["es2022", "dom"], types: [] }, files: ["browser.ts"] }),
    );
    writeFileSync(
      join(project, "tsconfig.node16.json"),
      JSON.stringify({
        compilerOptions: { ...strict, skipLibCheck: true, module: "node16", moduleResolution: "node16", lib: ["es2022"], types: ["node"], typeRoots: [join(repoRoot, "node_modules", "@types")] },
        files: ["node.ts", "browser.ts"],
      }),
    );
    const tsc = join(repoRoot, "node_modules", "typescript", "bin", "tsc");
    for (const config of ["tsconfig.bundler.json", "tsconfig.node16.json"]) {
      const r = run(process.execPath, [tsc, "-p", config], project, 120_000);
      expect(`${config}: ${r.stdout}${r.stderr}`).toBe(`${config}: `);
      expect(r.status).toBe(0);
    }
  });

  it("Deno runs `npm:bnlab` on the WebAssembly kernels and prints Node's number", () => {
    const body = (specifier: string): string => `import { FullyConnectedNet, RandomState, getKernelPath } from "${specifier}";
const rng = new RandomState(0);
const net = new FullyConnectedNet({ hiddenDims: [64, 64], normalization: "batchnorm", rng });
const scores = net.scores(rng.randn(50, 3072));
let sum = 0;
for (const v of scores.data) sum += v;
console.log(JSON.stringify({ kernelPath: getKernelPath(), sum }));
`;
    writeFileSync(join(project, "deno-forward.ts"), body("npm:bnlab"));
    writeFileSync(join(project, "node-forward.mjs"), body("bnlab"));
    const deno = join(repoRoot, "node_modules", ".bin", "deno");
    // --node-modules-dir=manual: npm: specifiers resolve in the project's node_modules (the tarball
    // npm installed), not in Deno's own download of the registry's bnlab. No permission flags.
    const r = run(deno, ["run", "--node-modules-dir=manual", "deno-forward.ts"], project, 120_000, cleanEnv({ DENO_DIR: join(work, "deno-dir"), DENO_NO_UPDATE_CHECK: "1" }));
    expect(r.status, r.stderr).toBe(0);
    const fromDeno = JSON.parse(r.stdout) as { kernelPath: string; sum: number };
    const fromNode = JSON.parse(ok(run(process.execPath, ["node-forward.mjs"], project, 60_000), "node node-forward.mjs")) as typeof fromDeno;
    expect(fromDeno.kernelPath).toMatch(/^wasm-/);
    expect(Number.isFinite(fromDeno.sum)).toBe(true);
    expect(fromDeno.sum).not.toBe(0);
    expect(fromDeno).toEqual(fromNode);
  });

  const chrome = chromiumPath();
  it.skipIf(chrome === null)("a page bundled by vite from `bnlab` runs a training step in chromium", async () => {
    const page = join(project, "page");
    mkdirSync(page);
    writeFileSync(join(page, "index.html"), `<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>\n`);
    writeFileSync(
      join(page, "main.js"),
      `import { FullyConnectedNet, RandomState, Solver, getKernelPath, syntheticCifar } from "bnlab";
try {
  const data = syntheticCifar({ numTrain: 100, numVal: 50, numTest: 10, seed: 0 });
  const rng = new RandomState(231);
  const model = new FullyConnectedNet({ hiddenDims: [50, 50], normalization: "batchnorm", weightScale: 5e-2, rng });
  const solver = new Solver(model, data, { updateRule: "adam", optimConfig: { learningRate: 1e-3 }, batchSize: 50, numEpochs: 1, rng });
  solver.step();
  globalThis.result = { loss: solver.lossHistory[0], kernelPath: getKernelPath() };
} catch (err) {
  globalThis.result = { error: String(err && err.stack || err) };
}
`,
    );
    const { build } = await import("vite");
    const warnings: string[] = [];
    await build({
      root: page,
      configFile: false,
      logLevel: "silent",
      base: "./",
      customLogger: {
        info: () => {}, warnOnce: (m: string) => void warnings.push(m), warn: (m: string) => void warnings.push(m),
        error: (m: string) => void warnings.push(m), clearScreen: () => {}, hasErrorLogged: () => false, hasWarned: false,
      },
      build: { outDir: join(page, "dist"), emptyOutDir: true, target: "es2022", reportCompressedSize: false },
    });
    // A Node module in the graph would be replaced by vite's browser stub, with a warning.
    expect(warnings.filter((w) => /externalized for browser|node:/.test(w))).toEqual([]);

    const dist = join(page, "dist");
    const types: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css" };
    const server: Server = createServer((req, res) => {
      const path = join(dist, decodeURIComponent((req.url ?? "/").split("?")[0]!) === "/" ? "index.html" : decodeURIComponent(req.url!.split("?")[0]!));
      if (!path.startsWith(dist) || !existsSync(path)) return void res.writeHead(404).end();
      res.writeHead(200, { "content-type": types[extname(path)] ?? "application/octet-stream" }).end(readFileSync(path));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const browser = await chromium.launch({ executablePath: chrome!, args: chromiumArgs, headless: true });
    try {
      const tab = await browser.newPage();
      const errors: string[] = [];
      tab.on("pageerror", (e) => errors.push(String(e)));
      await tab.goto(`http://127.0.0.1:${port}/`);
      await tab.waitForFunction(() => "result" in globalThis, undefined, { timeout: 60_000 });
      const result = (await tab.evaluate(() => (globalThis as unknown as { result: unknown }).result)) as { loss?: number; kernelPath?: string; error?: string };
      expect(result.error).toBeUndefined();
      expect(errors).toEqual([]);
      expect(Number.isFinite(result.loss)).toBe(true);
      expect(result.loss!).toBeGreaterThan(0);
      // The kernels instantiate synchronously from embedded bytes, on a page's main thread too.
      expect(result.kernelPath).toBe("wasm-simd");
    } finally {
      await browser.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
