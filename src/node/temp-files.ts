/**
 * The temporary files of atomic writes (`writeFileAtomic`, `writeFileDurable`): one naming
 * scheme, `<path>.tmp-<pid>-<random>`, so that the temporaries a killed process left can be
 * told from those of a writer still at work and removed.
 */
import { readdirSync, rmSync } from "node:fs";
import { join } from "node:path";

/** A fresh temporary name beside `path`, naming this process. */
export function tempPathFor(path: string): string {
  return `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
}

/** Whether process `pid` exists on this machine (one we may not signal counts as existing). */
export function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes the temporaries (`tempPathFor`) in `dir` whose process is gone.
 * NOTE: only for folders written from this machine: a pid of another host means nothing here.
 */
export function removeDeadTemps(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /\.tmp-(\d+)-[0-9a-z]*$/.exec(name);
    if (m !== null && !processAlive(Number(m[1]))) rmSync(join(dir, name), { force: true });
  }
}
