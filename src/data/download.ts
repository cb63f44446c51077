/**
 * Downloading the official CIFAR-10 archive: streamed to a temporary file beside
 * the target, MD5-verified, extracted safely into a temporary folder, checked by
 * loading it, then moved into place with one rename. Whatever fails (network,
 * checksum, an unsafe archive, a kill), no half dataset is ever visible and
 * running it again starts clean (stale temporaries of dead processes are removed).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync, statSync } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BnlabError, DataFormatError, OptionError } from "../core/errors.js";
import { processAlive } from "../node/temp-files.js";
import { extractSafely } from "./archive.js";
import { LAYOUTS, findCifar10, loadCifar10At, type Cifar10Kind, type Cifar10Location, type FileCount } from "./cifar10.js";
import { cacheDir } from "./locate.js";

/** The official binary archive of CIFAR-10 (what `downloadCifar10` fetches by default). */
export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
/** The archive's MD5 as published on the dataset's page. */
export const CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
/** The archive's size in bytes. */
export const CIFAR10_BYTES = 170_052_171;

/** A download that did not complete (network, HTTP status, size, checksum). */
export class DownloadError extends BnlabError {
  constructor(url: string, problem: string) {
    super(`download of ${url} failed: ${problem}`, 1);
    this.name = "DownloadError";
  }
}

/** What `downloadCifar10` reports through `onProgress`. */
export interface DownloadProgress {
  /** "retry": a transfer was cut off and resumes after `retry.delayMs`. */
  phase: "download" | "retry" | "verify" | "extract" | "done";
  /** Bytes received so far. */
  received: number;
  /** Expected bytes (Content-Length), or null when the server does not say. */
  total: number | null;
  /** With phase "retry": which resumption this is (1, 2, …), the pause before it and why. */
  retry?: { attempt: number; delayMs: number; reason: string };
}

/** Options of `downloadCifar10`. */
export interface DownloadOptions {
  /** Folder to install into (default: the cache folder); the layout folder goes inside it. */
  dir?: string;
  url?: string;
  /** Expected MD5 (hex) of the archive; null skips the check (only for tests of other parts). */
  md5?: string | null;
  /** Replace a dataset already installed in `dir`. */
  force?: boolean;
  onProgress?: (p: DownloadProgress) => void;
  /** The fetch to use (default: the global fetch). */
  fetchImpl?: typeof fetch;
  /** Give up when no byte arrives for this long (default 60 s). */
  idleTimeoutMs?: number;
  /** Aborts the download (e.g. on Ctrl-C); temporaries are removed as for any failure. */
  signal?: AbortSignal;
  /** Resumptions of a cut transfer (HTTP Range) before giving up (default 4; 0: none). */
  retries?: number;
  /** Pause before the first resumption, doubled each time, at most 30 s (default 1000 ms). */
  retryDelayMs?: number;
}

/** What `downloadCifar10` resolves to: where the data now is and what was done. */
export interface DownloadResult {
  location: Cifar10Location;
  /** True when a dataset was already installed and nothing was downloaded. */
  alreadyPresent: boolean;
  /** Archive bytes downloaded (0 when already present). */
  bytes: number;
  files: FileCount[];
}

const TEMP_PREFIXES = [".bnlab-partial-", ".bnlab-extract-", ".bnlab-old-"];


