/**
 * Writing a report folder whole or not at all.
 *
 * Every file is written into a staging folder beside the target
 * (`.<name>.bnlab-new-<pid>-<tag>`), then swapped in with two renames: the old
 * folder to a backup (`.<name>.bnlab-old-<pid>-<tag>`), the staging folder to the
 * target. Entries of the old folder that the new report does not write (a user's
 * notes, another command's output) are then moved over from the backup, which is
 * removed. A reader sees the old report or the new one, never new figures beside
 * an old results.json.
 *
 * Whatever fails (a full disk, a permission, a kill), nothing is left half done:
 * a failure before the swap removes the staging folder; one during the swap rolls
 * back; a process killed at any point leaves temporaries named with its pid, which
 * the next write into the same place finishes or removes (a backup is merged back
 * into the target, so no file of the old folder is ever lost). Errors are one
 * `ReportWriteError` line naming the folder and the problem.
 */
import { randomBytes } from "node:crypto";
import { lstatSync, mkdirSync, readdirSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve, sep } from "node:path";
import { BnlabError } from "../core/errors.js";
import { processAlive, removeDeadTemps } from "../node/temp-files.js";

/** One file of a report: a path relative to the report folder ("figures/a.svg") and its bytes. */
export interface ReportFile {
  path: string;
  data: string | Uint8Array;
}

/** A report folder that could not be written; nothing of it was changed. */
export class ReportWriteError extends BnlabError {
  readonly dir: string;
  constructor(dir: string, problem: string) {
    super(`cannot write the report to ${dir}: ${problem}`, 1);
    this.name = "ReportWriteError";
    this.dir = dir;
  }
}

/** Options of `writeReportDir`. */
export interface WriteReportDirOptions {
  /** Writes one file (default `fs.writeFileSync`); tests inject failures (ENOSPC) here. */
  writeFile?: (path: string, data: string | Uint8Array) => void;
}

const STAGING = "bnlab-new";
const BACKUP = "bnlab-old";

function kindOf(path: string): "file" | "dir" | null {
  try {
    return lstatSync(path).isDirectory() ? "dir" : "file";
  } catch {
    return null;
  }
}


/** Why an fs error happened, in words a user can act on. */
function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const where = e.path !== undefined ? ` (${e.path})` : "";
  switch (e.code) {
    case "ENOSPC":
      return `the disk is full${where}`;
    case "EDQUOT":
      return `the disk quota is exceeded${where}`;
    case "EACCES":
    case "EPERM":
      return `permission denied${where}`;
    case "EROFS":
      return `the file system is read-only${where}`;
    case "EISDIR":
      return `a folder is in the way${where}`;
    case "ENOTDIR":
      return `a file is in the way${where}`;
    default:
      return e.code !== undefined ? `${e.code}${where}` : err instanceof Error ? err.message : String(err);
  }
}

/**
 * Moves every entry of `from` that `to` lacks into `to` (recursing into folders
 * both have), so the old folder's other files survive the swap; then removes `from`.
 * The new report's own files win.
 */
