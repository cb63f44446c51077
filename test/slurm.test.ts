/**
 * The sweep on a real scheduler: a one-node Slurm cluster on this machine (munged,
 * slurmctld and slurmd started directly as root, everything under a temporary folder,
 * on a private munge socket and private ports), the script `bnlab sweep --emit slurm`
 * prints submitted as a 4-task array (at an offset: --array=5-8), merged, and compared
 * with the single-machine run. The daemons are stopped at the end, also on failure.
 *
 * Skipped (with the reason) without root or Debian's slurmctld/slurmd/munge;
 * BNLAB_REQUIRE_SLURM=1 (.ci/run) makes that a failure instead.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { randomBytes } from "node:crypto";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../cli/main.js";
import { captureCliOutput } from "./helpers/cli-capture.js";

const BINARIES = ["/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch", "/usr/bin/sinfo"];

function skipReason(): string | null {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root (the daemons are started as root)";
  const missing = BINARIES.filter((b) => !existsSync(b));
  if (missing.length > 0) return `missing ${missing.join(", ")} (apt-get install slurmctld slurmd munge)`;
  if (spawnSync("id", ["munge"]).status !== 0) return "no munge user";
  return null;
}

const reason = skipReason();
if (reason !== null) {
  if (process.env["BNLAB_REQUIRE_SLURM"] === "1") throw new Error(`BNLAB_REQUIRE_SLURM=1 but the Slurm test cannot run: ${reason}`);
  console.warn(`[bnlab tests] Slurm test skipped: ${reason}`);
}

const io = captureCliOutput();

describe.skipIf(reason !== null)("bnlab sweep on a one-node Slurm cluster", () => {
  // NOTE: mode 755 folders: munged requires every folder above its socket to be searchable by all.
  const tmp = mkdtempSync(join(tmpdir(), "bnlab-slurm-"));
  chmodSync(tmp, 0o755);
  const pidFiles = [join(tmp, "slurmd.pid"), join(tmp, "slurmctld.pid"), join(tmp, "munge", "munged.pid")];
  /** Stops the daemons (slurmd, slurmctld, then munged) and waits until each has exited. */
  const stop = (): void => {
    for (const f of pidFiles) {
      if (!existsSync(f)) continue;
      const pid = Number(readFileSync(f, "utf8").trim());
      if (!(pid > 0)) continue;
      try {
        process.kill(pid, "SIGTERM");
      } catch {
        continue; // already gone
      }
      // NOTE: a daemon's exit may leave a zombie nobody reaps here: gone means no /proc entry or state Z.
      const alive = (): boolean => {
        try {
          return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
        } catch {
          return false;
        }
      };
      for (let t = 0; t < 100 && alive(); t++) spawnSync("sleep", ["0.1"]);
      rmSync(f, { force: true });
    }
  };
  afterAll(() => {
    stop();
    rmSync(tmp, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
  });

  it(
    "the emitted array script, 4 tasks, merges into the single-machine result",
    async () => {
      const log: string[] = [];
      const env = { ...process.env, SLURM_CONF: join(tmp, "slurm.conf") };
      const run = (cmd: string, args: string[], opts: { cwd?: string; user?: string } = {}): string => {
        const argv = opts.user === undefined ? [cmd, ...args] : ["runuser", "-u", opts.user, "--", cmd, ...args];
        return execFileSync(argv[0]!, argv.slice(1), { env, cwd: opts.cwd ?? tmp, encoding: "utf8", timeout: 120_000 });
      };
      // munge: a key of our own (owned by munge, 0400) and a private socket.
      const mungeDir = join(tmp, "munge");
      mkdirSync(mungeDir, { mode: 0o755 });
      const uid = Number(run("id", ["-u", "munge"]).trim());
      const gid = Number(run("id", ["-g", "munge"]).trim());
      const key = join(mungeDir, "munge.key");
      writeFileSync(key, randomBytes(1024), { mode: 0o400 });
      chownSync(key, uid, gid);
      chownSync(mungeDir, uid, gid);
      const socket = join(mungeDir, "munge.socket");
      run("/usr/sbin/munged", [`--key-file=${key}`, `--socket=${socket}`, `--pid-file=${pidFiles[2]}`, `--log-file=${join(mungeDir, "munged.log")}`, `--seed-file=${join(mungeDir, "munged.seed")}`], { user: "munge" });

      const host = hostname().split(".")[0]!;
      const cpus = Number(run("nproc", []).trim());
      const port = 20000 + Math.floor(Math.random() * 20000);
      mkdirSync(join(tmp, "state"));
      mkdirSync(join(tmp, "spool"));
      writeFileSync(
        env.SLURM_CONF,
        [
          "ClusterName=bnlabtest",
          `SlurmctldHost=${host}(127.0.0.1)`,
          "SlurmUser=root",
          "SlurmdUser=root",
          `SlurmctldPort=${port}`,
          `SlurmdPort=${port + 1}`,
          "AuthType=auth/munge",
          `AuthInfo=socket=${socket}`,
          "CredType=cred/munge",
          `StateSaveLocation=${join(tmp, "state")}`,
          `SlurmdSpoolDir=${join(tmp, "spool")}`,
          `SlurmctldPidFile=${pidFiles[1]}`,
          `SlurmdPidFile=${pidFiles[0]}`,
          `SlurmctldLogFile=${join(tmp, "slurmctld.log")}`,
          `SlurmdLogFile=${join(tmp, "slurmd.log")}`,
          "ProctrackType=proctrack/linuxproc",
          "TaskPlugin=task/none",
          "SelectType=select/cons_tres",
          "SelectTypeParameters=CR_CPU",
          "SchedulerType=sched/builtin",
          "JobAcctGatherType=jobacct_gather/none",
          "AccountingStorageType=accounting_storage/none",
          "MpiDefault=none",
          "ReturnToService=2",
          `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${cpus} State=UNKNOWN`,
          `PartitionName=debug Nodes=${host} Default=YES MaxTime=INFINITE State=UP`,
          "",
        ].join("\n"),
      );
      try {
        run("/usr/sbin/slurmctld", ["-i"]);
        run("/usr/sbin/slurmd", []);
        const t0 = Date.now();
        let state = "";
        while (Date.now() - t0 < 60_000) {
          state = run("sinfo", ["-h", "-o", "%T"]).trim();
          if (state === "idle") break;
          await new Promise((r) => setTimeout(r, 200));
        }
        expect(state).toBe("idle");
        log.push(`sinfo: node ${host} ${state} after ${((Date.now() - t0) / 1000).toFixed(1)} s (${cpus} CPUs)`);

        const flags = ["--synthetic", "--num-train", "100", "--num-val", "50", "--epochs", "2", "--batch-size", "25", "--hidden", "10,10", "--num-scales", "4", "--jobs", "1"];
        const shards = join(tmp, "shards");
        expect(await main(["sweep", ...flags, "--out", shards, "--emit", "slurm", "--tasks", "4"])).toBe(0);
        const script = join(tmp, "sweep.sbatch");
        writeFileSync(script, io.stdout);
        expect(io.stdout).toMatch(/#SBATCH --array=0-3/);
        // An offset array (ids 5..8): the shard is the id minus SLURM_ARRAY_TASK_MIN.
        const submitted = run("sbatch", ["--wait", "--array=5-8", script]);
        log.push(submitted.trim());
        const outs = readdirSync(tmp).filter((f) => /^slurm-\d+_\d+\.out$/.test(f)).sort();
        expect(outs).toHaveLength(4);
        for (const f of outs) log.push(`${f}: ${readFileSync(join(tmp, f), "utf8").trim().split("\n").filter((l) => l.startsWith("shard")).join(" ")}`);
        const jobFiles = readdirSync(join(shards, "jobs")).filter((f) => /^job-\d+\.json$/.test(f));
        expect(jobFiles).toHaveLength(8);
        const shardOf = jobFiles.map((f) => (JSON.parse(readFileSync(join(shards, "jobs", f), "utf8")) as { shard: string }).shard);
        expect(new Set(shardOf)).toEqual(new Set(["0/4", "1/4", "2/4", "3/4"]));

        expect(await main(["sweep", "merge", shards])).toBe(0);
        const whole = join(tmp, "whole");
        expect(await main(["sweep", ...flags, "--out", whole])).toBe(0);
        const strip = (dir: string): unknown => {
          const j = JSON.parse(readFileSync(join(dir, "sweep.json"), "utf8")) as { sweep: { points: Record<string, unknown>[] } };
          for (const p of j.sweep.points) delete p["seconds"];
          return j;
        };
        expect(strip(shards)).toEqual(strip(whole));
        expect(readFileSync(join(shards, "figures", "weight-scale-sweep.svg"), "utf8")).toBe(readFileSync(join(whole, "figures", "weight-scale-sweep.svg"), "utf8"));
        log.push("merged sweep.json equals the single-machine run's but for points[].seconds; the figure's SVG is byte-identical");
      } finally {
        stop();
        console.info(`[slurm]\n${log.join("\n")}`);
      }
    },
    180_000,
  );
});
