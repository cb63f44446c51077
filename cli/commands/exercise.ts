/**
 * `bnlab exercise`: do the assignment. `init` writes a starter folder, `check`
 * runs the notebook's checks (and more) on the learner's functions with a
 * diagnosis per failure, `run` trains cells 6 and 7 on the learner's layers and
 * writes the usual report.
 */
import { existsSync, mkdirSync } from "node:fs";
import { basename, join, relative, resolve } from "node:path";
import type { Command } from "commander";
import pc from "picocolors";
import * as bnlab from "../../src/index.js";
import { BnlabError, OptionError, allPassed, formatResult, formatSummary, starterFiles } from "../../src/node.js";
import { checkLearnerFile, DEFAULT_CHECK_TIMEOUT_MS, loadLearnerFile, resolveLearnerFile } from "../../src/node.js";
import { reproduceConfig, runReproduce, writeReport, writeFileAtomic } from "../../src/node.js";
import type { DType, LearnerLayers } from "../../src/node.js";
import { loadData } from "../data-source.js";
import { checkOutDir } from "../out-dir.js";
import { DTYPE_HELP, dtypeOption, intOption, seedOption } from "../options.js";
import { Progress } from "../progress.js";
import { summaryRows, textTable } from "../summary.js";
import { bnlabVersion } from "../version.js";
import type { DataFlags } from "../data-source.js";

interface InitFlags {
  js?: boolean;
  force?: boolean;
}

interface CheckFlags {
  only?: string;
  json?: boolean;
  timeout: number;
}

interface RunFlags extends DataFlags {
  download: boolean;
  out: string;
  seed: number;
  quick?: boolean;
  extended?: boolean;
  dtype: DType;
  json?: boolean;
}

function init(dir: string, flags: InitFlags): void {
  const target = resolve(dir);
  const files = starterFiles(flags.js === true ? "js" : "ts", bnlabVersion());
  const existing = Object.keys(files).filter((name) => existsSync(join(target, name)));
  if (existing.length > 0 && flags.force !== true) {
    throw new OptionError("DIR", `a folder without ${existing.join(", ")} (or --force to overwrite)`, dir);
  }
  mkdirSync(target, { recursive: true });
  for (const [name, text] of Object.entries(files)) writeFileAtomic(join(target, name), text);
  const out = process.stdout;
  out.write(`wrote ${Object.keys(files).map((f) => join(relative(process.cwd(), target) || ".", f)).join(", ")}\n\n`);
  out.write(`next:\n  cd ${relative(process.cwd(), target) || "."}\n  npm install\n  npx bnlab exercise check\n`);
}

