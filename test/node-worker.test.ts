/**
 * startModuleWorker from source (src/core/node-worker.ts): the entry runs from one esbuild
 * bundle written under node_modules/.cache/bnlab-workers (no tsx loader in the worker), gets
 * its `workerData.init`, and imports bare packages as the sources do; a later process reuses the
 * bundle while its sources are unchanged (the manifest beside it). The sweep, study,
 * background-check and exercise suites check that the workers' results equal the inline ones.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { bundleEntryFile, startModuleWorker } from "../src/core/node-worker.js";
import { repoRoot } from "./helpers/env.js";

const cache = join(repoRoot, "node_modules", ".cache", "bnlab-workers");
// NOTE: under node_modules (ignored by git and by the tests that scan the tree), where the bare
// import of the probe entry resolves as from the sources.
mkdirSync(join(repoRoot, "node_modules", ".cache"), { recursive: true });
const scratch = mkdtempSync(join(repoRoot, "node_modules", ".cache", "bnlab-test-worker-"));
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
  for (const f of readdirSync(cache)) if (f.startsWith(`${basename(scratch)}-`)) rmSync(join(cache, f), { force: true });
});

function reply(w: ReturnType<typeof startModuleWorker>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    w.once("message", (m) => {
      void w.terminate();
      resolve(m);
    });
    w.once("error", reject);
  });
}

describe("startModuleWorker from source", () => {
  it("runs a TypeScript entry from a bundle, with its init data and bare imports", async () => {
    // An entry of our own beside a module it imports (TypeScript syntax) and a package (zod).
    writeFileSync(join(scratch, "helper.ts"), "export const twice = (x: number): number => 2 * x;\n");
    writeFileSync(
      join(scratch, "probe-entry.ts"),
      [
        'import { parentPort, workerData } from "node:worker_threads";',
        'import { z } from "zod";',
        'import { twice } from "./helper.js";',
        "const init = (workerData as { init: { x: number } }).init;",
        "parentPort!.postMessage({ y: twice(z.number().parse(init.x)), url: import.meta.url });",
      ].join("\n"),
    );
    const from = pathToFileURL(join(scratch, "caller.ts")).href;
    const m = (await reply(startModuleWorker(from, "./probe-entry", { x: 21 }))) as { y: number; url: string };
    expect(m.y).toBe(42);
    // It ran from the bundle, not from the .ts file through a loader.
    expect(m.url.startsWith(pathToFileURL(cache).href)).toBe(true);
    expect(m.url).toMatch(new RegExp(`${basename(scratch)}-probe-entry-[0-9a-f]{16}\\.mjs$`));
    expect(existsSync(new URL(m.url))).toBe(true);
    // Only finished bundles are left in the folder (temporaries are renamed into place).
    expect(readdirSync(cache).filter((f) => /\.tmp-\d+-/.test(f))).toEqual([]);
  });

  it("the same entry started twice in one process is bundled once", async () => {
    const from = pathToFileURL(join(scratch, "caller.ts")).href;
    const a = (await reply(startModuleWorker(from, "./probe-entry", { x: 1 }))) as { url: string };
    const b = (await reply(startModuleWorker(from, "./probe-entry", { x: 2 }))) as { url: string; y: number };
    expect(b.url).toBe(a.url);
    expect(b.y).toBe(4);
  });

  it("a bundle deleted under a running process is made again; stale bundles of an entry are pruned", async () => {
    writeFileSync(join(scratch, "prune-entry.ts"), 'import { parentPort } from "node:worker_threads";\nparentPort!.postMessage({ url: import.meta.url });\n');
    const from = pathToFileURL(join(scratch, "caller.ts")).href;
    // A bundle of the same entry from two days ago (an earlier version of the sources), and a
    // temporary left by a killed process; a recent bundle of the same entry must stay.
    const prefix = `${basename(scratch)}-prune-entry`;
    const stale = join(cache, `${prefix}-0000000000000000.mjs`);
    const recent = join(cache, `${prefix}-1111111111111111.mjs`);
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid!;
    const temp = join(cache, `${prefix}-2222222222222222.mjs.tmp-${gone}-x`);
    for (const f of [stale, recent, temp]) writeFileSync(f, "export {};\n");
    const old = (Date.now() - 2 * 24 * 3600 * 1000) / 1000;
    utimesSync(stale, old, old);
    const a = (await reply(startModuleWorker(from, "./prune-entry", null))) as { url: string };
    expect(existsSync(stale)).toBe(false);
    expect(existsSync(temp)).toBe(false);
    expect(existsSync(recent)).toBe(true);
    unlinkSync(recent);
    // Another process pruned this process's bundle: the next worker makes it again.
    unlinkSync(new URL(a.url));
    const b = (await reply(startModuleWorker(from, "./prune-entry", null))) as { url: string };
    expect(b.url).toBe(a.url);
    expect(existsSync(new URL(b.url))).toBe(true);
  });

  it("a bundle is reused while its sources are unchanged, and built again when one of them changes", async () => {
    const helper = join(scratch, "reuse-helper.ts");
    writeFileSync(helper, "export const k: number = 1;\n");
    writeFileSync(join(scratch, "reuse-entry.ts"), 'import { parentPort } from "node:worker_threads";\nimport { k } from "./reuse-helper.js";\nparentPort!.postMessage({ k });\n');
    // Sources written just before a build get no manifest (they may have changed during it).
    const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 250));
    await settle();
    const from = pathToFileURL(join(scratch, "caller.ts")).href;
    const url = new URL("./reuse-entry.ts", from).href;
    const a = bundleEntryFile(from, url)!;
    expect(a.built).toBe(true);
    const b = bundleEntryFile(from, url)!;
    expect(b).toEqual({ file: a.file, built: false });
    writeFileSync(helper, "export const k: number = 2;\n");
    const c = bundleEntryFile(from, url)!;
    expect(c.built).toBe(true);
    expect(c.file.href).not.toBe(a.file.href);
    // The helper was written just now: no manifest yet, so it is built again until the sources settle.
    expect(bundleEntryFile(from, url)!.built).toBe(true);
    await settle();
    expect(bundleEntryFile(from, url)!.built).toBe(true);
    expect(bundleEntryFile(from, url)).toEqual({ file: c.file, built: false });
    // A worker of this entry runs the reused bundle, with the new helper.
    const m = (await reply(startModuleWorker(from, "./reuse-entry", null))) as { k: number };
    expect(m.k).toBe(2);
    // A deleted bundle is not reused from its manifest.
    unlinkSync(fileURLToPath(c.file));
    expect(bundleEntryFile(from, url)!.built).toBe(true);
  });

  it("a worker's error in its entry reaches the caller", async () => {
    writeFileSync(join(scratch, "bad-entry.ts"), 'throw new Error("bad entry on purpose");\n');
    const from = pathToFileURL(join(scratch, "caller.ts")).href;
    await expect(reply(startModuleWorker(from, "./bad-entry", null))).rejects.toThrow(/bad entry on purpose/);
  });
});
