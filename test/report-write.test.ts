/**
 * The write phase: a report folder appears whole or not at all. Failures while
 * writing (a full disk, a folder where a file goes, a forbidden place) give one
 * ReportWriteError line and leave the old folder as it was with no temporaries; a
 * writer killed at any moment leaves the old or the new report, never a mix,
 * and the next write tidies up after it. The folder's other files are kept.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { ReportWriteError, recoverReportDir, writeReportDir, type ReportFile } from "../src/report/write.js";
import { captureCliOutput } from "./helpers/cli-capture.js";

const tmp = mkdtempSync(join(tmpdir(), "bnlab-write-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const io = captureCliOutput();

/** Every file under `dir` with its contents (sorted paths). */
function tree(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p, "latin1");
    }
  };
  walk(dir);
  return out;
}

const report = (tag: string): ReportFile[] => [
  { path: "figures/a.svg", data: `svg ${tag}` },
  { path: "figures/a.png", data: new Uint8Array([1, 2, 3, tag.length]) },
  { path: "results.json", data: `{"tag":"${tag}"}` },
  { path: "report.html", data: `<p>${tag}</p>` },
];

/** A parent folder holding an old report (tag "old") and a user's own files beside it. */
function oldReport(name: string): { parent: string; dir: string; before: Record<string, string> } {
  const parent = join(tmp, name);
  const dir = join(parent, "out");
  mkdirSync(parent);
  writeReportDir(dir, report("old"));
  writeFileSync(join(dir, "notes.txt"), "mine");
  writeFileSync(join(dir, "figures", "my-plot.png"), "mine too");
  return { parent, dir, before: tree(dir) };
}

function thrown(f: () => void): Error {
  try {
    f();
  } catch (e) {
    return e as Error;
  }
  throw new Error("expected a failure");
}

