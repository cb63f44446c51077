/**
 * `bnlab study NAME`: one study of why batch norm works (src/studies), with its
 * results.json, figures (SVG and PNG) and report.html; `bnlab study --list`
 * names them. See docs/studies.md.
 *
 * Each finished job of the study's grid is written to OUT/jobs/ as it finishes
 * (src/node/study-store.ts): `--resume` after a kill skips the finished ones.
 */
import { join } from "node:path";
import type { Command } from "commander";
import pc from "picocolors";
import { OptionError } from "../../src/node.js";
import { defaultJobs } from "../../src/node.js";
import { getKernelPath } from "../../src/node.js";
import { writeStudyReport } from "../../src/node.js";
import { citationText } from "../../src/node.js";
import { studyJsonText } from "../../src/node.js";
import { runStudyParallel } from "../../src/node.js";
import { getStudy, STUDIES, STUDY_NAMES } from "../../src/node.js";
import { recoverReportDir, studyJobStore, studyRunPlan } from "../../src/node.js";
import type { ExperimentProgress } from "../../src/node.js";
import { loadData } from "../data-source.js";
import { checkOutDir } from "../out-dir.js";
import { jobsOption, pathOption, seedOption } from "../options.js";
import { Progress } from "../progress.js";
import { bnlabVersion } from "../version.js";
import type { DataFlags } from "../data-source.js";

interface StudyFlags extends DataFlags {
  list?: boolean;
  download: boolean;
  out?: string;
  seed: number;
  jobs?: number;
  quick?: boolean;
  json?: boolean;
  resume?: boolean;
}

export function register(program: Command): void {
  program
    .command("study")
    .argument("[NAME]", `the study to run: ${STUDY_NAMES.join(", ")}`)
    .description("run one study of why batch norm works (a paper's experiment) and write its results, figures and report")
    .option("--list", "list the studies and the papers they follow")
    .option("--data <DIR>", "CIFAR-10 folder (cifar-10-batches-bin/ or cifar-10-batches-py/ inside, or the .tar.gz)", pathOption("--data"))
    .option("--synthetic", "use generated CIFAR-shaped data instead of CIFAR-10")
    .option("--fallback-synthetic", "when no CIFAR-10 is found or downloadable, warn and use synthetic data")
    .option("--no-download", "do not try to download CIFAR-10 when none is found")
    .option("--out <DIR>", "output folder for results.json, report.html and figures/ (default ./bnlab-study-NAME)", pathOption("--out"))
    .option("--seed <S>", "seed of the study's random streams", seedOption, 231)
    .option("--jobs <N>", "worker threads (default: one per core); the result is the same for any number", jobsOption)
    .option("--quick", "the study's small preset, for a fast look")
    .option("--json", "print results.json to stdout instead of the findings")
    .option("--resume", "skip the jobs already finished in OUT/jobs by an interrupted run of the same study, options and seed")
    .action(async (name: string | undefined, flags: StudyFlags) => {
      if (flags.list === true) {
        for (const s of STUDIES) {
          process.stdout.write(`${pc.bold(s.name.padEnd(18))} ${s.title}\n${" ".repeat(19)}${s.summary}\n${" ".repeat(19)}${pc.dim(citationText(s.citation))}\n`);
        }
        return;
      }
      if (name === undefined) throw new OptionError("NAME", `a study name (one of ${STUDY_NAMES.join(", ")}; bnlab study --list)`, "nothing");
      const study = getStudy(name, "study NAME");
      const outDir = checkOutDir(flags.out ?? `./bnlab-study-${study.name}`);
      const progress = new Progress();
      const loaded = await loadData(flags, flags.seed, progress);
      const jobs = flags.jobs ?? defaultJobs();
      const quick = flags.quick === true;
      progress.log(`bnlab study ${study.name}: ${loaded.info.description}; seed ${flags.seed}, ${jobs} job(s)${quick ? ", --quick" : ""}`);
      // NOTE: a run killed while swapping the report in may have left OUT/jobs in the backup folder: put it back first.
      if (flags.resume === true) recoverReportDir(outDir);
      const control = studyJobStore(join(outDir, "jobs"), {
        resume: flags.resume === true,
        onStart: ({ dir, done, total }) => {
          if (done > 0) progress.log(`resuming: ${done} of ${total} jobs already done (${dir})`);
        },
      });
      const run = {
        control,
        data: loaded.data,
        dataset: loaded.info,
        seed: flags.seed,
        quick,
        jobs,
        version: bnlabVersion(),
        kernelPath: getKernelPath(),
        onProgress: (p: ExperimentProgress) => progress.update(p),
      };
      // A resume of another run (other options, seed or data) is refused before any work.
      control.check?.(studyRunPlan(study, run));
      progress.cell(study.title, "start");
      const record = await runStudyParallel(study, run);
      progress.cell(study.title, "end", record.timings.total);
      // The bar stops first, so that an error writing the report is a line of its own.
      progress.stop();
      const written = await writeStudyReport(outDir, study, record);
      if (flags.json === true) {
        process.stdout.write(studyJsonText(record, study));
        process.stderr.write(`report: ${written.reportHtml}\n`);
        return;
      }
      const out = process.stdout;
      out.write(`\n${pc.bold(record.title)} (${citationText(record.citation)})\n\n`);
      for (const f of record.findings) out.write(`- ${f.text}\n`);
      out.write(`\nreport:  ${written.reportHtml}\nresults: ${written.resultsJson}\n`);
      for (const [fig, f] of Object.entries(written.figures)) out.write(`figure ${fig}: ${f.png} (and .svg)\n`);
    });
}
