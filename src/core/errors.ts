/**
 * Errors a user can cause and fix (a bad option, a malformed file). The CLI prints
 * their message without a stack trace; anything else is a bug and shows its stack.
 */
export class BnlabError extends Error {
  /** Exit code the CLI uses: 1 for a failed run, 2 for a usage error. */
  readonly exitCode: 1 | 2;
  constructor(message: string, exitCode: 1 | 2 = 1) {
    super(message);
    this.name = "BnlabError";
    this.exitCode = exitCode;
  }
}

/** A bad option or argument value: names the option, what was expected and what was found. */
export class OptionError extends BnlabError {
  constructor(option: string, expected: string, found: unknown) {
    super(`invalid ${option}: expected ${expected}, got ${formatValue(found)}`, 2);
    this.name = "OptionError";
  }
}

/** A file that cannot be read as what it should be: names the file and what is wrong. */
export class DataFormatError extends BnlabError {
  readonly file: string;
  constructor(file: string, problem: string) {
    super(`${file}: ${problem}`, 1);
    this.name = "DataFormatError";
    this.file = file;
  }
}

function formatValue(v: unknown): string {
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(", ")}]`;
  if (typeof v === "number" || typeof v === "boolean" || v === null || v === undefined) return String(v);
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
