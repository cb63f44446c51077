/**
 * `--out DIR` checked before any work starts: the folder must exist and be
 * writable, or be creatable. A file in its place, a read-only or pseudo file
 * system (/proc, /sys) or a missing permission gives one line naming `--out`
 * (exit code 2) instead of a stack trace after minutes of training.
 */
import { accessSync, constants, mkdirSync, rmdirSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, resolve, sep } from "node:path";
import { BnlabError } from "../src/node.js";

function outError(option: string, path: string, found: string): BnlabError {
  return new BnlabError(`invalid ${option}: expected a folder bnlab can create or write into, got ${path} (${found})`, 2);
}

function kind(path: string): string | null {
  try {
    return statSync(path).isDirectory() ? "dir" : "file";
  } catch {
    return null;
  }
}

/**
 * Resolves `path` and checks it can hold the output. Creates nothing: when the
 * folder is missing, the first missing component is created and removed again
 * (a probe without `recursive`, which loops forever on /proc in Node 20).
 * Returns the absolute path.
 */
export function checkOutDir(path: string, option = "--out"): string {
  // NOTE: resolve("") is the current folder; an empty --out (e.g. an unset shell variable) must not write there.
  if (path.trim() === "") throw outError(option, JSON.stringify(path), "an empty path");
  const abs = resolve(path);
  // NOTE: a report folder is written beside itself and swapped in whole (src/report/report-dir.ts);
  // swapping the current folder (or one above it, or the home folder) would pull it from under the shell.
  const cwd = process.cwd();
  if (abs === cwd || cwd.startsWith(abs.endsWith(sep) ? abs : abs + sep) || abs === homedir()) {
    throw outError(option, abs, abs === homedir() ? "the home folder" : "the current folder or one above it; choose a folder of its own, e.g. ./bnlab-report");
  }
  let existing = abs;
  let firstMissing: string | null = null;
  while (kind(existing) === null) {
    const parent = dirname(existing);
    if (parent === existing) break;
    firstMissing = existing;
    existing = parent;
  }
  const k = kind(existing);
  if (k === "file") {
    throw outError(option, abs, existing === abs ? "a file, not a folder" : `${existing} is a file, not a folder`);
  }
  if (firstMissing === null) {
    try {
      accessSync(abs, constants.W_OK | constants.X_OK);
    } catch {
      throw outError(option, abs, "a folder without write permission");
    }
    try {
      accessSync(dirname(abs), constants.W_OK | constants.X_OK);
    } catch {
      throw outError(option, abs, `its parent ${dirname(abs)} is not writable, and the report is written beside the folder, then swapped in`);
    }
    return abs;
  }
  try {
    mkdirSync(firstMissing);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw outError(option, abs, `cannot create ${firstMissing}: ${code}`);
  }
  rmdirSync(firstMissing);
  return abs;
}
