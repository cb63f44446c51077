/**
 * Every sub-command registers itself on the program here (one line each).
 */
import type { Command } from "commander";
import { register as serve } from "./serve.js";
import { register as data } from "./data.js";
import { register as bench } from "./bench.js";
import { register as reproduce } from "./reproduce.js";
import { register as train } from "./train.js";
import { register as sweep } from "./sweep.js";
import { register as gradcheck } from "./gradcheck.js";
import { register as exercise } from "./exercise.js";
import { register as study } from "./study.js";

export type Register = (program: Command) => void;

export const commands: Register[] = [reproduce, train, sweep, gradcheck, study, exercise, serve, data, bench];
