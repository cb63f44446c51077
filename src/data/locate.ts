/**
 * Where the data comes from: an explicit folder, then `BNLAB_DATA`, then the
 * cache folder (where `bnlab data download` puts it).
 */
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { BnlabError, DataFormatError } from "../core/errors.js";
import { findCifar10, type Cifar10Kind, type Cifar10Location } from "./cifar10.js";

/**
 * bnlab's cache folder: `$XDG_CACHE_HOME/bnlab` or `~/.cache/bnlab` on Linux and
 * other Unixes, `~/Library/Caches/bnlab` on macOS, `%LOCALAPPDATA%\bnlab\Cache` on Windows.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  if (platform === "win32") {
    const base = env.LOCALAPPDATA ?? join(homedir(), "AppData", "Local");
    return join(base, "bnlab", "Cache");
  }
  if (platform === "darwin") return join(homedir(), "Library", "Caches", "bnlab");
  const xdg = env.XDG_CACHE_HOME;
  return join(xdg !== undefined && xdg.length > 0 ? xdg : join(homedir(), ".cache"), "bnlab");
}

/** A resolved dataset: where it is and which rule found it. */
export interface ResolvedData {
  location: Cifar10Location;
  /** The folder that was searched. */
  dir: string;
  from: "option" | "env" | "cache";
}

/** Options of `resolveDataDir`: an explicit folder, the layout to prefer, the environment to read. */
export interface ResolveOptions {
  /** An explicit folder (the CLI's `--data DIR`); searched only, no fallback. */
  dir?: string | undefined;
  /** Prefer this layout when a folder holds both. */
  layout?: Cifar10Kind;
  env?: NodeJS.ProcessEnv;
  /** How the messages name `dir` (default `--data`; `bnlab data info` says `--dir`). */
  option?: string;
}

/**
 * Finds CIFAR-10 by the resolution order: `dir`, then `BNLAB_DATA`, then the
 * cache folder. An explicit `dir` or `BNLAB_DATA` that holds no dataset is an
 * error (the user asked for it); an empty cache gives null.
 */
export function resolveDataDir(options: ResolveOptions = {}): ResolvedData | null {
  const env = options.env ?? process.env;
  const explicit: [string, ResolvedData["from"], string][] = [];
  if (options.dir !== undefined) explicit.push([options.dir, "option", options.option ?? "--data"]);
  else if (env.BNLAB_DATA !== undefined && env.BNLAB_DATA.length > 0) explicit.push([env.BNLAB_DATA, "env", "BNLAB_DATA"]);
  for (const [dir, from, name] of explicit) {
    const location = findCifar10(dir, options.layout);
    if (location === null) {
      throw new DataFormatError(
        resolve(dir),
        `no CIFAR-10 here (from ${name}): expected a cifar-10-batches-bin/ or cifar-10-batches-py/ folder, ` +
          "or cifar-10-binary.tar.gz / cifar-10-python.tar.gz",
      );
    }
    return { location, dir: resolve(dir), from };
  }
  const cache = cacheDir(env);
  const location = findCifar10(cache, options.layout);
  return location === null ? null : { location, dir: cache, from: "cache" };
}

/** The paragraph the CLI prints when no dataset is found. */
export function noDataMessage(env: NodeJS.ProcessEnv = process.env): string {
  const envNote = env.BNLAB_DATA !== undefined && env.BNLAB_DATA.length > 0 ? "" : "BNLAB_DATA is not set and ";
  return (
    `No CIFAR-10 dataset found (${envNote}the cache folder ${cacheDir(env)} holds none). ` +
    "Point bnlab at a folder holding cifar-10-batches-bin/ or cifar-10-batches-py/ (or the downloaded .tar.gz) " +
    "with --data DIR, fetch the official archive (170 MB) into the cache with `bnlab data download`, " +
    "or run on generated CIFAR-shaped data with --synthetic."
  );
}

/** Thrown when no dataset is found; its message is `noDataMessage()`. */
export class NoDataError extends BnlabError {
  constructor(env: NodeJS.ProcessEnv = process.env) {
    super(noDataMessage(env), 1);
    this.name = "NoDataError";
  }
}
