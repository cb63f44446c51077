/**
 * The playground server refuses what a hostile page or a planted link could use:
 * a Host header that is not the server's own address (DNS rebinding: 421), and an
 * allow-listed data file (or page file) that is a symlink leading out of its folder.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hostAllowed, listServedFiles, startServer, type RunningServer } from "../cli/server.js";

/** One GET to 127.0.0.1 with the Host header given (undefined: node's default, the real address). */
function get(port: number, path: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers = host === undefined ? {} : { host };
    const req = request({ host: "127.0.0.1", port, path, method: "GET", headers, setHost: host === undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("latin1") }));
    });
    req.on("error", reject);
    req.end();
  });
}

const SECRET = "SECRET-OUTSIDE-THE-DATA-FOLDER";
const DATA = "D".repeat(3073);
let tmp: string;
let server: RunningServer;
let bin: string;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "bnlab-serve-host-"));
  const web = join(tmp, "web");
  bin = join(tmp, "data", "cifar-10-batches-bin");
  mkdirSync(join(web, "assets"), { recursive: true });
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(web, "index.html"), "<!doctype html><title>page</title>");
  writeFileSync(join(tmp, "secret.bin"), SECRET);
  writeFileSync(join(bin, "data_batch_1.bin"), DATA);
  // Allow-listed names that are symlinks: one out of the folder, one to a file inside it.
  symlinkSync(join(tmp, "secret.bin"), join(bin, "data_batch_2.bin"));
  symlinkSync("data_batch_1.bin", join(bin, "data_batch_3.bin"));
  symlinkSync(join(tmp, "secret.bin"), join(web, "assets", "leak.js"));
  server = await startServer({ webRoot: web, binDir: bin, port: 0, host: "127.0.0.1" });
});

afterAll(async () => {
  await server?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("hostAllowed", () => {
  it("accepts the loopback names with the server's port", () => {
    for (const h of ["127.0.0.1:5173", "localhost:5173", "LOCALHOST:5173", "[::1]:5173"]) expect(hostAllowed(h, "127.0.0.1", 5173), h).toBe(true);
    expect(hostAllowed("localhost", "127.0.0.1", 80)).toBe(true);
  });
  it.each([
    [undefined, "127.0.0.1"],
    ["evil.example:5173", "127.0.0.1"],
    ["localhost.evil.example:5173", "127.0.0.1"],
    ["127.0.0.1.nip.io:5173", "127.0.0.1"],
    ["localhost:5174", "127.0.0.1"],
    ["localhost", "127.0.0.1"],
    ["localhost:05173x", "127.0.0.1"],
    ["[::1:5173", "127.0.0.1"],
    ["::1:5173", "127.0.0.1"],
    ["[evil]:5173", "127.0.0.1"],
    ["localhost.:5173", "127.0.0.1"],
    ["evil.example:5173", "0.0.0.0"],
    ["10.1.2.3:5173", "127.0.0.1"],
  ])("refuses Host %s (bound to %s)", (h, bound) => {
    expect(hostAllowed(h, bound, 5173)).toBe(false);
  });
  it("a server bound to another address also answers to that address; a wildcard bind to IP literals", () => {
    expect(hostAllowed("192.168.1.7:5173", "192.168.1.7", 5173)).toBe(true);
    expect(hostAllowed("mybox.lan:5173", "mybox.lan", 5173)).toBe(true);
    expect(hostAllowed("10.1.2.3:5173", "0.0.0.0", 5173)).toBe(true);
    expect(hostAllowed("[fe80::1]:5173", "::", 5173)).toBe(true);
  });
});

describe("the running server", () => {
  it("answers its own address and refuses a rebound name with 421, for every path", async () => {
    expect((await get(server.port, "/")).status).toBe(200);
    expect((await get(server.port, "/", `localhost:${server.port}`)).status).toBe(200);
    for (const path of ["/", "/bnlab-config.json", "/data/data_batch_1.bin"]) {
      const r = await get(server.port, path, `rebind.evil.example:${server.port}`);
      expect(r.status, path).toBe(421);
      expect(r.body).not.toContain("DDDD");
      expect(r.body).not.toContain("title");
    }
    expect((await get(server.port, "/", "127.0.0.1:1")).status).toBe(421);
  });

  it("does not follow a data-file symlink out of the data folder", async () => {
    const out = await get(server.port, "/data/data_batch_2.bin");
    expect(out.status).toBe(404);
    expect(out.body).not.toContain(SECRET);
    expect((await get(server.port, "/data/data_batch_3.bin")).body).toBe(DATA); // a link inside the folder is fine
    expect((await get(server.port, "/data/data_batch_1.bin")).body).toBe(DATA);
    const names = listServedFiles(bin).map((f) => f.name);
    expect(names).toEqual(["data_batch_1.bin", "data_batch_3.bin"]);
    const config = JSON.parse((await get(server.port, "/bnlab-config.json")).body) as { files: { name: string }[] };
    expect(config.files.map((f) => f.name)).toEqual(["data_batch_1.bin", "data_batch_3.bin"]);
  });

  it("does not follow a page-file symlink out of the page folder", async () => {
    const out = await get(server.port, "/assets/leak.js");
    expect(out.status).toBe(404);
    expect(out.body).not.toContain(SECRET);
  });
});