function mergeInto(from: string, to: string): void {
  for (const name of readdirSync(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const k = kindOf(dst);
    if (k === null) renameSync(src, dst);
    else if (k === "dir" && kindOf(src) === "dir") mergeInto(src, dst);
  }
  rmSync(from, { recursive: true, force: true });
}

/**
 * Finishes or undoes what a killed writer left of the report folder `dir`: its
 * staging folders are removed, a backup is renamed back (when the folder is
 * missing) or merged into it, half-written `*.tmp-<pid>-…` files are removed.
 * Only temporaries of processes that are gone are touched. `writeReportDir`
 * does this first; a reader may call it before reading.
 */
export function recoverReportDir(dir: string): void {
  recoverStale(resolve(dir));
}

function recoverStale(target: string): void {
  const parent = dirname(target);
  const prefix = `.${basename(target)}.`;
  let names: string[];
  try {
    names = readdirSync(parent);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const m = /^(bnlab-new|bnlab-old)-(\d+)-[0-9a-f]+$/.exec(name.slice(prefix.length));
    if (m === null) continue;
    const pid = Number(m[2]);
    if (processAlive(pid)) continue;
    const path = join(parent, name);
    if (m[1] === STAGING) rmSync(path, { recursive: true, force: true });
    else if (kindOf(target) === null) renameSync(path, target); // killed between the two renames: the old report comes back
    else mergeInto(path, target); // killed while moving the old folder's other files over: finish that
  }
  // Half-written files of writeFileAtomic (`name.tmp-<pid>-…`) from a killed process.
  for (const dir of [target, join(target, "figures")]) {
    if (kindOf(dir) === "dir") removeDeadTemps(dir);
  }
}

/** Refuses relative paths that leave the folder, and entries of the old folder of the wrong kind. */
function checkPaths(target: string, files: readonly ReportFile[]): void {
  const seen = new Set<string>();
  for (const f of files) {
    const parts = f.path.split(/[\\/]/);
    if (f.path === "" || parts.some((p) => p === "" || p === "." || p === "..")) throw new Error(`writeReportDir: bad relative path ${JSON.stringify(f.path)}`);
    if (seen.has(f.path)) throw new Error(`writeReportDir: ${f.path} given twice`);
    seen.add(f.path);
    // NOTE: the swap would replace a folder named like one of the report's files (and a file
    // named like one of its folders) without a word; such an entry is the user's, so refuse.
    for (let i = 1; i <= parts.length; i++) {
      const rel = parts.slice(0, i).join(sep);
      const k = kindOf(join(target, rel));
      const want = i === parts.length ? "file" : "dir";
      if (k !== null && k !== want) {
        throw new ReportWriteError(target, `${rel} there is a ${k === "dir" ? "folder" : "file"}, where the report writes a ${want === "dir" ? "folder" : "file"} (move it away or choose another folder)`);
      }
    }
  }
}

/**
 * Writes `files` as the report folder `dir`, whole or not at all (see the module
 * comment). Entries of an existing `dir` that `files` do not name are kept.
 * Throws `ReportWriteError` (nothing changed) when it cannot.
 */
export function writeReportDir(dir: string, files: readonly ReportFile[], options: WriteReportDirOptions = {}): void {
  let target = resolve(dir);
  // NOTE: a folder reached through a symlink is swapped where it really is; renaming the link
  // itself would move the linked folder's files out of it.
  if (kindOf(target) === "file" && statSync(target, { throwIfNoEntry: false })?.isDirectory() === true) target = realpathSync(target);
  const writeFile = options.writeFile ?? writeFileSync;
  const parent = dirname(target);
  if (parent === target) throw new ReportWriteError(target, "the root folder cannot be a report folder");
  try {
    mkdirSync(parent, { recursive: true });
  } catch (err) {
    throw new ReportWriteError(target, `cannot create ${parent}: ${describe(err)}`);
  }
  if (kindOf(target) === "file") throw new ReportWriteError(target, "it is a file, not a folder");
  try {
    recoverStale(target);
  } catch (err) {
    throw new ReportWriteError(target, `cannot tidy up after an earlier interrupted write: ${describe(err)}`);
  }
  checkPaths(target, files);
  const tag = `${process.pid}-${randomBytes(4).toString("hex")}`;
  const staging = join(parent, `.${basename(target)}.${STAGING}-${tag}`);
  const backup = join(parent, `.${basename(target)}.${BACKUP}-${tag}`);
  try {
    mkdirSync(staging);
    for (const f of files) {
      const path = join(staging, f.path);
      mkdirSync(dirname(path), { recursive: true });
      writeFile(path, f.data);
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new ReportWriteError(target, describe(err));
  }
  const hadOld = kindOf(target) === "dir";
  try {
    if (hadOld) renameSync(target, backup);
    try {
      renameSync(staging, target);
    } catch (err) {
      if (hadOld) renameSync(backup, target);
      throw err;
    }
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw new ReportWriteError(target, describe(err));
  }
  if (hadOld) {
    try {
      mergeInto(backup, target);
    } catch (err) {
      // NOTE: the new report is in place; what could not be moved over stays in the backup,
      // which the next write merges again. Say so rather than lose or hide it.
      throw new ReportWriteError(target, `the report was written, but the folder's other files could not all be moved back from ${backup}: ${describe(err)}`);
    }
  }
}
