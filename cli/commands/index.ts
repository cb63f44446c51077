/**
 * Every sub-command registers itself on the program here (one line each).
 */
import type { Command } from "commander";

export type Register = (program: Command) => void;

export const commands: Register[] = [];
