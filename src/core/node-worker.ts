/**
 * Starts a worker thread on one of bnlab's modules, from source or compiled.
 *
 * Workers must run TypeScript when bnlab runs from source (tsx, vitest): the
 * worker is started from a small bootstrap that registers tsx's loader first
 * when the entry is a .ts file; from compiled JavaScript it imports directly.
 * Node only.
 */
import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker, type TransferListItem } from "node:worker_threads";

// NOTE: evaluated as CommonJS in the worker; `import()` loads the ES module entry.
const BOOTSTRAP = `
const { workerData } = require("node:worker_threads");
(async () => {
  if (workerData.tsxApi !== null) {
    const api = await import(workerData.tsxApi);
    (api.register ?? api.default.register)();
  }
  await import(workerData.entry);
})().catch((err) => { setImmediate(() => { throw err; }); });
`;

/**
 * A worker running `entry` (a path relative to `from`, the caller's import.meta.url,
 * without extension: ".ts" is added when the caller runs from source, ".js" otherwise).
 * `data` arrives in the worker as `workerData.init`.
 */
export function startModuleWorker(from: string, entry: string, data: unknown, transferList: TransferListItem[] = []): Worker {
  const fromSource = from.endsWith(".ts");
  const url = new URL(`${entry}${fromSource ? ".ts" : ".js"}`, from).href;
  let tsxApi: string | null = null;
  if (fromSource) {
    // NOTE: require.resolve gives the CommonJS build of tsx's API; its register()
    // resolves its loader wrongly from a worker, so the sibling ES module build is used.
    const cjs = createRequire(from).resolve("tsx/esm/api");
    tsxApi = pathToFileURL(cjs.replace(/\.cjs$/, ".mjs")).href;
  }
  return new Worker(BOOTSTRAP, { eval: true, workerData: { entry: url, tsxApi, init: data }, transferList });
}
