/**
 * `bnlab sweep`: the weight-scale sweep of cell 7 with its options; prints a
 * table and the written answer, writes the figure and sweep.json.
 *
 * Each finished job is written to OUT/jobs/ as it finishes (src/node/sweep-store.ts):
 * `--resume` skips the finished ones; `--shard K/N` runs one shard's jobs into that
 * shared folder and `bnlab sweep merge OUT` assembles them; `--emit slurm|k8s` prints
 * an array job that runs the same sweep in shards (cli/sweep-emit.ts; docs/cluster.md).
 */
import { join } from "node:path";
import type { Command } from "commander";
import { OptionError } from "../../src/node.js";
import { writeAnswer } from "../../src/node.js";
import { defaultJobs, runSweepJobs } from "../../src/node.js";
import { logspace, SEED_SCHEME, sweepResult, subsetData, getKernelPath, type SweepOptions } from "../../src/node.js";
import type { DatasetInfo, NormKind, SweepResult } from "../../src/node.js";
import { assembleSweep, inShard, jobsDir, makePlan, parseShard, readJobs, readPlan, shardCountOf, usePlan, writeJob } from "../../src/node.js";
import { encodeNonFinite } from "../../src/node.js";
import { NORM_LABELS, sweepSpec } from "../../src/node.js";
import { figureFiles, writeReportDir } from "../../src/node.js";
import { enableBackgroundChecks } from "../../src/node.js";
import { loadData } from "../data-source.js";
import { checkNetFits } from "../net-size.js";
import { checkOutDir } from "../out-dir.js";
import { NORM_CHOICES, intListOption, intOption, jobsOption, normListOption, numberOption } from "../options.js";
import { Progress } from "../progress.js";
import { emitSweep, type EmitFlags } from "../sweep-emit.js";
import { addTrainingFlags, checkRowFlags, normOptionsFromFlags, type TrainingFlags } from "../training-flags.js";

export interface SweepFlags extends TrainingFlags, EmitFlags {
  hidden: number[];
  normalizations: NormKind[];
  minExp: number;
  maxExp: number;
  numScales: number;
  jobs?: number;
  resume?: boolean;
  shard?: string;
  shardCount?: number;
  emit?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command("sweep")
    .description("train deep nets at many weight-initialization scales, with and without normalization (cell 7)")
    .option("--hidden <DIMS>", "hidden layer sizes, comma-separated", intListOption("--hidden"), [50, 50, 50, 50, 50, 50, 50])
    .option("--normalizations <LIST>", `comma-separated: ${NORM_CHOICES.join(", ")}`, normListOption("--normalizations"), ["batchnorm", "none"] as NormKind[])
    .option("--min-exp <E>", "smallest scale 10^E", numberOption("--min-exp", -12, 3, true), -4)
    .option("--max-exp <E>", "largest scale 10^E", numberOption("--max-exp", -12, 3, true), 0)
    .option("--num-scales <N>", "scales, log-spaced", intOption("--num-scales", 1, 1000), 20)
    .option("--jobs <N>", "worker threads (default: one per core)", jobsOption)
    .option("--resume", "skip the jobs already finished in OUT/jobs (after a kill)")
    .option("--shard <K/N>", 'run only shard K of N (0 <= K < N; jobs with index mod N = K) into OUT/jobs; "env": from SLURM_ARRAY_TASK_* or JOB_COMPLETION_INDEX')
    .option("--shard-count <N>", "shards, for --shard env under a Kubernetes Indexed Job (default: BNLAB_SHARD_COUNT)", intOption("--shard-count", 1, 100_000))
    .option("--emit <KIND>", "print a Slurm array script (slurm) or a Kubernetes Indexed Job (k8s) that runs this sweep in shards, and exit")
    .option("--tasks <N>", "array tasks (shards) for --emit", intOption("--tasks", 1, 100_000), 4)
    .option("--image <IMAGE>", "container image with bnlab for --emit k8s", "bnlab:latest");
  addTrainingFlags(cmd, "./bnlab-sweep").action(async (flags: SweepFlags) => {
    if (flags.minExp > flags.maxExp) throw new OptionError("--min-exp", `at most --max-exp (${flags.maxExp})`, flags.minExp);
    const outDir = checkOutDir(flags.out);
    const normOptions = normOptionsFromFlags(flags, flags.normalizations, flags.hidden);
    if (flags.emit !== undefined) {
      process.stdout.write(emitSweep(flags, outDir));
      return;
    }
    const shard = flags.shard === undefined ? null : parseShard(flags.shard, process.env, flags.shardCount);
    const jobs = flags.jobs ?? defaultJobs();
    const runs = flags.numScales * flags.normalizations.length;
    checkNetFits("--hidden", flags.hidden, { batchSize: flags.batchSize, copies: Math.min(jobs, runs) });
    // The job on this thread checks on a second one (the worker jobs check inline: they fill the cores).
    enableBackgroundChecks();
    const progress = new Progress();
    const loaded = await loadData(flags, flags.seed, progress, { numTrain: flags.numTrain, numVal: flags.numVal });
    checkRowFlags(flags, loaded);
    const options: SweepOptions = {
      hiddenDims: flags.hidden,
      ...(Object.keys(normOptions).length > 0 ? { normOptions } : {}),
      numTrain: flags.numTrain,
      numVal: flags.numVal,
      numEpochs: flags.epochs,
      batchSize: flags.batchSize,
      updateRule: flags.updateRule,
      learningRate: flags.lr,
      weightScales: logspace(flags.minExp, flags.maxExp, flags.numScales),
      normalizations: flags.normalizations,
    };
    const dir = jobsDir(outDir);
    const skeleton = sweepResult(subsetData(loaded.data, options.numTrain, options.numVal), options, flags.seed, []);
    const numJobs = options.weightScales.length * options.normalizations.length;
    const plan = makePlan({ options, seed: flags.seed, kernelPath: getKernelPath(), dtype: loaded.data.xTrain.dtype, dataset: loaded.info, skeleton, numJobs });
    // A plain run may replace an old sweep's jobs; a resumed run or a shard must find its own sweep there.
    usePlan(dir, plan, { replace: flags.resume !== true && shard === null });
    const done = flags.resume === true ? readJobs(dir, plan) : new Map();
    const where = shard === null ? "" : `, shard ${shard.index}/${shard.count}`;
    progress.log(`bnlab sweep: ${options.weightScales.length} scales × ${options.normalizations.length} on ${loaded.info.description}, ${jobs} job(s)${where}${done.size > 0 ? `, ${done.size} already done` : ""}`);
    await runSweepJobs(loaded.data, options, flags.seed, jobs, (p) => progress.update(p), {
      select: (job) => inShard(job.index, shard),
      done,
      onPoint: (job, point) => writeJob(dir, plan, job.index, point, shard),
    });
    progress.stop();
    if (shard !== null) {
      const mine = Array.from({ length: numJobs }, (_, i) => i).filter((i) => inShard(i, shard)).length;
      process.stdout.write(`shard ${shard.index}/${shard.count}: ${mine} of ${numJobs} jobs written to ${dir}\nwhen every shard is done: bnlab sweep merge ${outDir}\n`);
      return;
    }
    // NOTE: the result is assembled from the job files, exactly as `sweep merge` does.
    const sweep = assembleSweep(dir, plan, readJobs(dir, plan));
    await writeSweepOutputs(outDir, loaded.info, sweep, flags.json === true);
  });

