/**
 * The playground end to end: `bnlab serve` with the CIFAR-10 sample, the page in
 * Debian's chromium (playwright-core), a short training, URL settings, the same
 * loss history as Node, and path traversal against the real server.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { request } from "node:http";
import { join } from "node:path";
import { chromium, type Browser, type ConsoleMessage, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { syntheticCifar } from "../src/data/synthetic.js";
import { sweepExperiment } from "../src/experiments/sweep.js";
import type { SweepPoint } from "../src/experiments/types.js";
import { startServer } from "../cli/server.js";
import { sweepOptions } from "../web/src/sweep.js";
import { chromiumArgs, chromiumPath, repoRoot, samplePath } from "./helpers/env.js";
import { useKernels } from "../web/src/kernels.js";
import { parseSettings } from "../web/src/state.js";

interface ServeProcess {
  url: string;
  child: ChildProcess;
  output: () => string;
  stop(): Promise<number | null>;
}

/** Runs `bnlab serve --port 0 …args` (through tsx, in one process) and waits for the URL it prints. */
function startServe(args: string[], timeoutMs = 90_000): Promise<ServeProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", join(repoRoot, "cli", "main.ts"), "serve", "--port", "0", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const stop = (): Promise<number | null> =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve(child.exitCode);
      child.once("exit", (code) => resolve(code));
      child.kill("SIGINT");
    });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      void stop();
      reject(new Error(`bnlab serve printed no URL within ${timeoutMs} ms:\n${out}`));
    }, timeoutMs);
    const onData = (): void => {
      const m = /at (http:\/\/127\.0\.0\.1:\d+\/)/.exec(out.replace(/\x1b\[[0-9;]*m/g, ""));
      if (!m) return;
      clearTimeout(timer);
      child.stdout!.off("data", onData);
      resolve({ url: m[1]!, child, output: () => out, stop });
    };
    child.stdout!.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bnlab serve exited with ${code} before printing its URL:\n${out}`));
    });
  });
}

function rawGet(url: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("latin1") }));
    });
    req.on("error", reject);
    req.end();
  });
}

const sample = samplePath();
const chrome = chromiumPath();

describe.skipIf(sample === null)("bnlab serve with the CIFAR-10 sample", () => {
  let serve: ServeProcess;
  let browser: Browser | null = null;

  beforeAll(async () => {
    serve = await startServe(["--data", sample!]);
    if (chrome !== null) browser = await chromium.launch({ executablePath: chrome, args: chromiumArgs, headless: true });
  });

  afterAll(async () => {
    await browser?.close();
    const code = await serve?.stop();
    // Ctrl-C (SIGINT) shuts the server down cleanly, with exit code 0.
    expect(code).toBe(0);
    expect(serve.output()).toContain("stopping the playground server");
  });

  it("refuses path traversal and serves only the allow-listed data", async () => {
    const ok = await rawGet(serve.url, "/data/data_batch_1.bin");
    expect(ok.status).toBe(200);
    expect(ok.body.length).toBe(readFileSync(join(sample!, "cifar-10-batches-bin", "data_batch_1.bin")).length);
    const outside = [
      "/../package.json",
      "/data/../../package.json",
      "/data/..%2f..%2fREADME.md",
      "/data/%2e%2e/%2e%2e/README.md",
      "/data/%252e%252e/README.md",
      "/data/..\\README.md",
      "/data/batches.meta.txt/../../README.md",
      "/data/../cifar-10-batches-py/data_batch_1",
      "/data/%2e%2e%2fcifar-10-batches-py%2fdata_batch_1",
      "/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
      "/..%2f..%2f..%2fetc%2fpasswd",
      "/data/" + encodeURIComponent("/etc/passwd"),
      "/assets/../../../cli/server.ts",
      "/src/core/errors.ts",
    ];
    for (const p of outside) {
      const r = await rawGet(serve.url, p);
      expect([400, 404], p).toContain(r.status);
      expect(r.body).not.toContain("root:");
      expect(r.body).not.toContain("bnlab");
    }
  });

  describe.skipIf(chrome === null)("the page in chromium", () => {
    async function open(query: string): Promise<{ page: Page; errors: string[] }> {
      const page = await browser!.newPage({ viewport: { width: 1400, height: 1100 } });
      const errors: string[] = [];
      page.on("console", (m: ConsoleMessage) => {
        if (m.type() === "error") errors.push(m.text());
      });
      page.on("pageerror", (e) => errors.push(String(e)));
      await page.goto(`${serve.url}${query}`);
      await page.waitForFunction(() => "bnlab" in globalThis);
      return { page, errors };
    }

    /** Waits until both runs say "done"; on timeout, fails with the page's status line and console errors. */
    async function bothDone(page: Page, errors: readonly string[], timeout: number): Promise<void> {
      try {
        await page.waitForFunction(() => /left: done.*right: done/.test(document.getElementById("status")?.textContent ?? ""), undefined, { timeout });
      } catch (e) {
        const status = await page.textContent("#status").catch(() => "(unreadable)");
        throw new Error(`both runs not done after ${timeout} ms; status: ${JSON.stringify(status)}; console errors: ${JSON.stringify(errors)} (${String(e).split("\n")[0]})`);
      }
    }

    it("shows the settings of the URL in the controls", async () => {
      const { page, errors } = await open("?depth=3&width=64&scale=0.001&a=layernorm&b=batchnorm&opt=sgdMomentum&lr=0.05&batch=32&epochs=4&ntrain=500&seed=7&tab=sweep&scales=6");
      const values = await page.evaluate(() =>
        Object.fromEntries(
          ["depth", "width", "normA", "normB", "optimizer", "lr", "batch", "epochs", "ntrain", "seed", "scales"].map((id) => [
            id,
            (document.getElementById(id) as HTMLInputElement).value,
          ]),
        ),
      );
      expect(values).toEqual({
        depth: "3",
        width: "64",
        normA: "layernorm",
        normB: "batchnorm",
        optimizer: "sgdMomentum",
        lr: "0.05",
        batch: "32",
        epochs: "4",
        ntrain: "500",
        seed: "7",
        scales: "6",
      });
      expect(await page.textContent("#scale-out")).toBe("0.001");
      expect(await page.getAttribute("#tab-sweep", "aria-selected")).toBe("true");
      expect(await page.isHidden("#panel-train")).toBe(true);
      expect(await page.evaluate(() => (globalThis as unknown as { bnlab: { isolated: boolean } }).bnlab.isolated)).toBe(true);
      expect(errors).toEqual([]);
      await page.close();
    });

    it("trains both networks live: the iteration counter advances and the loss chart gains points", async () => {
      const { page, errors } = await open("?depth=3&width=50&scale=0.02&epochs=2&ntrain=300&batch=25&seed=1");
      const marks = (): Promise<number> => page.evaluate(() => document.querySelectorAll("#chart-train .mark-symbol.concat_0_marks path").length);
      expect(await marks()).toBe(0);
      // Record every value the left counter shows.
      await page.evaluate(() => {
        const seen: number[] = [];
        (globalThis as unknown as { seen: number[] }).seen = seen;
        const counter = document.getElementById("counter-a")!;
        new MutationObserver(() => seen.push(Number(counter.dataset.iteration ?? 0))).observe(counter, { attributes: true, childList: true, subtree: true });
      });
      await page.click("#start");
      await bothDone(page, errors, 45_000);
      const seen = await page.evaluate(() => [...new Set((globalThis as unknown as { seen: number[] }).seen)]);
      // The counter advanced through several values (progress is posted at least at every accuracy check) and never went back.
      expect(seen.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
      expect([...seen].sort((a, b) => a - b)).toEqual(seen);
      // Both runs finished: 2 epochs of 300 / 25 = 12 iterations.
      expect(await page.getAttribute("#counter-a", "data-iteration")).toBe("24");
      expect(await page.getAttribute("#counter-b", "data-iteration")).toBe("24");
      await page.waitForFunction(() => (globalThis as unknown as { bnlab: { settled: boolean } }).bnlab.settled, undefined, { timeout: 20_000 });
      // One point per iteration and network in the loss panel.
      expect(await marks()).toBe(48);
      expect(await page.locator("#chart-stats svg").count()).toBe(1);
      mkdirSync(join(repoRoot, "test-artifacts"), { recursive: true });
      await page.screenshot({ path: join(repoRoot, "test-artifacts", "playground.png"), fullPage: true });
      expect(errors).toEqual([]);
      await page.close();
    });

    it("reports the page's training speed with the library's kernels (printed; no timing assertion)", async () => {
      // The notebook's six-layer shape on the sample's rows; both sides train at once, each in its worker.
      const { page, errors } = await open("?depth=6&width=100&a=none&b=batchnorm&epochs=2&ntrain=500&batch=50&seed=2");
      await page.click("#start");
      await bothDone(page, errors, 120_000);
      const runs = await page.evaluate(() =>
        (globalThis as unknown as {
          bnlab: { runs(): { side: string; itPerSec: number; seconds: number; iteration: number; message: string; kernel: string; resident: boolean }[] };
        }).bnlab
          .runs().map((r) => ({ side: r.side, itPerSec: r.itPerSec, seconds: r.seconds, iteration: r.iteration, message: r.message, kernel: r.kernel, resident: r.resident })),
      );
      const isolated = await page.evaluate(() => globalThis.crossOriginIsolated === true);
      for (const r of runs) {
        process.stdout.write(
          `playground ${r.side}: ${r.itPerSec.toFixed(1)} it/s, ${r.iteration} iterations in ${r.seconds.toFixed(2)} s (two runs at once, one worker each; kernels ${r.kernel}, weights ${r.resident ? "resident in shared WebAssembly memory" : "copied in and out"})\n`,
        );
        expect(r.iteration).toBe(20);
        expect(r.itPerSec).toBeGreaterThan(0);
        // The page is served cross-origin isolated, so its workers take Node's path: wasm-simd on a
        // shared memory, the weights resident (src/kernels/wasm.ts).
        expect(isolated).toBe(true);
        expect(r.kernel).toBe("wasm-simd");
        expect(r.resident).toBe(true);
      }
      expect(runs).toHaveLength(2);
      expect(errors).toEqual([]);
      await page.close();
    }, 180_000);

    it("pauses a run (the worker blocks on the shared control word), resumes it and resets", async () => {
      // 200 epochs of 10 iterations: long enough that the run cannot end before the pause lands
      // (with 50 epochs a fast machine finished all 500 iterations first).
      const { page, errors } = await open("?depth=2&width=20&epochs=200&ntrain=200&batch=20&seed=3");
      const iteration = async (): Promise<number> => Number(await page.getAttribute("#counter-a", "data-iteration"));
      await page.click("#start");
      await page.waitForFunction(() => Number(document.getElementById("counter-a")?.dataset.iteration ?? 0) > 5, undefined, { timeout: 30_000 });
      await page.click("#pause");
      expect(await page.textContent("#pause")).toBe("Resume");
      // Progress already posted may still arrive; after that the counter must stand still.
      await page.waitForTimeout(600);
      const held = await iteration();
      await page.waitForTimeout(800);
      expect(await iteration()).toBe(held);
      expect(held).toBeLessThan(2000);
      await page.click("#pause");
      await page.waitForFunction((n) => Number(document.getElementById("counter-a")?.dataset.iteration ?? 0) > n, held, { timeout: 30_000 });
      await page.click("#reset");
      expect(await iteration()).toBe(0);
      expect(await page.evaluate(() => (globalThis as unknown as { bnlab: { runs(): unknown[] } }).bnlab.runs().length)).toBe(0);
      expect(await page.textContent("#status")).toBe("Ready.");
      expect(errors).toEqual([]);
      await page.close();
    });

    it("gives the same loss history as `bnlab train --json` in Node for the same settings and seed", async () => {
      const query = "?depth=2&width=30&scale=0.05&a=none&b=batchnorm&epochs=1&ntrain=200&batch=20&seed=231&kernel=wasm-simd";
      const s = parseSettings(query.slice(1)).settings;
      const cli = (norm: string): Promise<{ runs: { lossHistory: number[]; valAccHistory: number[] }[] }> =>
        new Promise((resolve, reject) => {
          const out = mkdtempSync(join(tmpdir(), "bnlab-web-train-"));
          const args = ["--import", "tsx", join(repoRoot, "cli", "main.ts"), "train", "--data", sample!, "--hidden", "30,30", "--normalization", norm,
            "--weight-scale", String(s.weightScale), "--epochs", String(s.epochs), "--num-train", String(s.numTrain), "--batch-size", String(s.batchSize),
            "--update-rule", s.optimizer, "--lr", String(s.learningRate), "--seed", String(s.seed), "--out", out, "--json"];
          const child = spawn(process.execPath, args, { cwd: repoRoot, env: { ...process.env, BNLAB_KERNELS: "wasm-simd" }, stdio: ["ignore", "pipe", "pipe"] });
          let stdout = "";
          let stderr = "";
          child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
          child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
          child.on("exit", (code) => {
            rmSync(out, { recursive: true, force: true });
            if (code === 0) resolve(JSON.parse(stdout) as { runs: { lossHistory: number[]; valAccHistory: number[] }[] });
            else reject(new Error(`bnlab train exited with ${code}: ${stderr}`));
          });
        });
      const fromCli = Promise.all([cli(s.normA), cli(s.normB)]);
      const { page, errors } = await open(query);
      await page.click("#start");
      await bothDone(page, errors, 45_000);
      const inPage = await page.evaluate(() =>
        (globalThis as unknown as { bnlab: { runs(): { lossHistory: number[]; valAccHistory: number[] }[] } }).bnlab
          .runs()
          .map((r) => ({ loss: r.lossHistory, val: r.valAccHistory })),
      );
      expect(errors).toEqual([]);
      await page.close();

      const expected = await fromCli;
      expected.forEach((json, i) => {
        const run = json.runs[0]!;
        expect(inPage[i]!.loss).toHaveLength(10);
        expect(run.lossHistory).toHaveLength(10);
        // NOTE: the parameters follow the same path bit for bit (the accuracies, which depend on
        // them, are equal exactly); a reported loss may differ in its last bit because Chromium's
        // V8 and Node 20's compute Math.exp/Math.log of the softmax with different library versions.
        inPage[i]!.loss.forEach((l, k) => expect(Math.abs(l - run.lossHistory[k]!), `iteration ${k + 1}`).toBeLessThanOrEqual(1e-12 * Math.abs(l)));
        expect(inPage[i]!.val).toEqual(run.valAccHistory);
      });
    });

    it("works from a static host without data: synthetic sweep equal to Node's, and a chosen file", async () => {
      // The built page alone, as any static host would serve it: no /data, no config.
      const host = await startServer({ webRoot: join(repoRoot, "web", "dist"), binDir: null, port: 0, host: "127.0.0.1" });
      try {
        const page = await browser!.newPage();
        const errors: string[] = [];
        page.on("console", (m: ConsoleMessage) => void (m.type() === "error" && errors.push(m.text())));
        page.on("pageerror", (e) => errors.push(String(e)));
        const query = "?depth=2&width=12&epochs=1&ntrain=100&batch=50&seed=5&scales=3&tab=sweep&kernel=wasm-simd";
        await page.goto(`${host.url}${query}`);
        await page.waitForFunction(() => (document.getElementById("data") as HTMLSelectElement).value === "synthetic");
        expect(await page.evaluate(() => (document.querySelector('#data option[value="served"]') as HTMLOptionElement).disabled)).toBe(true);
        await page.click("#sweep-start");
        await page.waitForFunction(() => /6 \/ 6 trainings done/.test(document.getElementById("sweep-status")?.textContent ?? ""), undefined, { timeout: 45_000 });
        await page.waitForFunction(() => !(document.getElementById("sweep-start") as HTMLButtonElement).disabled);
        expect(await page.locator("#chart-sweep svg").count()).toBe(1);
        const points = await page.evaluate(() => (globalThis as unknown as { bnlab: { sweep: { points: SweepPoint[] } } }).bnlab.sweep.points);

        // The same sweep in Node, on the synthetic set the CLI draws for this seed.
        const s = parseSettings(query.slice(1)).settings;
        useKernels("wasm-simd");
        const data = syntheticCifar({ numTrain: 1000, numVal: 1000, numTest: 100, seed: s.seed });
        const expected = sweepExperiment(data, sweepOptions(s), s.seed).points;
        expect(points.map((p) => [p.normalization, p.runSeed, p.bestValAcc, p.bestTrainAcc])).toEqual(
          expected.map((p) => [p.normalization, p.runSeed, p.bestValAcc, p.bestTrainAcc]),
        );
        points.forEach((p, i) => {
          // NOTE: logspace's 10 ** -4 is 1e-4 in Chromium's V8 but 1 ulp below in Node 20's.
          expect(Math.abs(p.weightScale - expected[i]!.weightScale)).toBeLessThanOrEqual(1e-15 * p.weightScale);
          expect(Math.abs(p.finalLoss - expected[i]!.finalLoss)).toBeLessThanOrEqual(1e-12 * Math.abs(p.finalLoss));
        });

        // A user-chosen CIFAR file trains too.
        await page.click("#tab-train");
        await page.setInputFiles("#file", join(sample!, "cifar-10-batches-bin", "data_batch_1.bin"));
        await page.waitForFunction(() => (document.getElementById("data") as HTMLSelectElement).value === "file");
        await page.click("#start");
        await bothDone(page, errors, 45_000);
        expect(await page.textContent("#status")).not.toContain("error");
        const runs = await page.evaluate(() => (globalThis as unknown as { bnlab: { runs(): { lossHistory: number[] }[] } }).bnlab.runs().map((r) => r.lossHistory.length));
        expect(runs).toEqual([2, 2]);
        expect(errors).toEqual([]);
        await page.close();
      } finally {
        await host.close();
      }
    });
  });
});