/** Removes temporaries left in `dir` by downloads whose process is gone. */
function removeStaleTemporaries(dir: string): void {
  for (const name of readdirSync(dir)) {
    const prefix = TEMP_PREFIXES.find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (Number.isInteger(pid) && !processAlive(pid)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** How a transfer attempt ended, when it did not deliver the whole file. */
class AttemptFailed extends Error {
  constructor(
    readonly error: DownloadError,
    /** False when trying again cannot help (an HTTP 4xx, an abort by the user). */
    readonly retryable: boolean,
  ) {
    super(error.message);
  }
}

/** Retry settings of one download. */
interface RetryPolicy {
  retries: number;
  retryDelayMs: number;
  sleep: (ms: number, signal: AbortSignal | undefined) => Promise<void>;
}

function sleepFor(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((done) => {
    if (signal?.aborted === true) {
      done();
      return;
    }
    const timer = setTimeout(finish, ms);
    function finish(): void {
      clearTimeout(timer);
      signal?.removeEventListener("abort", finish);
      done();
    }
    signal?.addEventListener("abort", finish, { once: true });
  });
}

/**
 * The MD5 of the first `bytes` bytes of the open file, read back from disk: the
 * check covers the whole file as it will be extracted, however many responses
 * it was assembled from.
 */
async function md5OfFile(file: FileHandle, bytes: number): Promise<string> {
  const hash = createHash("md5");
  const buf = new Uint8Array(1 << 20);
  for (let pos = 0; pos < bytes; ) {
    const { bytesRead } = await file.read(buf, 0, Math.min(buf.length, bytes - pos), pos);
    if (bytesRead === 0) break;
    hash.update(buf.subarray(0, bytesRead));
    pos += bytesRead;
  }
  return hash.digest("hex");
}

/** `bytes START-END/TOTAL` of a 206 answer, or null when it is not that. */
function parseContentRange(v: string | null): { start: number; total: number | null } | null {
  const m = v === null ? null : /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(v.trim());
  if (m === null) return null;
  return { start: Number(m[1]), total: m[3] === "*" ? null : Number(m[3]) };
}

/**
 * Streams `url` into `file`, returning its size and MD5. A transfer cut off
 * (connection lost, no data for `idleTimeoutMs`, an HTTP 5xx/429) is resumed
 * from the bytes already on disk with an HTTP Range request, after a pause that
 * doubles each time (`retryDelayMs`, 2×, 4×, … at most 30 s), at most `retries`
 * times. A server that ignores Range (200 instead of 206, or another range) makes
 * the transfer start over from zero; so does a checksum mismatch after a resumed
 * transfer (`md5`, checked over the whole file). The user's abort never retries.
 */
async function fetchToFile(
  url: string,
  file: string,
  fetchImpl: typeof fetch,
  idleTimeoutMs: number,
  onProgress: (p: DownloadProgress) => void,
  signal: AbortSignal | undefined,
  md5: string | null,
  policy: RetryPolicy,
): Promise<{ bytes: number; md5: string }> {
  const out = await open(file, "wx+");
  let received = 0;
  let total: number | null = null;
  /** Whether the bytes on disk came from more than one response. */
  let resumed = false;
  /** The first response's validator, so a resumed range comes from the same file (If-Range). */
  let validator: string | null = null;
  /** Whether any request got an answer: until one does, a failed connection is not retried. */
  let answered = false;
  const restart = async (): Promise<void> => {
    await out.truncate(0);
    received = 0;
    resumed = false;
  };

  /** One request: appends what arrives; resolves when the body is complete. */
  const attempt = async (): Promise<void> => {
    const abort = new AbortController();
    const onAbort = (): void => abort.abort(new Error("interrupted"));
    if (signal?.aborted === true) onAbort();
    signal?.addEventListener("abort", onAbort, { once: true });
    let timer: NodeJS.Timeout | undefined;
    let idle = false;
    const arm = (): void => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        idle = true;
        abort.abort(new Error(`no data for ${idleTimeoutMs / 1000} s`));
      }, idleTimeoutMs);
    };
    const userAborted = (): boolean => signal?.aborted === true && !idle;
    try {
      arm();
      const headers: Record<string, string> = {};
      if (received > 0) {
        headers.range = `bytes=${received}-`;
        if (validator !== null) headers["if-range"] = validator;
      }
      let res: Response;
      try {
        res = await fetchImpl(url, { signal: abort.signal, headers });
      } catch (err) {
        // NOTE: an offline machine (no route, no DNS) fails here at once; retrying only delays the
        // CLI's fallback. A connection lost after the server has answered is worth retrying.
        throw new AttemptFailed(new DownloadError(url, `cannot connect (${causeOf(err)})`), answered && !userAborted());
      }
      answered = true;
      if (res.status === 416 && received > 0) {
        // NOTE: "range not satisfiable" after a cut means the file changed or the offset is off: start over.
        await res.body?.cancel();
        await restart();
        throw new AttemptFailed(new DownloadError(url, "the server refused to resume (HTTP 416)"), true);
      }
      if (!res.ok || res.body === null) {
        const retryable = res.status >= 500 || res.status === 429 || res.status === 408;
        throw new AttemptFailed(new DownloadError(url, `the server answered HTTP ${res.status} ${res.statusText}`), retryable);
      }
      const len = Number.parseInt(res.headers.get("content-length") ?? "", 10);
      const bodyLength = Number.isFinite(len) && len >= 0 ? len : null;
      if (received > 0) {
        const range = res.status === 206 ? parseContentRange(res.headers.get("content-range")) : null;
        if (range === null || range.start !== received) {
          // The server ignored Range (a plain 200) or sent another range: this body is the file from byte 0.
          await restart();
          total = res.status === 200 ? bodyLength : null;
        } else {
          resumed = true;
          total = range.total ?? (bodyLength === null ? null : received + bodyLength);
        }
      } else {
        total = bodyLength;
        validator = res.headers.get("etag") ?? res.headers.get("last-modified");
      }
      if (res.status === 206 && received === 0) {
        // A range we did not ask for cannot be the whole file.
        throw new AttemptFailed(new DownloadError(url, "the server answered a partial response (HTTP 206) to a plain request"), false);
      }
      onProgress({ phase: "download", received, total });
      const reader = res.body.getReader();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (err) {
          throw new AttemptFailed(new DownloadError(url, `connection lost after ${received} of ${total ?? "?"} bytes (${causeOf(err)}); run it again to retry`), !userAborted());
        }
        if (chunk.done) break;
        arm();
        // NOTE: at an explicit offset: after a restart (truncate) the descriptor's own position is stale.
        await out.write(chunk.value, 0, chunk.value.length, received);
        received += chunk.value.length;
        onProgress({ phase: "download", received, total });
      }
      if (total !== null && received !== total) {
        throw new AttemptFailed(new DownloadError(url, `received ${received} bytes, the server announced ${total}; run it again to retry`), true);
      }
    } finally {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    }
  };

  try {
    for (let tries = 0; ; tries++) {
      let failure: AttemptFailed | null = null;
      try {
        await attempt();
      } catch (err) {
        if (!(err instanceof AttemptFailed)) throw err;
        failure = err;
      }
      if (failure === null) {
        const got = await md5OfFile(out, received);
        if (md5 === null || got === md5.toLowerCase() || !resumed) return { bytes: received, md5: got };
        // NOTE: a mismatch after a resumed transfer may be a server whose ranges do not match its
        // file; the whole file once more from byte 0 tells that apart from a corrupt archive.
        await restart();
        failure = new AttemptFailed(new DownloadError(url, `checksum mismatch after resuming: expected MD5 ${md5.toLowerCase()}, got ${got}`), true);
      }
      const aborted = (): boolean => signal?.aborted === true;
      if (!failure.retryable || tries >= policy.retries || aborted()) throw failure.error;
      const delayMs = Math.min(30_000, policy.retryDelayMs * 2 ** tries);
      onProgress({ phase: "retry", received, total, retry: { attempt: tries + 1, delayMs, reason: failure.error.message } });
      await policy.sleep(delayMs, signal);
      if (aborted()) throw new DownloadError(url, "interrupted");
    }
  } finally {
    await out.close();
  }
}

function causeOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as Error & { cause?: unknown }).cause;
  return cause instanceof Error ? `${err.message}: ${cause.message}` : err.message;
}

/** The layout folder inside a freshly extracted archive. */
function extractedLayout(tmpDir: string, url: string): Cifar10Kind {
  for (const kind of ["cifar10-bin", "cifar10-py"] as const) if (existsSync(join(tmpDir, LAYOUTS[kind].folder))) return kind;
  throw new DataFormatError(url, "the archive holds neither cifar-10-batches-bin/ nor cifar-10-batches-py/");
}

/**
 * Downloads and installs CIFAR-10 into `dir` (default: the cache folder), as
 * `dir/cifar-10-batches-bin/` for the official binary archive. Returns at once
 * when a dataset is already installed there, unless `force`.
 */
export async function downloadCifar10(options: DownloadOptions = {}): Promise<DownloadResult> {
  const dir = resolve(options.dir ?? cacheDir());
  const url = options.url ?? CIFAR10_URL;
  const md5 = options.md5 === undefined ? CIFAR10_MD5 : options.md5;
  const onProgress = options.onProgress ?? ((): void => undefined);
  const fetchImpl = options.fetchImpl ?? fetch;

  const existing = existsSync(dir) ? findCifar10(dir) : null;
  if (existing !== null && !existing.archive && options.force !== true) {
    return { location: existing, alreadyPresent: true, bytes: 0, files: [] };
  }
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new OptionError("dir", "a folder to install into", `${dir} (a file)`);
  const createdDir = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  removeStaleTemporaries(dir);
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmpFile = join(dir, `.bnlab-partial-${tag}.tar.gz`);
  const tmpDir = join(dir, `.bnlab-extract-${tag}`);
  const oldDir = join(dir, `.bnlab-old-${tag}`);
  let ok = false;
  try {
    const policy: RetryPolicy = { retries: options.retries ?? 4, retryDelayMs: options.retryDelayMs ?? 1000, sleep: sleepFor };
    const { bytes, md5: got } = await fetchToFile(url, tmpFile, fetchImpl, options.idleTimeoutMs ?? 60_000, onProgress, options.signal, md5, policy);
    onProgress({ phase: "verify", received: bytes, total: bytes });
    if (md5 !== null && got !== md5.toLowerCase()) {
      throw new DownloadError(url, `checksum mismatch: expected MD5 ${md5.toLowerCase()}, got ${got} (corrupt or different file); nothing was installed`);
    }
    onProgress({ phase: "extract", received: bytes, total: bytes });
    mkdirSync(tmpDir);
    try {
      extractSafely(tmpFile, tmpDir);
    } catch (err) {
      if (err instanceof DataFormatError) throw new DataFormatError(url, err.message.slice(err.file.length + 2));
      throw err;
    }
    const kind = extractedLayout(tmpDir, url);
    const staged: Cifar10Location = { kind, path: join(tmpDir, LAYOUTS[kind].folder), archive: false };
    const raw = loadCifar10At(staged);
    const finalPath = join(dir, LAYOUTS[kind].folder);
    const replacing = existsSync(finalPath);
    if (replacing) renameSync(finalPath, oldDir);
    try {
      renameSync(staged.path, finalPath);
    } catch (err) {
      if (replacing) renameSync(oldDir, finalPath);
      throw err;
    }
    ok = true;
    onProgress({ phase: "done", received: bytes, total: bytes });
    return { location: { kind, path: finalPath, archive: false }, alreadyPresent: false, bytes, files: raw.files };
  } finally {
    rmSync(tmpFile, { force: true });
    rmSync(tmpDir, { recursive: true, force: true });
    rmSync(oldDir, { recursive: true, force: true });
    if (!ok && createdDir) {
      try {
        rmdirSync(dir);
      } catch {
        // not empty (someone else's files): leave it
      }
    }
  }
}
