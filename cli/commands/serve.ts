/**
 * `bnlab serve`: the browser playground on 127.0.0.1, with the CIFAR-10 files of a
 * data folder served read-only. Builds the page into web/dist first when it is
 * missing or older than its sources.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "commander";
import pc from "picocolors";
import { BnlabError, OptionError } from "../../src/node.js";
import { resolveDataDir, withFileLock } from "../../src/node.js";
import { pathOption } from "../options.js";
import { checkListenable, listServedFiles, startServer, type RunningServer } from "../server.js";

/**
 * The package root: the nearest folder above this file holding web/vite.config.ts (a
 * clone) or a built web/dist/index.html (the installed package, which ships the page built).
 */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, "web", "vite.config.ts")) || existsSync(join(dir, "web", "dist", "index.html"))) return dir;
    dir = dirname(dir);
  }
  throw new Error("cannot find the bnlab project root (web/vite.config.ts) above cli/commands/serve.ts");
}

function newestMtime(path: string): number {
  let st;
  try {
    st = statSync(path);
  } catch {
    return 0;
  }
  if (!st.isDirectory()) return st.mtimeMs;
  let newest = st.mtimeMs;
  for (const name of readdirSync(path)) newest = Math.max(newest, newestMtime(join(path, name)));
  return newest;
}

/** True when web/dist is missing or older than the page's or the library's sources. */
export function webBuildIsStale(root: string): boolean {
  const index = join(root, "web", "dist", "index.html");
  if (!existsSync(index)) return true;
  const built = statSync(index).mtimeMs;
  const sources = ["web/src", "web/index.html", "web/vite.config.ts", "src"].map((p) => newestMtime(join(root, p)));
  return Math.max(...sources) > built;
}

/**
 * Builds the page with vite into a temporary folder, then moves it to web/dist,
 * so a half-written build is never served. One build at a time per clone (a lock file
 * under node_modules/.cache): a second caller waits for the first, then builds only if
 * web/dist is still stale (or `force`), so it never swaps web/dist under a server that
 * another process started on the first build.
 */
export async function buildWeb(root: string, log: (line: string) => void = () => {}, force = false): Promise<string> {
  const dist = join(root, "web", "dist");
  // NOTE: the temporary build lives under node_modules/.cache (git-ignored, same file system
  // as web/, so the final rename is atomic).
  const cache = join(root, "node_modules", ".cache");
  mkdirSync(cache, { recursive: true });
  return withFileLock(join(cache, "bnlab-web.lock"), async () => {
    if (!force && !webBuildIsStale(root)) return dist;
    await buildInto(root, dist, cache, log);
    return dist;
  }, { onWait: () => log("waiting for another build of the playground to finish …") });
}

