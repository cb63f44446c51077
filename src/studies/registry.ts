/**
 * Every study bnlab has, in the order `bnlab study --list` and `reproduce
 * --extended` show them. Adding a study is one line here (see docs/studies.md).
 */
import { OptionError } from "../core/errors.js";
import { batchSizeStudy } from "./batch-size/index.js";
import { covariateShiftStudy } from "./covariate-shift/index.js";
import { signalStudy } from "./signal/index.js";
import { activationsStudy } from "./activations/index.js";
import { learningRateStudy } from "./learning-rate/index.js";
import { testTimeStudy } from "./test-time/index.js";
import type { AnyStudy } from "./study.js";

/** The registered studies (one source for the CLI, reproduce --extended and the tests). */
export const STUDIES: readonly AnyStudy[] = [signalStudy, activationsStudy, covariateShiftStudy, testTimeStudy, batchSizeStudy, learningRateStudy];

/** The names of the registered studies. */
export const STUDY_NAMES: readonly string[] = STUDIES.map((s) => s.name);

/** The study named `name`; an OptionError (naming `option`) for an unknown name. */
export function getStudy(name: string, option = "study"): AnyStudy {
  const s = STUDIES.find((x) => x.name === name);
  if (s === undefined) throw new OptionError(option, `one of ${STUDY_NAMES.join(", ")}`, name);
  return s;
}
