/**
 * `bnlab sweep`: the weight-scale sweep of cell 7 with its options; prints a
 * table and the written answer, writes the figure and sweep.json.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { OptionError } from "../../src/node.js";
import { writeAnswer } from "../../src/node.js";
import { defaultJobs, sweepExperimentParallel } from "../../src/node.js";
import { logspace, SEED_SCHEME } from "../../src/node.js";
import type { NormKind } from "../../src/node.js";
import { encodeNonFinite } from "../../src/node.js";
import { NORM_LABELS, sweepSpec } from "../../src/node.js";
import { writeFigure, writeFileAtomic } from "../../src/node.js";
import { enableBackgroundChecks } from "../../src/node.js";
import { loadData } from "../data-source.js";
import { checkOutDir } from "../out-dir.js";
import { NORM_CHOICES, intListOption, intOption, jobsOption, normListOption, numberOption } from "../options.js";
import { Progress } from "../progress.js";
import { addTrainingFlags, checkRowFlags, normOptionsFromFlags, type TrainingFlags } from "../training-flags.js";

interface SweepFlags extends TrainingFlags {
  hidden: number[];
  normalizations: NormKind[];
  minExp: number;
  maxExp: number;
  numScales: number;
  jobs?: number;
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
    .option("--jobs <N>", "worker threads (default: one per core)", jobsOption);
  addTrainingFlags(cmd, "./bnlab-sweep").action(async (flags: SweepFlags) => {
    if (flags.minExp > flags.maxExp) throw new OptionError("--min-exp", `at most --max-exp (${flags.maxExp})`, flags.minExp);
    const outDir = checkOutDir(flags.out);
    const normOptions = normOptionsFromFlags(flags, flags.normalizations, flags.hidden);
    // The job on this thread checks on a second one (the worker jobs check inline: they fill the cores).
    enableBackgroundChecks();
    const progress = new Progress();
    const loaded = await loadData(flags, flags.seed, progress);
    checkRowFlags(flags, loaded);
    const options = {
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
    const jobs = flags.jobs ?? defaultJobs();
    progress.log(`bnlab sweep: ${options.weightScales.length} scales × ${options.normalizations.length} on ${loaded.info.description}, ${jobs} job(s)`);
    const sweep = await sweepExperimentParallel(loaded.data, options, flags.seed, jobs, (p) => progress.update(p));
    progress.stop();
    const hasPair = sweep.normalizations.includes("batchnorm") && sweep.normalizations.includes("none");
    const answer = hasPair ? writeAnswer(null, sweep) : null;
    mkdirSync(outDir, { recursive: true });
    const fig = await writeFigure(outDir, "weight-scale-sweep", sweepSpec(sweep));
    const json = { dataset: loaded.info, seedScheme: SEED_SCHEME, sweep, answer };
    writeFileAtomic(join(outDir, "sweep.json"), `${JSON.stringify(encodeNonFinite(json), null, 2)}\n`);
    if (flags.json === true) {
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
  });
}
