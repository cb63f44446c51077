/**
 * The playground server: what it serves, the isolation headers, and that no request
 * path reaches a file outside the page folder or the allow-listed data files.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { BnlabError } from "../src/core/errors.js";
import { checkRequestPath, startServer, type RunningServer } from "../cli/server.js";
import { resolveBinDir } from "../cli/commands/serve.js";
import { main } from "../cli/main.js";

/** Sends one GET with the path exactly as given (no client-side normalization). */
function rawGet(port: number, path: string): Promise<{ status: number; body: string; headers: Record<string, string | string[] | undefined> }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("latin1"), headers: res.headers }));
    });
    req.on("error", reject);
    req.end();
  });
}

const SECRET_OUTSIDE = "SECRET-OUTSIDE-THE-DATA-FOLDER";
const SECRET_BESIDE = "SECRET-BESIDE-THE-DATA-FILES";
const DATA_BYTES = "L".repeat(3073);

let tmp: string;
let server: RunningServer;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "bnlab-serve-"));
  const web = join(tmp, "site", "web");
  const bin = join(tmp, "site", "data", "cifar-10-batches-bin");
  mkdirSync(join(web, "assets"), { recursive: true });
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(web, "index.html"), "<!doctype html><title>page</title>");
  writeFileSync(join(web, "assets", "app.js"), "console.log(1)");
  writeFileSync(join(bin, "data_batch_1.bin"), DATA_BYTES);
  writeFileSync(join(bin, "secret.txt"), SECRET_BESIDE);
  writeFileSync(join(bin, "data_batch_1.bin.bak"), SECRET_BESIDE);
  writeFileSync(join(tmp, "site", "secret.txt"), SECRET_OUTSIDE);
  writeFileSync(join(tmp, "secret.txt"), SECRET_OUTSIDE);
  server = await startServer({ webRoot: web, binDir: bin, port: 0, host: "127.0.0.1" });
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("checkRequestPath", () => {
  it("accepts plain paths and splits them", () => {
    expect(checkRequestPath("/")).toEqual({ ok: true, segments: [] });
    expect(checkRequestPath("/data/data_batch_1.bin?x=1")).toEqual({ ok: true, segments: ["data", "data_batch_1.bin"] });
    expect(checkRequestPath("/assets/a%20b.js")).toEqual({ ok: true, segments: ["assets", "a b.js"] });
  });
  it.each([
    "/../secret.txt",
    "/data/../secret.txt",
    "/data/%2e%2e/secret.txt",
    "/data/%2E%2E%2Fsecret.txt",
    "/data%2f..%2fsecret.txt",
    "/data/..%5csecret.txt",
    "/data\\..\\secret.txt",
    "/data/%252e%252e/secret.txt",
    "/data/%25252e%25252e/secret.txt",
    "//etc/passwd",
    "/data//etc/passwd",
    "/data/./data_batch_1.bin",
    "/data/C:/Windows/win.ini",
    "/data/data_batch_1.bin%00.txt",
    "/data/%e0%a4%a",
    "etc/passwd",
  ])("refuses %s", (p) => {
    expect(checkRequestPath(p)).toEqual({ ok: false, status: 400 });
  });
});

describe("bnlab serve's HTTP server", () => {
  it("serves the page with the cross-origin isolation headers", async () => {
    const r = await rawGet(server.port, "/");
    expect(r.status).toBe(200);
    expect(r.body).toContain("<title>page</title>");
    expect(r.headers["cross-origin-opener-policy"]).toBe("same-origin");
    expect(r.headers["cross-origin-embedder-policy"]).toBe("require-corp");
    const js = await rawGet(server.port, "/assets/app.js");
    expect(js.status).toBe(200);
    expect(js.headers["content-type"]).toContain("javascript");
  });

  it("serves an allow-listed data file and describes the data in bnlab-config.json", async () => {
    const r = await rawGet(server.port, "/data/data_batch_1.bin");
    expect(r.status).toBe(200);
    expect(r.body).toBe(DATA_BYTES);
    const cfg = await rawGet(server.port, "/bnlab-config.json");
    expect(JSON.parse(cfg.body)).toEqual({ defaultSource: "served", files: [{ name: "data_batch_1.bin", size: 3073 }] });
  });

  it.each([
    "/../secret.txt",
    "/../../secret.txt",
    "/data/../secret.txt",
    "/data/../../secret.txt",
    "/data/%2e%2e/secret.txt",
    "/data/%2e%2e/%2e%2e/secret.txt",
    "/data/..%2fsecret.txt",
    "/data%2f..%2f..%2fsecret.txt",
    "/data/%252e%252e/secret.txt",
    "/data/..\\..\\secret.txt",
    "/data/%5c..%5c..%5csecret.txt",
    "/data/secret.txt",
    "/data/data_batch_1.bin.bak",
    "/data/cifar-10-batches-bin/data_batch_1.bin",
    "/data/data_batch_2.bin",
    "/secret.txt",
    "/assets/../../secret.txt",
    `/${encodeURIComponent(join(tmpdir(), "secret.txt"))}`,
    "//secret.txt",
    "/%2fetc%2fpasswd",
    "/data/%2fetc%2fpasswd",
  ])("answers %s with 400/404 and no file outside", async (p) => {
    const r = await rawGet(server.port, p);
    expect([400, 404]).toContain(r.status);
    expect(r.body).not.toContain("SECRET");
    expect(r.body).not.toContain("root:");
  });

  it("refuses other methods", async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request({ host: "127.0.0.1", port: server.port, path: "/", method: "POST" }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
    expect(status).toBe(405);
  });

  it("reports a port in use clearly", async () => {
    const web = join(tmp, "site", "web");
    const err = await startServer({ webRoot: web, binDir: null, port: server.port, host: "127.0.0.1" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BnlabError);
    expect((err as Error).message).toMatch(new RegExp(`port ${server.port} .*already in use.*--port`));
  });

  it("bnlab serve --rebuild on a port in use fails before building, in one line", async () => {
    let out = "";
    const spies = [process.stdout, process.stderr].map((s) =>
      vi.spyOn(s, "write").mockImplementation((chunk: string | Uint8Array) => {
        out += String(chunk).replace(/\x1b\[[0-9;]*m/g, ""); // picocolors colours under CI=true
        return true;
      }),
    );
    try {
      expect(await main(["serve", "--synthetic", "--rebuild", "--port", String(server.port)])).toBe(1);
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
    expect(out).toMatch(new RegExp(`^error: port ${server.port} on 127.0.0.1 is already in use: .*--port\n$`));
    expect(out).not.toMatch(/building/);
  });
});

describe("--data resolution", () => {
  it("accepts the folder above cifar-10-batches-bin and the folder itself, and names --data otherwise", () => {
    const bin = join(tmp, "site", "data", "cifar-10-batches-bin");
    expect(resolveBinDir(join(tmp, "site", "data"))).toBe(bin);
    expect(resolveBinDir(bin)).toBe(bin);
    expect(() => resolveBinDir(join(tmp, "site", "web"))).toThrow(/--data/);
    expect(() => resolveBinDir(join(tmp, "nope"))).toThrow(/--data.*existing folder/);
  });
});
