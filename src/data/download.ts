/**
 * Downloading the official CIFAR-10 archive: streamed to a temporary file beside
 * the target, MD5-verified, extracted safely into a temporary folder, checked by
 * loading it, then moved into place with one rename. Whatever fails (network,
 * checksum, an unsafe archive, a kill), no half dataset is ever visible and
 * running it again starts clean (stale temporaries of dead processes are removed).
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, rmdirSync } from "node:fs";
import { open } from "node:fs/promises";
import { join, resolve } from "node:path";
import { BnlabError, DataFormatError } from "../core/errors.js";
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
  phase: "download" | "verify" | "extract" | "done";
  /** Bytes received so far. */
  received: number;
  /** Expected bytes (Content-Length), or null when the server does not say. */
  total: number | null;
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

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Removes temporaries left in `dir` by downloads whose process is gone. */
function removeStaleTemporaries(dir: string): void {
  for (const name of readdirSync(dir)) {
    const prefix = TEMP_PREFIXES.find((p) => name.startsWith(p));
    if (prefix === undefined) continue;
    const pid = Number.parseInt(name.slice(prefix.length), 10);
    if (Number.isInteger(pid) && pid !== process.pid && !pidAlive(pid)) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

/** Streams `url` into `file`, returning its size and MD5. */
async function fetchToFile(
  url: string,
  file: string,
  fetchImpl: typeof fetch,
  idleTimeoutMs: number,
  onProgress: (p: DownloadProgress) => void,
  signal: AbortSignal | undefined,
): Promise<{ bytes: number; md5: string }> {
  const abort = new AbortController();
  const onAbort = (): void => abort.abort(new Error("interrupted"));
  if (signal?.aborted === true) onAbort();
  signal?.addEventListener("abort", onAbort, { once: true });
  let timer: NodeJS.Timeout | undefined;
  const arm = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => abort.abort(new Error(`no data for ${idleTimeoutMs / 1000} s`)), idleTimeoutMs);
  };
  const hash = createHash("md5");
  let received = 0;
  let total: number | null = null;
  const out = await open(file, "wx");
  try {
    arm();
    let res: Response;
    try {
      res = await fetchImpl(url, { signal: abort.signal });
    } catch (err) {
      throw new DownloadError(url, `cannot connect (${causeOf(err)})`);
    }
    if (!res.ok || res.body === null) throw new DownloadError(url, `the server answered HTTP ${res.status} ${res.statusText}`);
    const len = Number.parseInt(res.headers.get("content-length") ?? "", 10);
    total = Number.isFinite(len) && len >= 0 ? len : null;
    onProgress({ phase: "download", received, total });
    const reader = res.body.getReader();
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (err) {
        throw new DownloadError(url, `connection lost after ${received} of ${total ?? "?"} bytes (${causeOf(err)}); run it again to retry`);
      }
      if (chunk.done) break;
      arm();
      hash.update(chunk.value);
      await out.write(chunk.value);
      received += chunk.value.length;
      onProgress({ phase: "download", received, total });
    }
    if (total !== null && received !== total) {
      throw new DownloadError(url, `received ${received} bytes, the server announced ${total}; run it again to retry`);
    }
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
    await out.close();
  }
  return { bytes: received, md5: hash.digest("hex") };
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
  const createdDir = !existsSync(dir);
  mkdirSync(dir, { recursive: true });
  removeStaleTemporaries(dir);
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const tmpFile = join(dir, `.bnlab-partial-${tag}.tar.gz`);
  const tmpDir = join(dir, `.bnlab-extract-${tag}`);
  const oldDir = join(dir, `.bnlab-old-${tag}`);
  let ok = false;
  try {
    const { bytes, md5: got } = await fetchToFile(url, tmpFile, fetchImpl, options.idleTimeoutMs ?? 60_000, onProgress, options.signal);
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
