/**
 * `bnlab train`: one fully connected net from flags; prints its histories and
 * writes a figure (loss per iteration, accuracies per epoch) and run.json.
 */
import { join } from "node:path";
import type { Command } from "commander";
import { OptionError } from "../../src/node.js";
import { subsetData, trainNet, type CheckpointOptions } from "../../src/node.js";
import { CHECKPOINT_FILES, checkpointWriter, latestCheckpoint, readCheckpointFile } from "../../src/node.js";
import type { DeepNetResult, NormKind } from "../../src/node.js";
import { encodeNonFinite } from "../../src/node.js";
import { deepNetSpec } from "../../src/node.js";
import { figureFiles, writeReportDir } from "../../src/node.js";
import { enableBackgroundChecks } from "../../src/node.js";
import { loadData } from "../data-source.js";
import { checkNetFits } from "../net-size.js";
import { checkOutDir } from "../out-dir.js";
import { NORM_CHOICES, intListOption, normOption, numberOption } from "../options.js";
import { Progress } from "../progress.js";
import { addTrainingFlags, checkRowFlags, normOptionsFromFlags, type TrainingFlags } from "../training-flags.js";

interface TrainFlags extends TrainingFlags {
  hidden: number[];
  normalization: NormKind;
  weightScale: number;
  checkpointDir?: string;
  resume?: boolean;
}

/** --checkpoint-dir and --resume: the writer, and the state to continue from. */
function checkpointOptions(flags: TrainFlags): CheckpointOptions | undefined {
  if (flags.checkpointDir === undefined) {
    if (flags.resume === true) throw new OptionError("--resume", "--checkpoint-dir DIR (where the checkpoints are)", "no --checkpoint-dir");
    return undefined;
  }
  if (flags.checkpointDir === "") throw new OptionError("--checkpoint-dir", "a folder", "");
  const o: CheckpointOptions = { onCheckpoint: checkpointWriter(flags.checkpointDir) };
  if (flags.resume === true) {
    const latest = latestCheckpoint(flags.checkpointDir);
    if (latest === null) throw new OptionError("--resume", `a checkpoint in ${flags.checkpointDir} (${CHECKPOINT_FILES.latest})`, "none");
    o.resume = { state: readCheckpointFile(latest), source: latest };
  }
  return o;
}

export function register(program: Command): void {
  const cmd = program
    .command("train")
    .description("train one fully connected net and plot its loss and accuracy histories")
    .option("--hidden <DIMS>", "hidden layer sizes, comma-separated", intListOption("--hidden"), [100, 100, 100, 100, 100])
    .option("--normalization <KIND>", `${NORM_CHOICES.slice(0, -1).join(", ")} or ${NORM_CHOICES.at(-1)!}`, normOption("--normalization"), "batchnorm" as NormKind)
    .option("--weight-scale <W>", "standard deviation of the initial weights", numberOption("--weight-scale", 0, 1e3), 2e-2)
    .option("--checkpoint-dir <DIR>", `save a checkpoint at each epoch end (DIR/${CHECKPOINT_FILES.latest}, and ${CHECKPOINT_FILES.best})`)
    .option("--resume", "continue from the latest checkpoint in --checkpoint-dir (the same flags)");
  addTrainingFlags(cmd, "./bnlab-train").action(async (flags: TrainFlags) => {
    const outDir = checkOutDir(flags.out);
    const checkpoint = checkpointOptions(flags);
    const normOptions = normOptionsFromFlags(flags, [flags.normalization], flags.hidden);
    checkNetFits("--hidden", flags.hidden, { batchSize: flags.batchSize });
    // Accuracy checks on a second thread, which starts while the data loads (BNLAB_BACKGROUND_CHECKS=0: none).
    enableBackgroundChecks();
    const progress = new Progress();
    const loaded = await loadData(flags, flags.seed, progress, { numTrain: flags.numTrain, numVal: flags.numVal });
    checkRowFlags(flags, loaded);
    const data = subsetData(loaded.data, flags.numTrain, flags.numVal);
    const settings = {
      hiddenDims: flags.hidden,
      ...(Object.keys(normOptions).length > 0 ? { normOptions } : {}),
      numTrain: data.xTrain.shape[0]!,
      numVal: data.xVal.shape[0]!,
      numEpochs: flags.epochs,
      batchSize: flags.batchSize,
      updateRule: flags.updateRule,
      learningRate: flags.lr,
    };
    progress.log(`bnlab train: ${flags.normalization} net ${JSON.stringify(flags.hidden)} on ${loaded.info.description}`);
    const run = trainNet(data, { ...settings, normalization: flags.normalization, weightScale: flags.weightScale, seed: flags.seed, ...(checkpoint ? { checkpoint } : {}), onProgress: (p) => progress.update(p) });
    progress.stop();
    const result: DeepNetResult = { seed: flags.seed, settings: { ...settings, weightScale: flags.weightScale }, runs: [run] };
    const fig = await figureFiles("train", deepNetSpec(result, `bnlab train: ${flags.normalization}`));
    const json = { dataset: loaded.info, ...result };
    writeReportDir(outDir, [...fig.files, { path: "run.json", data: `${JSON.stringify(encodeNonFinite(json), null, 2)}\n` }]);
    if (flags.json === true) {
      process.stdout.write(`${JSON.stringify(encodeNonFinite(json), null, 2)}\n`);
      return;
    }
    const out = process.stdout;
    out.write("epoch  train acc  val acc  mean loss\n");
    run.trainAccHistory.forEach((acc, e) => {
      const from = e === 0 ? 0 : (e - 1) * run.iterationsPerEpoch;
      const to = e === 0 ? 1 : e * run.iterationsPerEpoch;
      const losses = run.lossHistory.slice(from, to);
      const mean = losses.reduce((a, b) => a + b, 0) / losses.length;
      out.write(`${String(e).padStart(5)}  ${acc.toFixed(3).padStart(9)}  ${run.valAccHistory[e]!.toFixed(3).padStart(7)}  ${mean.toPrecision(4).padStart(9)}\n`);
    });
    out.write(`best val acc ${run.bestValAcc.toFixed(3)} (${run.seconds.toFixed(1)} s)\n`);
    out.write(`figure: ${join(outDir, fig.png)} (and .svg)\nresults: ${join(outDir, "run.json")}\n`);
  });
}
