/**
 * `bnlab gradcheck`: every layer's backward pass and the fully connected net
 * against numerical gradients in float64; exit code 1 when any check fails.
 */
import type { Command } from "commander";
import pc from "picocolors";
import { BnlabError } from "../../src/node.js";
import { gradcheckSuite } from "../../src/node.js";
import { seedOption } from "../options.js";

export function register(program: Command): void {
  program
    .command("gradcheck")
    .description("check every layer's gradients and the net's against centred differences (float64)")
    .option("--seed <S>", "seed of the random inputs", seedOption, 231)
    .option("--json", "print the results as JSON")
    .action((flags: { seed: number; json?: boolean }) => {
      const r = gradcheckSuite(flags.seed);
      if (flags.json === true) process.stdout.write(`${JSON.stringify(r, null, 2)}\n`);
      else {
        const w = Math.max(...r.lines.map((l) => l.check.length));
        for (const l of r.lines) {
          const mark = l.ok ? pc.green("pass") : pc.red("FAIL");
          process.stdout.write(`${mark}  ${l.check.padEnd(w)}  ${l.name.padEnd(7)} rel ${l.relError.toExponential(2)}  abs ${l.maxAbsError.toExponential(2)}  (threshold ${l.threshold.toExponential(0)})\n`);
        }
        const failed = r.lines.filter((l) => !l.ok).length;
        process.stdout.write(`${failed === 0 ? pc.green("all") : failed} ${failed === 0 ? `${r.lines.length} checks passed` : `of ${r.lines.length} checks failed`}\n`);
      }
      if (!r.ok) throw new BnlabError(`gradient check failed: ${r.lines.filter((l) => !l.ok).map((l) => `${l.check} ${l.name}`).join(", ")}`, 1);
    });
}
