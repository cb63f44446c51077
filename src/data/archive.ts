/**
 * Reading `.tar.gz` archives safely, synchronously and in memory.
 *
 * Every entry is checked before anything is used: only regular files and
 * directories are accepted; symlinks, hard links, devices, absolute paths,
 * drive letters, backslashes and `..` segments make the whole archive refused.
 * The caller then decides what to write, and where (see `extractSafely`).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { isAbsolute, join, relative, resolve, sep } from "node:path";
import * as tar from "tar";
import { BnlabError, DataFormatError } from "../core/errors.js";

const ALLOWED_TYPES = new Set(["File", "OldFile", "ContiguousFile", "Directory"]);

/**
 * Why `path` (an archive entry name) is unsafe, or null when it is a plain
 * relative path that stays inside the folder it is extracted to.
 */
export function unsafePathReason(path: string): string | null {
  if (path.length === 0) return "an empty name";
  if (path.includes("\0")) return "a NUL byte in its name";
  if (path.includes("\\")) return "a backslash in its name";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path) || isAbsolute(path)) return "an absolute path";
  if (path.split("/").includes("..")) return "a '..' segment";
  return null;
}

/** Normalises an entry name: drops a leading `./` and trailing slashes. */
function normaliseEntry(path: string): string {
  let p = path;
  while (p.startsWith("./")) p = p.slice(2);
  return p.replace(/\/+$/, "");
}

export interface TarContents {
  /** Regular files by normalised entry path (a copy of their bytes). */
  files: Map<string, Buffer>;
  /** Directory entries by normalised path. */
  dirs: Set<string>;
}

/**
 * Reads every entry of a (gzipped or plain) tar archive. `want(path)` decides
 * which regular files' bytes are kept (all by default); every entry is still
 * checked. Throws `DataFormatError` naming the archive for an unreadable or
 * unsafe archive.
 */
export function readTar(archive: string, want: (path: string) => boolean = () => true): TarContents {
  const files = new Map<string, Buffer>();
  const dirs = new Set<string>();
  let refusal: string | null = null;
  const onReadEntry = (entry: tar.ReadEntry): void => {
    if (refusal !== null) return;
    const raw = entry.path;
    const why = unsafePathReason(raw);
    if (why !== null) {
      refusal = `refusing entry "${raw}": it has ${why}`;
      return;
    }
    if (!ALLOWED_TYPES.has(entry.type)) {
      refusal = `refusing entry "${raw}": it is a ${entry.type}, only regular files and folders are accepted`;
      return;
    }
    const path = normaliseEntry(raw);
    if (entry.type === "Directory") {
      dirs.add(path);
      return;
    }
    if (!want(path)) return;
    // NOTE: tar reuses its read buffer between chunks, so copy each chunk at once.
    const out = Buffer.allocUnsafe(entry.size);
    let filled = 0;
    entry.on("data", (chunk: Buffer) => {
      const n = Math.min(chunk.length, out.length - filled);
      chunk.copy(out, filled, 0, n);
      filled += n;
    });
    entry.on("end", () => {
      if (filled === out.length) files.set(path, out);
    });
  };
  try {
    tar.t({ file: archive, sync: true, strict: true, onReadEntry });
  } catch (err) {
    if (err instanceof BnlabError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new DataFormatError(archive, `unreadable archive: ${msg}`);
  }
  if (refusal !== null) throw new DataFormatError(archive, refusal);
  return { files, dirs };
}

/**
 * Extracts an archive's regular files and folders into `dest` (which must
 * exist and should be a fresh temporary folder). Every path is checked twice:
 * by name (`unsafePathReason`) and by where it resolves (inside `dest`).
 */
export function extractSafely(archive: string, dest: string): void {
  const { files, dirs } = readTar(archive);
  const root = resolve(dest);
  const target = (p: string): string => {
    const abs = resolve(root, p);
    const rel = relative(root, abs);
    if (rel === "" || rel.startsWith(`..${sep}`) || rel === ".." || isAbsolute(rel)) {
      throw new DataFormatError(archive, `refusing entry "${p}": it resolves outside the target folder`);
    }
    return abs;
  };
  for (const d of dirs) if (d !== "") mkdirSync(target(d), { recursive: true });
  for (const [p, bytes] of files) {
    const abs = target(p);
    mkdirSync(join(abs, ".."), { recursive: true });
    writeFileSync(abs, bytes, { flag: "wx" });
  }
}