async function check(target: string, flags: CheckFlags): Promise<void> {
  const file = resolveLearnerFile(target);
  const paint = { pass: pc.green, fail: pc.red, todo: pc.yellow, dim: pc.dim };
  const stream = flags.json === true ? null : process.stdout;
  stream?.write(`bnlab exercise check: ${relative(process.cwd(), file) || file}\n\n`);
  const r = await checkLearnerFile(file, {
    ...(flags.only !== undefined ? { only: flags.only } : {}),
    timeoutMs: flags.timeout,
    onResult: (res) => stream?.write(`${formatResult(res, paint).join("\n")}\n`),
  });
  if (r.loadError !== null) throw new BnlabError(`could not load your module: ${r.loadError}`, 1);
  const ok = allPassed(r.results);
  if (flags.json === true) process.stdout.write(`${JSON.stringify({ file, ok, results: r.results }, (_k, v: unknown) => (typeof v === "number" && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
  else process.stdout.write(`\n${formatSummary(r.results)}\n`);
  if (!ok) {
    const implemented = r.results.some((x) => x.status !== "not implemented");
    throw new BnlabError(implemented ? "some checks did not pass" : "nothing implemented yet: every check says not implemented", 1);
  }
}

/** The learner's layers for the nets and the notebook's cells; the backward the net uses is the closed form when written. */
function exerciseLayers(layers: LearnerLayers, file: string): NonNullable<Parameters<typeof runReproduce>[0]["layers"]> {
  const backward = layers.batchnormBackwardAlt ?? layers.batchnormBackward;
  if (layers.batchnormForward === undefined || backward === undefined) {
    throw new BnlabError(`${file}: exercise run needs batchnormForward and batchnormBackwardAlt (or batchnormBackward); run bnlab exercise check first`, 1);
  }
  const net: NonNullable<Parameters<typeof runReproduce>[0]["layers"]>["net"] = { batchnormForward: layers.batchnormForward, batchnormBackward: backward };
  if (layers.layernormForward && layers.layernormBackward) {
    net.layernormForward = layers.layernormForward;
    net.layernormBackward = layers.layernormBackward;
  }
  return {
    batchnorm: {
      batchnormForward: layers.batchnormForward,
      batchnormBackward: layers.batchnormBackward ?? backward,
      batchnormBackwardAlt: backward,
    },
    net,
  };
}

async function run(target: string, flags: RunFlags): Promise<void> {
  const file = resolveLearnerFile(target);
  const layers = exerciseLayers(loadLearnerFile(file, bnlab as unknown as Record<string, unknown>), file);
  const outDir = checkOutDir(flags.out);
  const progress = new Progress();
  const loaded = await loadData(flags, flags.seed, progress);
  const quick = flags.quick === true;
  const extended = flags.extended === true;
  if (extended && layers.net.layernormForward === undefined) {
    throw new OptionError("--extended", "layernormForward and layernormBackward in your module (the extended cells train layer norm)", "not implemented");
  }
  const where = relative(process.cwd(), file) || basename(file);
  progress.log(`bnlab exercise run: ${where} on ${loaded.info.description}; seed ${flags.seed}${quick ? ", --quick" : ""}`);
  const dataWord = loaded.info.source === "synthetic" ? "SYNTHETIC data (not CIFAR-10)" : "CIFAR-10";
  const results = await runReproduce({
    data: loaded.data,
    dataset: loaded.info,
    seed: flags.seed,
    quick,
    extended,
    jobs: 1,
    version: bnlabVersion(),
    config: reproduceConfig(quick, extended),
    layers,
    title: `Batch normalization with the learner's own layers (${basename(file)}) on ${dataWord}${quick ? " (quick run)" : ""}`,
    onProgress: (p) => progress.update(p),
    onCell: (ev) => progress.cell(ev.cell, ev.phase, ev.seconds),
  });
  const written = await writeReport(outDir, results);
  progress.stop();
  if (flags.json === true) {
    process.stdout.write(`${JSON.stringify({ report: written.reportHtml, results: written.resultsJson })}\n`);
    return;
  }
  process.stdout.write(`\n${pc.bold(results.title)}\n${textTable(summaryRows(results))}\n\nreport:  ${written.reportHtml}\nresults: ${written.resultsJson}\n`);
}

export function register(program: Command): void {
  const ex = program.command("exercise").description("do the assignment: write batch norm yourself and have bnlab check it and train on it");
  ex.command("init")
    .description("write a starter folder: layers.ts (or layers.js) to fill in, a README and a package.json")
    .argument("[DIR]", "the folder (created if needed)", ".")
    .option("--js", "JavaScript instead of TypeScript")
    .option("--force", "overwrite existing starter files")
    .action((dir: string, flags: InitFlags) => init(dir, flags));
  ex.command("check")
    .description("run the notebook's checks (cells 1-5), layer norm's, the sandwich's and comparisons with bnlab on your functions")
    .argument("[DIR | FILE]", "the exercise folder or your module", ".")
    .option("--only <NAME>", "only the checks with this id (or id prefix), or of this function")
    .option("--json", "print the results as JSON")
    .option("--timeout <MS>", "time limit of one check, in milliseconds", intOption("--timeout", 100, 3_600_000), DEFAULT_CHECK_TIMEOUT_MS)
    .action((target: string, flags: CheckFlags) => check(target, flags));
  ex.command("run")
    .description("train the notebook's cells 6 and 7 with your layers inside the nets and write the report")
    .argument("[DIR | FILE]", "the exercise folder or your module", ".")
    .option("--data <DIR>", "CIFAR-10 folder")
    .option("--synthetic", "use generated CIFAR-shaped data instead of CIFAR-10")
    .option("--fallback-synthetic", "when no CIFAR-10 is found or downloadable, warn and use synthetic data")
    .option("--no-download", "do not try to download CIFAR-10 when none is found")
    .option("--out <DIR>", "output folder for results.json, report.html and figures/", "./bnlab-exercise-report")
    .option("--seed <S>", "seed of every cell's random stream", seedOption, 231)
    .option("--quick", "shrink the training experiments for a fast look")
    .option("--extended", "add layer norm (yours) to cells 6 and 7")
    .option("--dtype <T>", DTYPE_HELP, dtypeOption, "float32" as DType)
    .option("--json", "print where the report and results.json are, as JSON")
    .action((target: string, flags: RunFlags) => run(target, flags));
}
