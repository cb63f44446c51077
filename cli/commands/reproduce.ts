/**
 * `bnlab reproduce`: every cell of the notebook, a report with figures, and the
 * written answer. See docs/results-json.md for results.json.
 */
import { join } from "node:path";
import type { Command } from "commander";
import pc from "picocolors";
import { reproduceConfig, runReproduce } from "../../src/node.js";
import { defaultJobs } from "../../src/node.js";
import { resultsJsonText } from "../../src/node.js";
import { writeReport } from "../../src/node.js";
import { enableBackgroundChecks } from "../../src/node.js";
import { getKernelPath, makePlan, readJobs, subsetData, sweepResult, usePlan, writeJob } from "../../src/node.js";
import { studyJobStore, type AnyStudy, type StudyRunControl } from "../../src/node.js";
import { loadData } from "../data-source.js";
import { checkOutDir } from "../out-dir.js";
import { DTYPE_HELP, dtypeOption, jobsOption, pathOption, seedOption } from "../options.js";
import type { DType } from "../../src/node.js";
import { Progress } from "../progress.js";
import { summaryRows, textTable } from "../summary.js";
import { bnlabVersion } from "../version.js";
import type { DataFlags } from "../data-source.js";

interface ReproduceFlags extends DataFlags {
  download: boolean;
  out: string;
  seed: number;
  jobs?: number;
  quick?: boolean;
  extended?: boolean;
  json?: boolean;
  resume?: boolean;
  dtype: DType;
}

const CELL_TITLES: Record<string, string> = {
  forwardTrain: "cell 1: batch norm train-time forward",
  forwardTest: "cell 2: batch norm test-time forward",
  backwardCheck: "cell 3: batch norm backward gradient check",
  backwardCompare: "cell 4: staged vs alt backward, timed",
  netGradcheck: "cell 5: fully connected net with batch norm, gradient check",
  deepNet: "cell 6: batch norm for deep networks (training)",
  sweep: "cell 7: batch norm and initialization (weight-scale sweep)",
  batchSize: "extended: batch norm and batch size (training)",
  answer: "cell 8: the answer",
};

export function register(program: Command): void {
  program
    .command("reproduce")
    .description("run every cell of the batch-normalization notebook and write a report with figures and a written answer")
    .option("--data <DIR>", "CIFAR-10 folder (cifar-10-batches-bin/ or cifar-10-batches-py/ inside, or the .tar.gz)", pathOption("--data"))
    .option("--synthetic", "use generated CIFAR-shaped data instead of CIFAR-10")
    .option("--fallback-synthetic", "when no CIFAR-10 is found or downloadable, warn and use synthetic data")
    .option("--no-download", "do not try to download CIFAR-10 when none is found")
    .option("--out <DIR>", "output folder for results.json, report.html and figures/", pathOption("--out"), "./bnlab-report")
    .option("--seed <S>", "seed of every cell's random stream (the assignment's is 231)", seedOption, 231)
    .option("--jobs <N>", "worker threads for the weight-scale sweep (default: one per core)", jobsOption)
    .option("--quick", "shrink the training experiments (fewer rows, epochs and scales) for a fast look")
    .option("--extended", "add layer norm to cells 6 and 7, the batch-size experiment and every study (bnlab study --list)")
    .option("--dtype <T>", DTYPE_HELP, dtypeOption, "float32" as DType)
    .option("--json", "print results.json to stdout instead of the summary")
    .option("--resume", "skip the jobs of cell 7 (OUT.sweep-jobs/) and, with --extended, of the studies (OUT.study-jobs/NAME/) already finished by an interrupted run into the same --out")
    .action(async (flags: ReproduceFlags) => {
      const outDir = checkOutDir(flags.out);
      // Accuracy checks on a second thread, which starts while the data loads (BNLAB_BACKGROUND_CHECKS=0: none).
      enableBackgroundChecks();
      const progress = new Progress();
      const loaded = await loadData(flags, flags.seed, progress);
      const jobs = flags.jobs ?? defaultJobs();
      const quick = flags.quick === true;
      const extended = flags.extended === true;
      progress.log(`bnlab reproduce: ${loaded.info.description}; seed ${flags.seed}, ${jobs} job(s)${quick ? ", --quick" : ""}${extended ? ", --extended" : ""}`);
      const config = reproduceConfig(quick, extended);
      // Cell 7's finished jobs go beside the report folder (which is written whole at the end), one file each.
      const sweepDir = `${outDir.replace(/[\\/]+$/, "")}.sweep-jobs`;
      const skeleton = sweepResult(subsetData(loaded.data, config.sweep.numTrain, config.sweep.numVal), config.sweep, flags.seed, []);
      const plan = makePlan({ options: config.sweep, seed: flags.seed, kernelPath: getKernelPath(), dtype: loaded.data.xTrain.dtype, dataset: loaded.info, skeleton, numJobs: config.sweep.weightScales.length * config.sweep.normalizations.length });
      usePlan(sweepDir, plan, { replace: flags.resume !== true, option: "--resume" });
      const done = flags.resume === true ? readJobs(sweepDir, plan) : new Map();
      if (done.size > 0) progress.log(`resuming: ${done.size} of cell 7's ${plan.numJobs} jobs already done (${sweepDir})`);
      // With --extended, each study's finished jobs go to OUT.study-jobs/NAME/ (src/node/study-store.ts).
      const studyDir = `${outDir.replace(/[\\/]+$/, "")}.study-jobs`;
      const studyControl = (study: AnyStudy): StudyRunControl =>
        studyJobStore(join(studyDir, study.name), {
          resume: flags.resume === true,
          onStart: ({ dir, done: n, total }) => {
            if (n > 0) progress.log(`resuming: ${n} of the ${total} jobs of study ${study.name} already done (${dir})`);
          },
        });
      const results = await runReproduce({
        data: loaded.data,
        dataset: loaded.info,
        seed: flags.seed,
        quick,
        extended,
        jobs,
        version: bnlabVersion(),
        config,
        sweepControl: { done, onPoint: (job, point) => writeJob(sweepDir, plan, job.index, point, null) },
        studyControl,
        onProgress: (p) => progress.update(p),
        onCell: (ev) => progress.cell(CELL_TITLES[ev.cell] ?? (ev.cell.startsWith("study:") ? `extended: study ${ev.cell.slice(6)}` : ev.cell), ev.phase, ev.seconds),
      });
      // The bar stops first, so that an error writing the report is a line of its own.
      progress.stop();
      const written = await writeReport(outDir, results);
      if (flags.json === true) {
        process.stdout.write(resultsJsonText(results));
        process.stderr.write(`report: ${written.reportHtml}\n`);
        return;
      }
      const out = process.stdout;
      out.write(`\n${pc.bold(results.title)}\n`);
      out.write(`${textTable(summaryRows(results))}\n\n`);
      out.write(`report:  ${written.reportHtml}\n`);
      out.write(`results: ${written.resultsJson}\n`);
      for (const [name, f] of Object.entries(written.figures)) out.write(`figure ${name}: ${f.png} (and .svg)\n`);
    });
}