describe("writeReportDir", () => {
  it("writes a new folder, leaving nothing beside it", () => {
    const parent = join(tmp, "fresh");
    writeReportDir(join(parent, "out"), report("new"));
    expect(readdirSync(parent)).toEqual(["out"]);
    expect(Object.keys(tree(join(parent, "out")))).toEqual(["figures/a.png", "figures/a.svg", "report.html", "results.json"]);
  });

  it("replaces the report's files and keeps the folder's other files", () => {
    const { parent, dir } = oldReport("replace");
    writeReportDir(dir, report("new"));
    const t = tree(dir);
    expect(t["results.json"]).toBe('{"tag":"new"}');
    expect(t["figures/a.svg"]).toBe("svg new");
    expect(t["notes.txt"]).toBe("mine");
    expect(t["figures/my-plot.png"]).toBe("mine too");
    expect(readdirSync(parent)).toEqual(["out"]);
  });

  it.each([
    ["ENOSPC", /the disk is full/],
    ["EACCES", /permission denied/],
  ])("a writer failing with %s: one ReportWriteError, the old report untouched, no temporaries", (code, message) => {
    const { parent, dir, before } = oldReport(`fail-${code}`);
    let n = 0;
    const err = thrown(() =>
      writeReportDir(dir, report("new"), {
        writeFile: (path, data) => {
          if (++n === 3) throw Object.assign(new Error(`${code}: simulated`), { code, path });
          writeFileSync(path, data);
        },
      }),
    );
    expect(err).toBeInstanceOf(ReportWriteError);
    expect(err.message).toMatch(new RegExp(`^cannot write the report to ${dir}: ${message.source}`));
    expect(err.message).not.toContain("\n");
    expect(tree(dir)).toEqual(before);
    expect(readdirSync(parent)).toEqual(["out"]);
  });

  it.each([
    ["results.json", "a folder", (dir: string) => mkdirSync(join(dir, "results.json"))],
    ["figures", "a file", (dir: string) => writeFileSync(join(dir, "figures"), "a file")],
    ["report.html", "a folder", (dir: string) => mkdirSync(join(dir, "report.html"))],
  ])("%s that is %s is refused, nothing changed", (name, _what, make) => {
    const parent = join(tmp, `kind-${name}`);
    const dir = join(parent, "out");
    mkdirSync(dir, { recursive: true });
    make(dir);
    writeFileSync(join(dir, "keep.txt"), "keep");
    const before = readdirSync(dir).sort();
    const err = thrown(() => writeReportDir(dir, report("new")));
    expect(err).toBeInstanceOf(ReportWriteError);
    expect(err.message).toMatch(new RegExp(`${name.replace(".", "\\.")} there is a (folder|file), where the report writes a`));
    expect(readdirSync(dir).sort()).toEqual(before);
    expect(readdirSync(parent)).toEqual(["out"]);
  });

  it.skipIf(process.platform !== "linux")("a forbidden place (/proc) is one clear error", () => {
    const err = thrown(() => writeReportDir("/proc/bnlab-report-test", report("new")));
    expect(err).toBeInstanceOf(ReportWriteError);
    expect(err.message).toMatch(/^cannot write the report to \/proc\/bnlab-report-test: /);
  });

  it("tidies up after a killed writer: staging removed, a backup restored or merged, *.tmp-* removed", () => {
    const dead = 4_999_999; // above any pid_max: never alive
    // Killed between the two renames: the folder is missing, the old report is in the backup.
    const a = oldReport("stale-restore");
    const backup = join(a.parent, `.out.bnlab-old-${dead}-0badf00d`);
    renameSync(a.dir, backup);
    mkdirSync(join(a.parent, `.out.bnlab-new-${dead}-0badf00d`));
    recoverReportDir(a.dir);
    expect(tree(a.dir)).toEqual(a.before);
    expect(readdirSync(a.parent)).toEqual(["out"]);
    // Killed while moving the old folder's other files over: they are moved, the new report stays.
    const b = oldReport("stale-merge");
    const b2 = join(b.parent, `.out.bnlab-old-${dead}-cafe0001`);
    mkdirSync(join(b2, "figures"), { recursive: true });
    writeFileSync(join(b2, "late.txt"), "moved late");
    writeFileSync(join(b2, "results.json"), "stale old copy");
    writeFileSync(join(b2, "figures", "late.png"), "late fig");
    writeFileSync(join(b.dir, `results.json.tmp-${dead}-abc123`), "half");
    writeReportDir(b.dir, report("new"));
    const t = tree(b.dir);
    expect(t["late.txt"]).toBe("moved late");
    expect(t["figures/late.png"]).toBe("late fig");
    expect(t["results.json"]).toBe('{"tag":"new"}');
    expect(Object.keys(t).some((k) => k.includes(".tmp-"))).toBe(false);
    expect(readdirSync(b.parent)).toEqual(["out"]);
  });

  it("a writer killed (SIGKILL or SIGINT) at any moment leaves one whole generation", async () => {
    const dir = join(tmp, "killed", "out");
    for (const [i, signal] of (["SIGKILL", "SIGINT", "SIGKILL", "SIGINT", "SIGKILL"] as const).entries()) {
      const child = spawn(process.execPath, ["--import", "tsx", fileURLToPath(new URL("./helpers/report-writer-child.ts", import.meta.url)), dir], { stdio: ["ignore", "pipe", "inherit"] });
      await new Promise<void>((ready) => child.stdout.once("data", () => ready()));
      await new Promise((r) => setTimeout(r, 30 + 37 * i));
      const exited = new Promise((r) => child.once("exit", r));
      child.kill(signal);
      await exited;
      recoverReportDir(dir);
      const t = tree(dir);
      expect(Object.keys(t)).toEqual(["figures/a.png", "figures/a.svg", "figures/b.svg", "report.html", "results.json"]);
      const stamps = new Set(Object.values(t).map((v) => v.split("\n")[0]));
      expect(stamps.size, `one generation after ${signal}`).toBe(1);
      expect(readdirSync(join(tmp, "killed"))).toEqual(["out"]);
    }
  }, 60_000);
});

describe("the commands", () => {
  it("train: a run.json that is a folder gives one line, exit 1, and the folder as it was", async () => {
    const out = join(tmp, "cli-train");
    mkdirSync(join(out, "run.json"), { recursive: true });
    const code = await main(["train", "--synthetic", "--hidden", "8", "--epochs", "1", "--num-train", "50", "--num-val", "20", "--out", out]);
    expect(code).toBe(1);
    expect(io.stderr).toMatch(/error: cannot write the report to .*cli-train: run\.json there is a folder, where the report writes a file/);
    expect(io.stderr).not.toMatch(/\n\s+at /);
    expect(readdirSync(out)).toEqual(["run.json"]);
    expect(readdirSync(tmp).filter((n) => n.startsWith(".cli-train"))).toEqual([]);
  });

  it("--out the current folder is refused (it would be swapped from under the shell)", async () => {
    expect(await main(["train", "--synthetic", "--out", "."])).toBe(2);
    expect(io.stderr).toMatch(/invalid --out: .*the current folder or one above it/);
    expect(existsSync(join(process.cwd(), "run.json"))).toBe(false);
  });
});
