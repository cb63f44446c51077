/**
 * Resuming a cut download (HTTP Range) against a loopback server that drops
 * connections mid-body: the partial file is kept and continued, the whole file's
 * MD5 is verified at the end, a server that ignores Range (or whose ranges do not
 * match its file) makes the transfer start over from zero, retries are bounded
 * and the pauses double. Pauses are milliseconds here (`retryDelayMs`).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { DownloadError, downloadCifar10, loadCifar10, type DownloadProgress } from "../src/node.js";
import { tarGz, tinyBinaryDatasetEntries } from "./fixtures/data/make.js";
import { failure } from "./helpers/env.js";

const body = tarGz(tinyBinaryDatasetEntries(30, 3));
const md5 = createHash("md5").update(body).digest("hex");
const ETAG = '"v1"';

/** What each request asked for and how it was answered. */
interface Seen {
  path: string;
  range: string | undefined;
  ifRange: string | undefined;
  status: number;
  sent: number;
}
let seen: Seen[] = [];
let tmp: string;
let server: Server;
let base: string;

/** Sends `data` then drops the connection when `cutAt` (bytes of this response) is reached. */
function send(req: IncomingMessage, res: ServerResponse, status: number, headers: Record<string, string | number>, data: Buffer, cutAt: number | null): void {
  const entry: Seen = { path: req.url ?? "", range: req.headers.range, ifRange: req.headers["if-range"] as string | undefined, status, sent: 0 };
  seen.push(entry);
  res.writeHead(status, { "content-length": data.length, etag: ETAG, ...headers });
  if (cutAt === null || cutAt >= data.length) {
    entry.sent = data.length;
    res.end(data);
    return;
  }
  entry.sent = cutAt;
  // NOTE: end() closes after the bytes written so far reach the client (a FIN); destroy() could
  // drop bytes still in flight, so the resumed offset would depend on timing.
  res.write(data.subarray(0, cutAt), () => res.socket?.end());
}

/** Honours `Range: bytes=N-`; returns [status, headers, bytes]. */
function ranged(req: IncomingMessage, file: Buffer): [number, Record<string, string | number>, Buffer] {
  const m = /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
  if (m === null) return [200, {}, file];
  const start = Number(m[1]);
  return [206, { "content-range": `bytes ${start}-${file.length - 1}/${file.length}` }, file.subarray(start)];
}

