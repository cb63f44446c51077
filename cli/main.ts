/**
 * The `bnlab` command-line entry point. Parses arguments with commander, runs the
 * chosen sub-command, and turns user errors into one clear line and an exit code
 * (0 success, 1 failure, 2 usage error) without a stack trace.
 */
import { Command, CommanderError } from "commander";
import pc from "picocolors";
import { BnlabError } from "../src/node.js";
import { commands } from "./commands/index.js";

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("bnlab")
    .description("Batch normalization you can implement, check, measure and see.")
    .version("0.1.0")
    .showHelpAfterError("(run with --help for usage)")
    .exitOverride();
  for (const register of commands) register(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help, `help` and --version exit with code 0; commander already printed the message.
      // NOTE: a bare `bnlab` or `bnlab data` (no sub-command) is also "commander.help", but
      // with exitCode 1: help printed to stderr because the command line is incomplete, a usage error.
      if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return 0;
      if (err.code === "commander.help") return err.exitCode === 0 ? 0 : 2;
      return 2;
    }
    if (err instanceof BnlabError) {
      process.stderr.write(`${pc.red("error:")} ${err.message}\n`);
      return err.exitCode;
    }
    throw err;
  }
}

const isEntry = process.argv[1] !== undefined && /cli[\\/]main\.(ts|js)$/.test(process.argv[1]);
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err);
      process.exitCode = 1;
    },
  );
}
