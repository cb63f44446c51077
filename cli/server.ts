/**
 * The playground's HTTP server (node:http, no framework).
 *
 * It serves two things and nothing else:
 *  - the built page from web/dist (static files whose names are plain words);
 *  - the CIFAR-10 binary files of one data folder, read-only, under /data/<name>,
 *    for an allow-list of the official file names.
 * Every response carries the COOP/COEP headers that make the page cross-origin
 * isolated (SharedArrayBuffer, used to pause a training worker).
 *
 * Request paths are checked on their raw (undecoded) form and after one decode:
 * `..` or `.` segments, backslashes, empty segments, NUL bytes and a `%` left after
 * decoding (double encoding) are refused with 400; anything not served is 404.
 *
 * A request whose Host header does not name this server (127.0.0.1:PORT,
 * localhost:PORT, [::1]:PORT, or the --host it was bound to) is refused with 421:
 * a page on another site whose name was rebound to 127.0.0.1 (DNS rebinding)
 * sends its own name, and must not read the playground or the data. A served file
 * whose real path (symlinks resolved) leaves its folder is not served (404).
 */
import { createReadStream, existsSync, realpathSync, statSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { isIP, type AddressInfo } from "node:net";
import { extname, join, relative, resolve, sep, isAbsolute } from "node:path";
import { BnlabError } from "../src/node.js";

/** The only files /data/ serves: the CIFAR-10 "binary version" names. */
export const CIFAR_BIN_FILES: readonly string[] = Object.freeze([
  "data_batch_1.bin",
  "data_batch_2.bin",
  "data_batch_3.bin",
  "data_batch_4.bin",
  "data_batch_5.bin",
  "test_batch.bin",
  "batches.meta.txt",
]);

/** What `/bnlab-config.json` tells the page about the data on offer. */
export interface ServedConfig {
  /** "served": the CIFAR files listed are under data/; "synthetic": none, use the synthetic set. */
  defaultSource: "served" | "synthetic";
  /** Allow-listed files present in the data folder, with their sizes in bytes. */
  files: { name: string; size: number }[];
}

export interface ServerOptions {
  /** Folder with the built page (index.html and assets). */
  webRoot: string;
  /** Folder holding the CIFAR-10 binary files (data_batch_1.bin, …), or null for none. */
  binDir: string | null;
  /** Prefer the synthetic set in the page even when data is served. */
  synthetic?: boolean;
  port: number;
  host: string;
}

/** The names a loopback server answers to, whatever it was bound to. */
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1"];
const WILDCARD_HOSTS = ["0.0.0.0", "::", ""];

/**
 * True when a request's Host header names a server bound to `boundHost`:`port`:
 * a loopback name (localhost, 127.0.0.1, [::1]), the bound address itself, or —
 * for a wildcard bind (0.0.0.0, ::) — any IP address literal. Names other than
 * localhost are refused: that is what a DNS-rebinding page would send. The port
 * must be the server's (omitted only when it is 80).
 */
export function hostAllowed(hostHeader: string | undefined, boundHost: string, port: number): boolean {
  if (hostHeader === undefined) return false;
  const h = hostHeader.toLowerCase();
  let name: string;
  let portText: string;
  if (h.startsWith("[")) {
    const end = h.indexOf("]");
    if (end < 0) return false;
    name = h.slice(1, end);
    const rest = h.slice(end + 1);
    if (rest !== "" && !rest.startsWith(":")) return false;
    portText = rest.slice(1);
    if (isIP(name) !== 6) return false;
  } else {
    const colon = h.lastIndexOf(":");
    name = colon < 0 ? h : h.slice(0, colon);
    portText = colon < 0 ? "" : h.slice(colon + 1);
    if (name.includes(":")) return false; // an IPv6 address must be bracketed
  }
  if (portText === "" ? port !== 80 : !/^\d{1,5}$/.test(portText) || Number(portText) !== port) return false;
  if (LOOPBACK_NAMES.includes(name)) return true;
  const bound = boundHost.toLowerCase().replace(/^\[(.*)\]$/, "$1");
  if (name === bound) return true;
  return WILDCARD_HOSTS.includes(bound) && isIP(name) !== 0;
}

/** The real path of `path` (symlinks resolved), or null when it does not exist. */
function realPath(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** True when `file`'s real path lies inside the folder whose real path is `realRoot`. */
function staysInside(realRoot: string | null, file: string): boolean {
  const real = realPath(file);
  if (realRoot === null || real === null) return false;
  const rel = relative(realRoot, real);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel);
}

export interface RunningServer {
  readonly url: string;
  readonly port: number;
  readonly server: Server;
  close(): Promise<void>;
}

/** Outcome of checking a request path: a refusal status, or the decoded segments. */
export type PathCheck = { ok: false; status: 400 } | { ok: true; segments: string[] };

const SEGMENT = /^[A-Za-z0-9_][A-Za-z0-9._-]*$/;

/**
 * Splits and checks the path of a raw request URL (`/a/b.js?x=1`).
 * Refuses (400) anything that could name a file outside the served folders.
 */
export function checkRequestPath(rawUrl: string): PathCheck {
  const bad: PathCheck = { ok: false, status: 400 };
  let raw = rawUrl;
  const cut = raw.search(/[?#]/);
  if (cut >= 0) raw = raw.slice(0, cut);
  if (!raw.startsWith("/") || raw.startsWith("//")) return bad;
  if (raw.includes("\\") || /%5c/i.test(raw) || /%00/.test(raw)) return bad;
  let decoded: string;
  try {
    decoded = decodeURIComponent(raw);
  } catch {
    return bad;
  }
  // NOTE: a `%` that survives one decode means the client double-encoded (`%252e`); no
  // served name contains `%`, so refuse rather than decode again.
  if (decoded.includes("%") || decoded.includes("\\") || decoded.includes("\0")) return bad;
  const parts = decoded.split("/").slice(1);
  // "/" alone and a trailing slash are fine; empty segments elsewhere ("a//b") are not.
  if (parts.length > 0 && parts[parts.length - 1] === "") parts.pop();
  for (const p of parts) {
    if (p === "" || p === "." || p === ".." || isAbsolute(p) || /^[A-Za-z]:/.test(p)) return bad;
  }
  return { ok: true, segments: parts };
}

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
  ".bin": "application/octet-stream",
  ".map": "application/json; charset=utf-8",
  ".ico": "image/x-icon",
};

function baseHeaders(): Record<string, string> {
  return {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
    "X-Content-Type-Options": "nosniff",
    "Cache-Control": "no-cache",
  };
}

function sendText(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { ...baseHeaders(), "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
  res.end(text);
}

/**
 * Streams one regular file (the caller has already decided it may be served).
 * Answers 304 to a matching If-Modified-Since, so the two training workers of the
 * page fetch a data file once between them from the browser's cache.
 */
function sendFile(req: IncomingMessage, res: ServerResponse, file: string, st: { size: number; mtime: Date }): void {
  const type = CONTENT_TYPES[extname(file).toLowerCase()] ?? "application/octet-stream";
  const lastModified = st.mtime.toUTCString();
  const since = req.headers["if-modified-since"];
  if (since !== undefined && since === lastModified) {
    res.writeHead(304, { ...baseHeaders(), "Last-Modified": lastModified });
    res.end();
    return;
  }
  res.writeHead(200, { ...baseHeaders(), "Content-Type": type, "Content-Length": st.size, "Last-Modified": lastModified });
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on("error", () => res.destroy());
  stream.pipe(res);
}

function fileStat(path: string): { size: number; mtime: Date } | null {
  try {
    const st = statSync(path);
    return st.isFile() ? { size: st.size, mtime: st.mtime } : null;
  } catch {
    return null;
  }
}

/**
 * The allow-listed CIFAR files present in `binDir` (regular files, or symlinks to
 * files inside `binDir`: one pointing out of the folder is neither listed nor served).
 */
export function listServedFiles(binDir: string | null): { name: string; size: number }[] {
  if (binDir === null) return [];
  const realBin = realPath(binDir);
  const out: { name: string; size: number }[] = [];
  for (const name of CIFAR_BIN_FILES) {
    const file = join(binDir, name);
    const st = fileStat(file);
    if (st !== null && staysInside(realBin, file)) out.push({ name, size: st.size });
  }
  return out;
}

/**
 * Builds the request handler (exported for tests that drive it without a socket).
 * With `hosts`, requests whose Host header does not name the server (see
 * `hostAllowed`) are refused with 421; `port` is read per request (a server on
 * port 0 learns its port only once listening).
 */
export function createHandler(opts: Pick<ServerOptions, "webRoot" | "binDir" | "synthetic"> & { hosts?: { host: string; port: () => number } }) {
  const webRoot = resolve(opts.webRoot);
  const binDir = opts.binDir === null ? null : resolve(opts.binDir);
  const realWebRoot = realPath(webRoot);
  const realBinDir = binDir === null ? null : realPath(binDir);
  const config: ServedConfig = {
    defaultSource: opts.synthetic || binDir === null ? "synthetic" : "served",
    files: opts.synthetic ? [] : listServedFiles(binDir),
  };
  if (config.files.length === 0) config.defaultSource = "synthetic";
  const configJson = JSON.stringify(config);

  return (req: IncomingMessage, res: ServerResponse): void => {
    const hosts = opts.hosts;
    if (hosts !== undefined && !hostAllowed(req.headers.host, hosts.host, hosts.port())) {
      sendText(res, 421, "misdirected request: this server answers only to its own address (127.0.0.1, localhost or [::1] with its port)\n");
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      sendText(res, 405, "method not allowed\n");
      return;
    }
    const check = checkRequestPath(req.url ?? "");
    if (!check.ok) {
      sendText(res, check.status, "bad request path\n");
      return;
    }
    const seg = check.segments;
    if (seg.length === 1 && seg[0] === "bnlab-config.json") {
      res.writeHead(200, { ...baseHeaders(), "Content-Type": "application/json; charset=utf-8" });
      res.end(req.method === "HEAD" ? undefined : configJson);
      return;
    }
    if (seg[0] === "data") {
      // Exactly /data/<allow-listed name>: no sub-folders, nothing else of the folder.
      const name = seg[1];
      if (seg.length !== 2 || name === undefined || !CIFAR_BIN_FILES.includes(name) || binDir === null || opts.synthetic) {
        sendText(res, 404, "not found\n");
        return;
      }
      const file = join(binDir, name);
      const st = fileStat(file);
      // NOTE: a symlink named like a data file may point anywhere; only its target inside the folder is served.
      if (st === null || !staysInside(realBinDir, file)) sendText(res, 404, "not found\n");
      else sendFile(req, res, file, st);
      return;
    }
    const rel = seg.length === 0 ? ["index.html"] : seg;
    if (!rel.every((s) => SEGMENT.test(s))) {
      sendText(res, 404, "not found\n");
      return;
    }
    const file = join(webRoot, ...rel);
    const within = relative(webRoot, file);
    if (within.startsWith("..") || isAbsolute(within) || within.split(sep).includes("..")) {
      sendText(res, 400, "bad request path\n");
      return;
    }
    const st = fileStat(file);
    if (st === null || !staysInside(realWebRoot, file)) sendText(res, 404, "not found\n");
    else sendFile(req, res, file, st);
  };
}

/** A listen error as the one line a user can act on (a BnlabError), or the error itself when it is not the user's. */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  if (err.code === "EADDRINUSE") return new BnlabError(`port ${port} on ${host} is already in use: stop what uses it or choose another with --port`);
  if (err.code === "EACCES") return new BnlabError(`not allowed to listen on ${host}:${port}: choose a port above 1023 with --port`);
  if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") return new BnlabError(`cannot listen on host ${JSON.stringify(host)}: no such local address (--host)`);
  return err;
}

/**
 * Checks that `host:port` can be listened on, by listening and closing at once, so
 * `bnlab serve` fails before a build rather than after it. Port 0 always can.
 */
export async function checkListenable(host: string, port: number): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  await new Promise<void>((ok, fail) => {
    probe.once("error", (err: NodeJS.ErrnoException) => fail(listenError(err, host, port)));
    probe.listen(port, host, () => probe.close(() => ok()));
  });
}

/** Starts the server; rejects with a clear BnlabError when the port is taken. */
export function startServer(opts: ServerOptions): Promise<RunningServer> {
  if (!existsSync(join(opts.webRoot, "index.html"))) {
    return Promise.reject(new BnlabError(`the playground is not built: ${join(opts.webRoot, "index.html")} is missing (run npm run build:web)`));
  }
  let boundPort = opts.port;
  const server = createServer(createHandler({ ...opts, hosts: { host: opts.host, port: () => boundPort } }));
  return new Promise((resolvePromise, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(listenError(err, opts.host, opts.port));
    server.once("error", onError);
    server.listen(opts.port, opts.host, () => {
      server.off("error", onError);
      const port = (server.address() as AddressInfo).port;
      boundPort = port;
      const hostForUrl = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
      resolvePromise({
        url: `http://${hostForUrl}:${port}/`,
        port,
        server,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
