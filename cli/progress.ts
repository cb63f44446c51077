/**
 * Progress on stderr: a cli-progress bar per long step when stderr is a terminal,
 * one line per cell otherwise (logs, CI, tests). stdout stays free for results.
 */
import cliProgress from "cli-progress";
import pc from "picocolors";
import type { ExperimentProgress } from "../src/node.js";

export class Progress {
  private bar: cliProgress.SingleBar | null = null;
  private barStep = "";
  private readonly tty: boolean;
  private readonly quiet: boolean;

  /** `quiet`: print nothing at all. */
  constructor(options: { quiet?: boolean; stream?: NodeJS.WriteStream } = {}) {
    const stream = options.stream ?? process.stderr;
    this.quiet = options.quiet ?? false;
    this.tty = stream.isTTY === true && process.env.CI === undefined;
  }

  /** One line of information (stops a running bar first). */
  log(message: string): void {
    if (this.quiet) return;
    this.stopBar();
    process.stderr.write(`${message}\n`);
  }

  /** A warning paragraph. */
  warn(message: string): void {
    this.log(`${pc.yellow("warning:")} ${message}`);
  }

  /** Called when a cell starts or ends. */
  cell(title: string, phase: "start" | "end", seconds?: number): void {
    if (this.quiet) return;
    if (phase === "start") {
      if (!this.tty) process.stderr.write(`${title} …\n`);
      return;
    }
    this.stopBar();
    if (this.tty) process.stderr.write(`${pc.green("✓")} ${title} ${pc.dim(`(${(seconds ?? 0).toFixed(1)} s)`)}\n`);
    else process.stderr.write(`  done in ${(seconds ?? 0).toFixed(1)} s\n`);
  }

  /** Iteration progress of a training step (a bar on a terminal, nothing otherwise). */
  update(p: ExperimentProgress): void {
    if (this.quiet || !this.tty) return;
    if (this.bar === null || this.barStep !== p.step) {
      this.stopBar();
      this.bar = new cliProgress.SingleBar(
        {
          format: `  {bar} {percentage}% | {value}/{total} iterations | ETA {eta_formatted} | {detail}`,
          hideCursor: true,
          stream: process.stderr,
          etaBuffer: 200,
        },
        cliProgress.Presets.shades_classic,
      );
      this.bar.start(p.total, p.done, { detail: p.detail ?? "" });
      this.barStep = p.step;
    }
    this.bar.setTotal(p.total);
    // Parallel workers report counts without a detail: keep the last one shown.
    if (p.detail !== undefined && p.detail !== "") this.bar.update(p.done, { detail: p.detail });
    else this.bar.update(p.done);
  }

  /** Stops any bar (call before printing the summary). */
  stop(): void {
    this.stopBar();
  }

  private stopBar(): void {
    if (this.bar !== null) {
      this.bar.stop();
      this.bar = null;
      this.barStep = "";
    }
  }
}
