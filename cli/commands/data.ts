/**
 * `bnlab data download` fetches and installs the official CIFAR-10 binary archive;
 * `bnlab data info` says which dataset bnlab would use, where, and what it holds.
 */
import cliProgress from "cli-progress";
import type { Command } from "commander";
import pc from "picocolors";
import { OptionError } from "../../src/node.js";
import { checkOutDir } from "../out-dir.js";
import { pathOption } from "../options.js";
import {
  CIFAR10_BYTES,
  CIFAR10_MD5,
  CIFAR10_URL,
  NoDataError,
  cacheDir,
  downloadCifar10,
  loadCifar10At,
  resolveDataDir,
  type DownloadProgress,
} from "../../src/node.js";

const MB = 1024 * 1024;

/** --md5: 32 hexadecimal digits. */
function md5Option(value: string): string {
  if (!/^[0-9a-fA-F]{32}$/.test(value)) throw new OptionError("--md5", "32 hexadecimal digits", value);
  return value.toLowerCase();
}

/** --url: an http:// or https:// address (what the download can fetch). */
function urlOption(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new OptionError("--url", "an http:// or https:// URL", value);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new OptionError("--url", "an http:// or https:// URL", value);
  return value;
}

/** A progress bar on stderr for the download phase; plain lines for the rest. */
function progressPrinter(): { onProgress: (p: DownloadProgress) => void; stop: () => void } {
  const bar = new cliProgress.SingleBar(
    { format: "  {bar} {percentage}% | {value}/{total} MB | {phase}", hideCursor: true, stream: process.stderr },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let phase = "";
  const stop = (): void => {
    if (started) bar.stop();
    started = false;
  };
  const onProgress = (p: DownloadProgress): void => {
    if (p.phase === "download") {
      const total = Math.round(((p.total ?? CIFAR10_BYTES) / MB) * 10) / 10;
      const value = Math.round((p.received / MB) * 10) / 10;
      if (!started) {
        bar.start(total, value, { phase: "downloading" });
        started = true;
      }
      bar.update(value, { phase: "downloading" });
      return;
    }
    if (p.phase === "retry" && p.retry !== undefined) {
      stop();
      phase = p.phase;
      const what = p.received > 0 ? `resuming from ${(p.received / MB).toFixed(1)} MB` : "starting over";
      process.stderr.write(`  transfer cut off; ${what} in ${(p.retry.delayMs / 1000).toFixed(0)} s (retry ${p.retry.attempt})\n`);
      return;
    }
    if (p.phase !== phase) {
      stop();
      phase = p.phase;
      if (p.phase === "verify") process.stderr.write("  verifying MD5 …\n");
      if (p.phase === "extract") process.stderr.write("  extracting and checking …\n");
    }
  };
  return { onProgress, stop };
}

export function register(program: Command): void {
  const data = program.command("data").description("find, inspect and download the CIFAR-10 dataset");

  data
    .command("download")
    .description(`download the official CIFAR-10 binary archive (${(CIFAR10_BYTES / 1e6).toFixed(0)} MB), verify and install it`)
    .option("--dir <DIR>", "folder to install into (default: the cache folder)", pathOption("--dir"))
    .option("--url <URL>", "where to download from", urlOption, CIFAR10_URL)
    .option("--md5 <HEX>", "expected MD5 of the archive", md5Option, CIFAR10_MD5)
    .option("--force", "replace a dataset already installed there", false)
    .action(async (opts: { dir?: string; url: string; md5: string; force: boolean }) => {
      // A file (or a path under one) in place of the folder: one line naming --dir, before any transfer.
      const dir = checkOutDir(opts.dir ?? cacheDir(), opts.dir === undefined ? "the cache folder" : "--dir");
      process.stderr.write(`Downloading ${opts.url}\n  into ${dir}\n`);
      const progress = progressPrinter();
      // Ctrl-C aborts the transfer so that the temporaries are removed before exiting.
      const abort = new AbortController();
      const onSigint = (): void => abort.abort();
      process.once("SIGINT", onSigint);
      try {
        const result = await downloadCifar10({
          dir,
          url: opts.url,
          md5: opts.md5,
          force: opts.force,
          onProgress: progress.onProgress,
          signal: abort.signal,
        });
        progress.stop();
        if (result.alreadyPresent) {
          process.stdout.write(`CIFAR-10 is already installed at ${result.location.path} (use --force to replace it).\n`);
          return;
        }
        const records = result.files.reduce((s, f) => s + f.records, 0);
        process.stdout.write(`${pc.green("installed")} ${result.location.path} (${records} records, MD5 verified)\n`);
      } finally {
        process.removeListener("SIGINT", onSigint);
        progress.stop();
      }
    });

  data
    .command("info")
    .description("say which CIFAR-10 copy bnlab finds (--dir, BNLAB_DATA, then the cache) and what it holds")
    .option("--dir <DIR>", "folder to inspect instead of BNLAB_DATA and the cache", pathOption("--dir"))
    .action((opts: { dir?: string }) => {
      const found = resolveDataDir({ dir: opts.dir, option: "--dir" });
      if (found === null) throw new NoDataError();
      const how = { option: "--dir", env: "BNLAB_DATA", cache: "the cache folder" }[found.from];
      const loc = found.location;
      const raw = loadCifar10At(loc);
      const lines = [
        `CIFAR-10 found via ${how}: ${found.dir}`,
        `  layout: ${loc.kind === "cifar10-bin" ? "binary version" : "python version"} (${loc.kind})${loc.archive ? ", read from the archive" : ""}`,
        `  path:   ${loc.path}`,
        ...raw.files.map((f) => `  ${f.name.padEnd(18)} ${String(f.records).padStart(6)} records`),
        `  training ${raw.yTrain.length}, test ${raw.yTest.length}; classes: ${raw.labelNames.join(", ")}`,
      ];
      process.stdout.write(`${lines.join("\n")}\n`);
    });
}
