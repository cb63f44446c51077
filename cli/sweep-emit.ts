/**
 * `bnlab sweep --emit slurm|k8s`: the same sweep as an array job on a cluster
 * scheduler. Every task runs `bnlab sweep … --shard env` into the same output folder;
 * `bnlab sweep merge OUT` then assembles the result (docs/cluster.md).
 */
import { existsSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { OptionError } from "../src/node.js";
import type { SweepFlags } from "./commands/sweep.js";

/** The flags only --emit reads. */
export interface EmitFlags {
  tasks: number;
  image: string;
}

/** POSIX shell quoting. */
function sh(s: string): string {
  return /^[A-Za-z0-9_./:=,+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The sweep's own flags (not --emit's), with --out absolute: what every task runs. */
export function sweepArgs(f: SweepFlags, outDir: string): string[] {
  const a = [
    "--hidden", f.hidden.join(","),
    "--normalizations", f.normalizations.join(","),
    "--min-exp", String(f.minExp),
    "--max-exp", String(f.maxExp),
    "--num-scales", String(f.numScales),
    "--lr", String(f.lr),
    "--update-rule", f.updateRule,
    "--epochs", String(f.epochs),
    "--batch-size", String(f.batchSize),
    "--num-train", String(f.numTrain),
    "--num-val", String(f.numVal),
    "--seed", String(f.seed),
    "--out", isAbsolute(outDir) ? outDir : resolve(outDir),
  ];
  if (f.data !== undefined) a.push("--data", resolve(f.data));
  if (f.synthetic === true) a.push("--synthetic");
  if (f.fallbackSynthetic === true) a.push("--fallback-synthetic");
  if (!f.download) a.push("--no-download");
  if (f.jobs !== undefined) a.push("--jobs", String(f.jobs));
  if (f.groups !== undefined) a.push("--groups", String(f.groups));
  if (f.rMax !== undefined) a.push("--r-max", String(f.rMax));
  if (f.dMax !== undefined) a.push("--d-max", String(f.dMax));
  return a;
}

/** The script or manifest for `flags.emit`. */
export function emitSweep(flags: SweepFlags, outDir: string): string {
  if (flags.shard !== undefined) throw new OptionError("--emit", "no --shard (each task gets its shard from the scheduler)", flags.shard);
  const args = sweepArgs(flags, outDir);
  if (flags.resume === true) args.push("--resume");
  const n = flags.tasks;
  const cpus = flags.jobs ?? 1;
  const out = args[args.indexOf("--out") + 1]!;
  if (flags.emit === "slurm") {
    // NOTE: this file is cli/sweep-emit.ts in a clone, dist/cli/sweep-emit.js when compiled.
    const up = (n: string): string => join(fileURLToPath(new URL(n, import.meta.url)), "bin", "bnlab.js");
    const bin = existsSync(up("..")) ? up("..") : up("../..");
    return [
      "#!/bin/bash",
      "#SBATCH --job-name=bnlab-sweep",
      `#SBATCH --array=0-${n - 1}`,
      "#SBATCH --ntasks=1",
      `#SBATCH --cpus-per-task=${cpus}`,
      `# bnlab sweep in ${n} shards into ${out}: array task K runs the jobs whose index mod ${n} = K,`,
      "# K = (SLURM_ARRAY_TASK_ID - SLURM_ARRAY_TASK_MIN) / SLURM_ARRAY_TASK_STEP (any --array offset).",
      "# Rerun a failed task with --resume added; when all are done: bnlab sweep merge " + sh(out),
      "set -euo pipefail",
      `exec ${sh(process.execPath)} ${sh(bin)} sweep ${args.map(sh).join(" ")} --shard env`,
      "",
    ].join("\n");
  }
  if (flags.emit === "k8s") {
    const command = ["bnlab", "sweep", ...args, "--shard", "env", "--shard-count", String(n)];
    const q = (s: string): string => JSON.stringify(s);
    return [
      "# bnlab sweep as a Kubernetes Indexed Job: pod K (JOB_COMPLETION_INDEX) runs shard K of " + n + ".",
      `# ${out} must be shared by every pod (the PersistentVolumeClaim bnlab-sweep-results, ReadWriteMany);`,
      "# the image must have bnlab on its PATH. When the Job completes: bnlab sweep merge " + out,
      "apiVersion: batch/v1",
      "kind: Job",
      "metadata:",
      "  name: bnlab-sweep",
      "spec:",
      `  completions: ${n}`,
      `  parallelism: ${n}`,
      "  completionMode: Indexed",
      "  backoffLimitPerIndex: 2",
      "  template:",
      "    spec:",
      "      restartPolicy: Never",
      "      containers:",
      "        - name: sweep",
      `          image: ${q(flags.image)}`,
      `          command: [${command.map(q).join(", ")}]`,
      "          resources:",
      `            requests: { cpu: ${q(String(cpus))} }`,
      "          volumeMounts:",
      `            - { name: results, mountPath: ${q(out)} }`,
      "      volumes:",
      "        - name: results",
      "          persistentVolumeClaim: { claimName: bnlab-sweep-results }",
      "",
    ].join("\n");
  }
  throw new OptionError("--emit", '"slurm" or "k8s"', flags.emit);
}
