/**
 * The playground's Implement tab in chromium: a correct implementation put into
 * the editor passes every check; a broken one fails with its diagnosis; an endless
 * loop is stopped at the time limit while the other checks still run; "Train with
 * my layers" trains the Train tab's two networks with the learner's batch norm
 * (the right network's losses follow the learner's code, the left's do not change).
 */
import { join } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildWeb, webBuildIsStale } from "../cli/commands/serve.js";
import { startServer, type RunningServer } from "../cli/server.js";
import { chromiumArgs, chromiumPath, repoRoot } from "./helpers/env.js";
import { BUGS, INFINITE_LOOP, SOLUTION, withEdits } from "./helpers/exercise-bugs.js";

const chrome = chromiumPath();

interface PageDebug {
  implement(): { setSource(s: string): void; source(): string; busy: boolean; results: { id: string; status: string; diagnosis: { cause: string | null } | null }[] };
  runs(): { lossHistory: number[]; state: string }[];
  settled: boolean;
}

describe.skipIf(chrome === null)("the Implement tab", () => {
  let browser: Browser;
  let host: RunningServer;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    if (webBuildIsStale(repoRoot)) await buildWeb(repoRoot);
    host = await startServer({ webRoot: join(repoRoot, "web", "dist"), binDir: null, port: 0, host: "127.0.0.1" });
    browser = await chromium.launch({ executablePath: chrome!, args: chromiumArgs, headless: true });
    page = await browser.newPage({ viewport: { width: 1400, height: 950 } });
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${host.url}?tab=implement&depth=2&width=16&epochs=1&ntrain=200&batch=50&seed=7`);
    await page.waitForSelector("#impl-editor .cm-content");
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await host?.close();
  });

  type Results = ReturnType<PageDebug["implement"]>["results"];

  async function check(source: string, limitSeconds = 20): Promise<Results> {
    await page.fill("#impl-limit", String(limitSeconds));
    await page.evaluate((s) => (globalThis as unknown as { bnlab: PageDebug }).bnlab.implement().setSource(s), source);
    await page.click("#impl-check");
    await page.waitForFunction(() => !(globalThis as unknown as { bnlab: PageDebug }).bnlab.implement().busy && document.querySelectorAll("#impl-results li").length > 0, undefined, { timeout: 90_000 });
    return page.evaluate(() => (globalThis as unknown as { bnlab: PageDebug }).bnlab.implement().results);
  }

  it("starts with the JavaScript starter, line numbers and highlighting; Check says not implemented", async () => {
    const starter = await page.evaluate(() => (globalThis as unknown as { bnlab: PageDebug }).bnlab.implement().source());
    expect(starter).toContain("export function batchnormForward(x, gamma, beta, bnParam) {");
    expect(await page.locator("#impl-editor .cm-lineNumbers").count()).toBe(1);
    expect(await page.locator("#impl-editor .cm-content span").count()).toBeGreaterThan(50);
    const results = await check(starter);
    expect(results).toHaveLength(17);
    expect(results.every((r) => r.status === "not implemented")).toBe(true);
  });

  it("a correct implementation passes every check", async () => {
    const results = await check(SOLUTION);
    expect(results).toHaveLength(17);
    for (const r of results) expect(r.status, r.id).toBe("pass");
    expect(await page.textContent("#impl-status")).toMatch(/17 passed, 0 failed, 0 not implemented/);
  });

  it("a broken one fails with its diagnosis, shown under the check", async () => {
    const results = await check(withEdits(BUGS["mean branch missing from the staged backward"]!.edits));
    const cell3 = results.find((r) => r.id === "cell3")!;
    expect(cell3.status).toBe("fail");
    expect(await page.textContent('#impl-results li[data-id="cell3"]')).toMatch(/likely cause: the branch through the mean is missing/);
    expect(results.find((r) => r.id === "cell3-alt")!.status).toBe("pass");
    await page.screenshot({ path: "/tmp/bnlab-implement.png", fullPage: false });
  });

  it("an endless loop in batchnormBackward is stopped at the time limit; the other checks still run", async () => {
    const results = await check(INFINITE_LOOP, 2);
    expect(results.find((r) => r.id === "cell3")!.status).toBe("timeout");
    expect(await page.textContent('#impl-results li[data-id="cell3"]')).toMatch(/stopped after 2\.0 s/);
    expect(results.find((r) => r.id === "cell3-alt")!.status).toBe("pass");
    expect(results.find((r) => r.id === "forward-reference")!.status).toBe("pass");
    expect(results).toHaveLength(17);
  });

  it("a syntax error gets a marker in the gutter", async () => {
    await page.evaluate(() => (globalThis as unknown as { bnlab: PageDebug }).bnlab.implement().setSource("export function batchnormForward(x {\n}\n"));
    await page.waitForSelector("#impl-editor .cm-lint-marker-error", { timeout: 10_000 });
  });

  async function train(source: string | null): Promise<number[][]> {
    if (source === null) {
      await page.click("#tab-train");
      await page.click("#start");
    } else {
      await page.click("#tab-implement");
      await page.evaluate((s) => (globalThis as unknown as { bnlab: PageDebug }).bnlab.implement().setSource(s), source);
      await page.click("#impl-train");
    }
    await page.waitForFunction(() => {
      const b = (globalThis as unknown as { bnlab: PageDebug }).bnlab;
      return b.settled && b.runs().length === 2 && b.runs().every((r) => r.state === "done");
    }, undefined, { timeout: 90_000 });
    return page.evaluate(() => (globalThis as unknown as { bnlab: PageDebug }).bnlab.runs().map((r) => r.lossHistory));
  }

  it("Train with my layers trains the two networks with the learner's batch norm", async () => {
    const bnlabRun = await train(null);
    const mine = await train(SOLUTION);
    expect(await page.textContent("#title-b")).toMatch(/\(your layers\)/);
    const buggy = await train(withEdits(BUGS["unbiased (N - 1) variance"]!.edits));
    for (const runs of [bnlabRun, mine, buggy]) {
      expect(runs[0]!.length).toBe(4);
      expect(runs.flat().every(Number.isFinite)).toBe(true);
    }
    // Left: no normalization, the same run every time. Right: the learner's batch norm.
    expect(mine[0]).toEqual(bnlabRun[0]);
    expect(buggy[0]).toEqual(bnlabRun[0]);
    const rel = (a: number[], b: number[]): number => Math.max(...a.map((x, i) => Math.abs(x - b[i]!) / Math.abs(b[i]!)));
    expect(rel(mine[1]!, bnlabRun[1]!)).toBeLessThan(1e-4);
    expect(rel(buggy[1]!, bnlabRun[1]!)).toBeGreaterThan(1e-6);
    expect(errors).toEqual([]);
  });
});