  cmd
    .command("merge <DIR>")
    .description("assemble the shards' jobs in DIR/jobs into DIR/sweep.json and the figure, as one machine's run writes them")
    .option("--json", "print the result as JSON to stdout")
    .action(async (dirArg: string, mflags: { json?: boolean }) => {
      const outDir = checkOutDir(dirArg, "DIR");
      const dir = jobsDir(outDir);
      const plan = readPlan(dir);
      if (plan === null) throw new OptionError("DIR", `a sweep output folder (${join(dir, "plan.json")} is missing)`, dirArg);
      const sweep = assembleSweep(dir, plan, readJobs(dir, plan), shardCountOf(dir));
      await writeSweepOutputs(outDir, plan.dataset, sweep, mflags.json === true);
    });
}

/** sweep.json, the figure and the table (or the JSON): the same for a whole run and a merge. */
async function writeSweepOutputs(outDir: string, dataset: DatasetInfo, sweep: SweepResult, asJson: boolean): Promise<void> {
  const hasPair = sweep.normalizations.includes("batchnorm") && sweep.normalizations.includes("none");
  const answer = hasPair ? writeAnswer(null, sweep) : null;
  const fig = await figureFiles("weight-scale-sweep", sweepSpec(sweep));
  const json = { dataset, seedScheme: SEED_SCHEME, sweep, answer };
  // NOTE: the folder's other entries (OUT/jobs) are kept by writeReportDir.
  writeReportDir(outDir, [...fig.files, { path: "sweep.json", data: `${JSON.stringify(encodeNonFinite(json), null, 2)}\n` }]);
  if (asJson) {
    process.stdout.write(`${JSON.stringify(encodeNonFinite(json), null, 2)}\n`);
    return;
  }
  const out = process.stdout;
  out.write(`scale      ${sweep.normalizations.map((k) => `${NORM_LABELS[k]}: val / train / loss`.padEnd(34)).join("")}\n`);
  for (const w of sweep.weightScales) {
    const cells = sweep.normalizations.map((k) => {
      const p = sweep.points.find((q) => q.weightScale === w && q.normalization === k)!;
      return `${p.bestValAcc.toFixed(3)} / ${p.bestTrainAcc.toFixed(3)} / ${Number.isFinite(p.finalLoss) ? p.finalLoss.toPrecision(4) : String(p.finalLoss)}`.padEnd(34);
    });
    out.write(`${w.toExponential(2).padEnd(11)}${cells.join("")}\n`);
  }
  if (answer !== null) out.write(`\n${answer.observations.join("\n\n")}\n\n${answer.reasons.join("\n\n")}\n`);
  out.write(`\nfigure: ${join(outDir, fig.png)} (and .svg)\nresults: ${join(outDir, "sweep.json")}\n`);
}
