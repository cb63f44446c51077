/**
 * src/node/file-lock.ts: the lock `bnlab serve` takes around building the playground, so that two
 * builds started together do not swap web/dist under each other's servers.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { BnlabError, withFileLock } from "../src/node.js";

const dir = mkdtempSync(join(tmpdir(), "bnlab-lock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("withFileLock", () => {
  it("runs two holders one after the other; the second waits, and the file is gone afterwards", async () => {
    const path = join(dir, "a.lock");
    const events: string[] = [];
    let waited = 0;
    const holder = (name: string) => async (): Promise<string> => {
      events.push(`${name} in`);
      expect(existsSync(path)).toBe(true);
      await sleep(150);
      events.push(`${name} out`);
      return name;
    };
    const first = withFileLock(path, holder("first"), { pollMs: 10 });
    await sleep(20);
    const second = withFileLock(path, holder("second"), { pollMs: 10, onWait: () => waited++ });
    expect(await Promise.all([first, second])).toEqual(["first", "second"]);
    expect(events).toEqual(["first in", "first out", "second in", "second out"]);
    expect(waited).toBe(1);
    expect(existsSync(path)).toBe(false);
  });

  it("releases the lock when the holder throws", async () => {
    const path = join(dir, "b.lock");
    await expect(withFileLock(path, async () => Promise.reject(new Error("build failed")))).rejects.toThrow("build failed");
    expect(existsSync(path)).toBe(false);
    expect(await withFileLock(path, async () => 7)).toBe(7);
  });

  it("takes over a lock whose process is gone, without waiting", async () => {
    const path = join(dir, "c.lock");
    const gone = spawnSync(process.execPath, ["-e", "0"]).pid!;
    writeFileSync(path, String(gone));
    let waited = false;
    expect(await withFileLock(path, async () => "ran", { onWait: () => (waited = true) })).toBe("ran");
    expect(waited).toBe(false);
  });

  it("gives up on a lock a live process holds past the timeout, naming the file and the PID", async () => {
    const path = join(dir, "d.lock");
    writeFileSync(path, String(process.ppid));
    const err = await withFileLock(path, async () => "never", { timeoutMs: 200, pollMs: 20 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BnlabError);
    expect((err as Error).message).toContain(path);
    expect((err as Error).message).toContain(`PID ${process.ppid}`);
    // Not ours: left in place.
    expect(existsSync(path)).toBe(true);
  });
});
