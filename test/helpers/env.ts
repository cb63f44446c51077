/**
 * Where tests find the CIFAR-10 sample and a browser, and how they skip when one
 * is missing. CI sets BNLAB_REQUIRE_SAMPLE / BNLAB_REQUIRE_BROWSER so that a
 * missing resource fails there instead of skipping.
 */
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The CIFAR-10 sample folder (holding cifar-10-batches-bin/ and cifar-10-batches-py/), or null. */
export function samplePath(): string | null {
  const dir = process.env.BNLAB_CIFAR_SAMPLE ?? join(repoRoot, "..", "shared", "data", "cifar-10-sample");
  if (existsSync(join(dir, "cifar-10-batches-bin")) && existsSync(join(dir, "cifar-10-batches-py"))) return dir;
  if (process.env.BNLAB_REQUIRE_SAMPLE === "1") {
    throw new Error(`BNLAB_REQUIRE_SAMPLE=1 but the CIFAR-10 sample is missing at ${dir}`);
  }
  console.warn(`[bnlab tests] CIFAR-10 sample not found at ${dir}: tests that need it are skipped (set BNLAB_CIFAR_SAMPLE).`);
  return null;
}

/** Path of a Chromium executable, or null (tests that need a browser then skip). */
export function chromiumPath(): string | null {
  const candidates = [process.env.BNLAB_CHROMIUM, "/usr/bin/chromium", "/usr/bin/chromium-browser"].filter(
    (p): p is string => typeof p === "string" && p.length > 0,
  );
  for (const p of candidates) if (existsSync(p)) return p;
  if (process.env.BNLAB_REQUIRE_BROWSER === "1") throw new Error("BNLAB_REQUIRE_BROWSER=1 but no chromium was found");
  console.warn("[bnlab tests] chromium not found: browser tests are skipped (apt-get install chromium).");
  return null;
}

/** Launch flags that work as root on a closed network (see docs/ARCHITECTURE.md). */
export const chromiumArgs = [
  "--headless=new",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/**
 * Opens a report file (file: URL) in a new page of `browser`, recording console errors and
 * warnings, page errors and every request that is not for a local file.
 */
export async function openReportPage(
  browser: Browser,
  file: string,
): Promise<{ page: Page; errors: string[]; requests: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1100, height: 900 } });
  const errors: string[] = [];
  const requests: string[] = [];
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(e.message));
  page.on("request", (r) => {
    if (!r.url().startsWith("file:")) requests.push(r.url());
  });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  return { page, errors, requests };
}

/** The error `p` rejects with; throws when it resolves. */
export async function failure(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected the promise to reject");
}

/**
 * Runs `node argv…` in the repository and kills it with SIGKILL as soon as `ready()` holds (polled
 * every 5 ms) or it exits by itself; resolves with the signal that ended it (null: it exited).
 */
export async function killWhen(argv: string[], ready: () => boolean): Promise<NodeJS.Signals | null> {
  // NOTE: one process (tsx's own CLI would run the program in a child that SIGKILL does not reach).
  const child = spawn(process.execPath, argv, { stdio: "ignore", cwd: repoRoot });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_c, signal) => resolve(signal)));
  while (!ready() && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
  child.kill("SIGKILL");
  return exited;
}