const count = (path: string): number => seen.filter((s) => s.path === path).length;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "bnlab-resume-"));
  server = createServer((req, res) => {
    const url = req.url ?? "";
    const n = count(url); // requests to this path before this one
    const third = Math.floor(body.length / 3);
    if (url === "/resume.tar.gz") {
      // Honours Range; each of the first two responses is cut after a third of the file.
      const [status, headers, data] = ranged(req, body);
      send(req, res, status, headers, data, n < 2 ? third : null);
    } else if (url === "/norange.tar.gz") {
      // Ignores Range: always the whole file from byte 0 (200); the first is cut half-way.
      send(req, res, 200, {}, body, n === 0 ? body.length >> 1 : null);
    } else if (url === "/badrange.tar.gz") {
      // Its ranges are not its file: a resumed transfer fails the checksum and must start over.
      if (n === 0) send(req, res, 200, {}, body, body.length >> 1);
      else if (req.headers.range !== undefined) {
        const [status, headers, data] = ranged(req, Buffer.from(body).fill(0x55));
        send(req, res, status, headers, data, null);
      } else send(req, res, 200, {}, body, null);
    } else if (url === "/always-cut.tar.gz") {
      const [status, headers, data] = ranged(req, body);
      send(req, res, status, headers, data, Math.min(data.length - 1, 100));
    } else if (url === "/busy.tar.gz") {
      // 503 twice, then the file.
      if (n < 2) send(req, res, 503, {}, Buffer.from("busy"), null);
      else send(req, res, 200, {}, body, null);
    } else if (url === "/gone.tar.gz") {
      if (n === 0) send(req, res, 200, {}, body, 500);
      else send(req, res, 404, {}, Buffer.from("gone"), null);
    } else {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

beforeEach(() => {
  seen = [];
});

describe("resuming a cut download", () => {
  it("continues from the bytes on disk with Range (If-Range: the ETag) and installs a verified file", async () => {
    const dir = join(tmp, "resume");
    const events: DownloadProgress[] = [];
    const r = await downloadCifar10({ dir, url: `${base}/resume.tar.gz`, md5, retryDelayMs: 5, onProgress: (p) => events.push({ ...p }) });
    expect(r.bytes).toBe(body.length);
    const third = Math.floor(body.length / 3);
    const retries = events.filter((e) => e.phase === "retry");
    expect(retries.map((e) => [e.retry!.attempt, e.retry!.delayMs])).toEqual([
      [1, 5],
      [2, 10],
    ]);
    // The bytes on disk at each cut: at most what the server sent before it. (When a connection
    // breaks, the body stream errors and drops the chunks it had not handed over yet, so on a busy
    // machine a few of the last ones may be missing: the resumed offset is what was written.)
    const [x1, x2] = retries.map((e) => e.received);
    expect(x1).toBeGreaterThan(0);
    expect(x1).toBeLessThanOrEqual(third);
    expect(x2).toBeGreaterThan(x1!);
    expect(x2).toBeLessThanOrEqual(x1! + third);
    expect(seen.map((s) => [s.status, s.range])).toEqual([
      [200, undefined],
      [206, `bytes=${x1}-`],
      [206, `bytes=${x2}-`],
    ]);
    expect(seen.slice(1).every((s) => s.ifRange === ETAG)).toBe(true);
    // Resumed, not refetched: the file crossed the wire once, plus only what the two cuts lost.
    expect(seen.reduce((a, s) => a + s.sent, 0)).toBe(body.length + (third - x1!) + (x1! + third - x2!));
    expect(loadCifar10(dir).yTrain.length).toBe(150);
    expect(readdirSync(dir)).toEqual(["cifar-10-batches-bin"]);
  });

  it("starts over from zero when the server ignores Range", async () => {
    const dir = join(tmp, "norange");
    const r = await downloadCifar10({ dir, url: `${base}/norange.tar.gz`, md5, retryDelayMs: 1 });
    expect(r.bytes).toBe(body.length);
    expect(seen.map((s) => s.status)).toEqual([200, 200]);
    // It asked to resume from the bytes on disk (at most the half sent before the cut), got the whole file.
    const resumed = /^bytes=(\d+)-$/.exec(seen[1]!.range ?? "");
    expect(resumed, seen[1]!.range).not.toBeNull();
    expect(Number(resumed![1])).toBeGreaterThan(0);
    expect(Number(resumed![1])).toBeLessThanOrEqual(body.length >> 1);
    expect(readdirSync(dir)).toEqual(["cifar-10-batches-bin"]);
  });

  it("starts over from zero when the resumed file fails the MD5", async () => {
    const dir = join(tmp, "badrange");
    const r = await downloadCifar10({ dir, url: `${base}/badrange.tar.gz`, md5, retryDelayMs: 1 });
    expect(r.bytes).toBe(body.length);
    expect(seen.map((s) => [s.status, s.range === undefined])).toEqual([
      [200, true],
      [206, false],
      [200, true],
    ]);
    expect(loadCifar10(dir).yTrain.length).toBe(150);
  });

  it("gives up after the bounded retries with the pauses doubling, leaving nothing behind", async () => {
    const dir = join(tmp, "always-cut");
    const delays: number[] = [];
    const err = await failure(
      downloadCifar10({ dir, url: `${base}/always-cut.tar.gz`, md5, retries: 3, retryDelayMs: 2, onProgress: (p) => void (p.phase === "retry" && delays.push(p.retry!.delayMs)) }),
    );
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/connection lost after \d+ of \d+ bytes/);
    expect(count("/always-cut.tar.gz")).toBe(4);
    expect(delays).toEqual([2, 4, 8]);
    // Each try went on from where the last stopped.
    expect(seen.map((s) => s.range)).toEqual([undefined, "bytes=100-", "bytes=200-", "bytes=300-"]);
    expect(() => readdirSync(dir)).toThrow(); // the folder it created is gone again
  });

  it("retries a busy server (503), but not an HTTP 404", async () => {
    const ok = await downloadCifar10({ dir: join(tmp, "busy"), url: `${base}/busy.tar.gz`, md5, retryDelayMs: 1 });
    expect(ok.bytes).toBe(body.length);
    expect(count("/busy.tar.gz")).toBe(3);
    const err = await failure(downloadCifar10({ dir: join(tmp, "gone"), url: `${base}/gone.tar.gz`, md5, retryDelayMs: 1 }));
    expect(err.message).toMatch(/HTTP 404/);
    expect(count("/gone.tar.gz")).toBe(2);
  });

  it("a server that cannot be reached at all fails at once (an offline machine is not kept waiting)", async () => {
    const retries: DownloadProgress[] = [];
    const err = await failure(
      downloadCifar10({ dir: join(tmp, "unreachable"), url: "http://127.0.0.1:1/x.tar.gz", md5, retryDelayMs: 60_000, onProgress: (p) => void (p.phase === "retry" && retries.push(p)) }),
    );
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/cannot connect/);
    expect(retries).toEqual([]);
  });

  it("an abort during the pause stops at once, without another request", async () => {
    const dir = join(tmp, "abort-pause");
    const abort = new AbortController();
    const err = await failure(
      downloadCifar10({ dir, url: `${base}/always-cut.tar.gz`, md5, retryDelayMs: 60_000, signal: abort.signal, onProgress: (p) => void (p.phase === "retry" && abort.abort()) }),
    );
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/interrupted/);
    expect(count("/always-cut.tar.gz")).toBe(1);
  });
});
