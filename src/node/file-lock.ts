/**
 * A lock between processes on one machine: a file created exclusively, holding its owner's PID.
 * Used so that two `bnlab serve` (or test files) started together in a clone build the playground
 * once: the second waits for the first, then finds web/dist current.
 */
import { closeSync, openSync, readFileSync, rmSync, statSync, writeSync } from "node:fs";
import { BnlabError } from "../core/errors.js";
import { processAlive } from "./temp-files.js";

/**
 * A lock whose owner is gone: its PID is not running, or it is older than `maxAgeMs` (a PID
 * can be reused). False when the file vanished meanwhile (then simply try again).
 */
function abandoned(path: string, maxAgeMs: number): boolean {
  try {
    const pid = Number(readFileSync(path, "utf8"));
    if (Number.isInteger(pid) && pid > 0 && !processAlive(pid)) return true;
    return Date.now() - statSync(path).mtimeMs > maxAgeMs;
  } catch {
    return false;
  }
}

function owner(path: string): string {
  try {
    return readFileSync(path, "utf8").trim() || "unknown";
  } catch {
    return "unknown";
  }
}

/** Options of `withFileLock`. */
export interface FileLockOptions {
  /** Called once when the lock is held by another process and this one starts waiting. */
  onWait?: () => void;
  /** Give up after this long (default 10 minutes). */
  timeoutMs?: number;
  /** A lock older than this is taken over (default 10 minutes). */
  maxAgeMs?: number;
  /** Polling interval (default 100 ms). */
  pollMs?: number;
}

/** Runs `fn` while holding the lock file `path` (created, then removed); waits while another process holds it. */
export async function withFileLock<T>(path: string, fn: () => Promise<T>, o: FileLockOptions = {}): Promise<T> {
  const timeoutMs = o.timeoutMs ?? 10 * 60_000;
  const maxAgeMs = o.maxAgeMs ?? 10 * 60_000;
  const deadline = Date.now() + timeoutMs;
  let waiting = false;
  for (;;) {
    try {
      const fd = openSync(path, "wx");
      try {
        writeSync(fd, String(process.pid));
      } finally {
        closeSync(fd);
      }
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    if (abandoned(path, maxAgeMs)) {
      rmSync(path, { force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new BnlabError(`${path} is held by another process (PID ${owner(path)}) for more than ${Math.round(timeoutMs / 1000)} s; remove the file if that process is not running`);
    }
    if (!waiting) o.onWait?.();
    waiting = true;
    await new Promise((r) => setTimeout(r, o.pollMs ?? 100));
  }
  try {
    return await fn();
  } finally {
    rmSync(path, { force: true });
  }
}