async function buildInto(root: string, dist: string, cache: string, log: (line: string) => void): Promise<void> {
  const tmp = mkdtempSync(join(cache, "bnlab-web-"));
  log("building the playground into web/dist …");
  try {
    let build: typeof import("vite").build;
    try {
      ({ build } = await import("vite"));
    } catch {
      throw new BnlabError("the playground is not built (web/dist) and vite, which builds it, is not installed: run `npm ci` and `npm run build:web` in a bnlab checkout");
    }
    await build({ configFile: join(root, "web", "vite.config.ts"), logLevel: "warn", build: { outDir: tmp, emptyOutDir: true } });
    const old = `${dist}.old-${process.pid}`;
    if (existsSync(dist)) renameSync(dist, old);
    try {
      renameSync(tmp, dist);
    } catch (err) {
      // Another process finished its build first: use that one.
      if (!existsSync(join(dist, "index.html"))) throw err;
    }
    rmSync(old, { recursive: true, force: true });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/**
 * The folder holding the binary CIFAR files for `--data DIR`: DIR/cifar-10-batches-bin
 * (the layout of the official archive) or DIR itself.
 */
export function resolveBinDir(dir: string): string {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new OptionError("--data", "an existing folder", dir);
  for (const candidate of [join(abs, "cifar-10-batches-bin"), abs]) {
    if (listServedFiles(candidate).some((f) => f.name.endsWith(".bin"))) return candidate;
  }
  throw new OptionError("--data", "a folder holding cifar-10-batches-bin/ or data_batch_1.bin … test_batch.bin", dir);
}

/**
 * Without --data: the binary CIFAR-10 folder of the usual resolution order
 * (BNLAB_DATA, then the cache), or null when there is none to serve file by file.
 */
function defaultBinDir(): string | null {
  try {
    const found = resolveDataDir({ layout: "cifar10-bin" });
    if (found === null || found.location.archive || found.location.kind !== "cifar10-bin") return null;
    return listServedFiles(found.location.path).length > 0 ? found.location.path : null;
  } catch {
    return null;
  }
}

interface ServeFlags {
  data?: string;
  synthetic?: boolean;
  port: string;
  host: string;
  rebuild?: boolean;
  build: boolean;
}

function parsePort(s: string): number {
  const n = Number(s);
  if (!/^\d+$/.test(s) || n > 65535) throw new OptionError("--port", "an integer from 0 to 65535", s);
  return n;
}

/** Waits for Ctrl-C (SIGINT) or SIGTERM, then closes the server. */
function untilInterrupted(server: RunningServer): Promise<void> {
  return new Promise((done) => {
    const stop = (): void => {
      process.off("SIGINT", stop);
      process.off("SIGTERM", stop);
      process.stdout.write("\nstopping the playground server\n");
      void server.close().then(done);
    };
    process.on("SIGINT", stop);
    process.on("SIGTERM", stop);
  });
}

export function register(program: Command): void {
  program
    .command("serve")
    .description("serve the browser playground (127.0.0.1 only unless --host says otherwise)")
    .option("--data <dir>", "CIFAR-10 folder to offer the page (cifar-10-batches-bin/ or the .bin files)", pathOption("--data"))
    .option("--synthetic", "offer only the synthetic data set")
    .option("--port <n>", "port to listen on (0 picks a free one)", "5173")
    .option("--host <addr>", "address to bind", "127.0.0.1")
    .option("--rebuild", "rebuild web/dist even when it looks current")
    .option("--no-build", "never build; serve web/dist as it is")
    .action(async (flags: ServeFlags) => {
      if (flags.data !== undefined && flags.synthetic) throw new OptionError("--data/--synthetic", "at most one of them", "both");
      const port = parsePort(flags.port);
      const binDir = flags.data !== undefined ? resolveBinDir(flags.data) : flags.synthetic ? null : defaultBinDir();
      const root = projectRoot();
      const log = (line: string): void => void process.stdout.write(`${line}\n`);
      if (flags.rebuild || (flags.build && webBuildIsStale(root))) {
        await checkListenable(flags.host, port); // a taken port fails now, not after the build
        await buildWeb(root, log, flags.rebuild === true);
      }
      const server = await startServer({ webRoot: join(root, "web", "dist"), binDir, synthetic: flags.synthetic === true, port, host: flags.host });
      const files = listServedFiles(flags.synthetic ? null : binDir);
      log(`${pc.bold("bnlab playground")} at ${pc.cyan(server.url)}`);
      log(
        files.length > 0
          ? `serving ${files.length} CIFAR-10 file(s) from ${binDir} read-only`
          : "no CIFAR-10 data served (no --data, and no binary-layout CIFAR-10 in BNLAB_DATA or the cache): the page offers the synthetic set and a file picker",
      );
      if (!["127.0.0.1", "localhost", "::1"].includes(flags.host)) {
        log(pc.yellow(`note: --host ${flags.host} makes the playground and the served data reachable from other machines`));
      }
      log("press Ctrl-C to stop");
      await untilInterrupted(server);
    });
}
