/**
 * Captures what the CLI writes to process.stdout / process.stderr during each test
 * of the calling file (beforeEach / afterEach hooks), with ANSI colours removed
 * (picocolors colours output under CI=true). Read `io.stdout` / `io.stderr`.
 */
import { afterEach, beforeEach, vi } from "vitest";

/** The text written so far in the current test. */
export interface CapturedIo {
  readonly stdout: string;
  readonly stderr: string;
}

const plain = (chunk: string | Uint8Array): string => String(chunk).replace(/\x1b\[[0-9;]*m/g, "");

/** Registers the hooks; call once at the top level of a test file. */
export function captureCliOutput(): CapturedIo {
  const io = { stdout: "", stderr: "" };
  beforeEach(() => {
    io.stdout = "";
    io.stderr = "";
    vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
      io.stdout += plain(chunk);
      return true;
    });
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      io.stderr += plain(chunk);
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());
  return io;
}
