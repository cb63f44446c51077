/**
 * How a Solver measures its accuracy checks: one interface, `Checks`, with two
 * implementations: `InlineChecks` measures each check at once on this thread;
 * `ThreadedChecks` hands checks to a `BackgroundChecker` (another thread) and measures
 * inline until it is ready, or when it fails. Either way results come back in the order
 * the checks were submitted, and they are the same numbers: only the timing differs.
 *
 * No Node APIs here; the Node checker (src/train/background-checks.ts) is registered with
 * `setBackgroundCheckerFactory`, by `enableBackgroundChecks()`.
 */
import type { Labels, Tensor } from "../core/tensor.js";
import type { Model, ModelSnapshot } from "../models/model.js";
import type { Dataset, SolverProgress } from "./solver.js";

/** One accuracy check's result from a `BackgroundChecker`; `error` when it could not be measured there. */
export type CheckOutcome = { trainAcc: number; valAcc: number; error?: undefined } | { error: string };

/**
 * Measures the Solver's accuracy checks on another thread, in submission order,
 * from a snapshot of the model taken at the check (so training can go on meanwhile).
 * The Solver draws the subsamples itself, in the same order as an inline check.
 */
export interface BackgroundChecker {
  /** True once the thread can take checks (it never turns false); before that the Solver checks inline. */
  ready(): boolean;
  /**
   * Queues the check of `snapshot` on `trainMask` rows of xTrain (null: all) and `valMask` rows of
   * xVal; with `withVal` false only the training rows (the outcome's valAcc is then NaN).
   */
  submit(snapshot: ModelSnapshot, trainMask: Int32Array | null, valMask: Int32Array | null, withVal?: boolean): void;
  /** The oldest outstanding result if it has arrived, else null. */
  poll(): CheckOutcome | null;
  /** The oldest outstanding result, waiting for it. */
  wait(): CheckOutcome;
  /**
   * This `train()` call is over (also after an exception): drops any outstanding checks and
   * lets the thread free its copy of the data; a later `submit` shares the data again.
   */
  end(): void;
}

/**
 * Makes a checker for a Solver's model and data, or returns null when it cannot
 * (a model without a `spec()`, no thread to be had). `force` is true for
 * `backgroundChecks: true`, false for "auto".
 */
export type BackgroundCheckerFactory = (model: Model, data: Dataset, force: boolean) => BackgroundChecker | null;

let checkerFactory: BackgroundCheckerFactory | null = null;

/**
 * Registers (or with null removes) the factory Solvers use for `backgroundChecks`.
 * None is registered until someone calls this (in Node: `enableBackgroundChecks()`).
 */
export function setBackgroundCheckerFactory(factory: BackgroundCheckerFactory | null): void {
  checkerFactory = factory;
}

/** The registered factory, or null (then every check is inline). */
export function getBackgroundCheckerFactory(): BackgroundCheckerFactory | null {
  return checkerFactory;
}

/** One check as the Solver hands it over: the rows to score (drawn on the Solver's stream) and what to record with it. */
export interface Check {
  /** Rows of xTrain to score (null: all). */
  readonly trainMask: Int32Array | null;
  /** Rows of xVal to score (null: all). */
  readonly valMask: Int32Array | null;
  /** The iteration after which the check is made (1-based, over all `train()` calls). */
  readonly iteration: number;
  /** That iteration's progress report; its accuracies are filled in when the check is recorded. */
  readonly progress: SolverProgress;
  /** The last check of the `train()` call: no step follows it. */
  readonly last: boolean;
}

/** A measured check. `snapshot` is the model it was measured on, or null: the model as it is now (unchanged since). */
export interface CheckResult {
  readonly check: Check;
  readonly trainAcc: number;
  readonly valAcc: number;
  readonly snapshot: ModelSnapshot | null;
}

/** The model's accuracy on rows `mask` of X (null: all). */
export type Accuracy = (X: Tensor, y: Labels, mask: Int32Array | null) => number;

/** How `Solver.train()` measures its checks. */
export interface Checks {
  /** Measures the check of the model as it is now, or starts measuring it. */
  submit(check: Check): void;
  /** The oldest check not yet taken, once measured (with `wait`: waiting for it); null when there is none yet. */
  take(wait: boolean): CheckResult | null;
  /** The `train()` call is over (also after an exception): drops what is outstanding. */
  end(): void;
}

/** Measures every check at once on this thread, on the live model: nothing is snapshot. */
export class InlineChecks implements Checks {
  private readonly done: CheckResult[] = [];

  constructor(
    private readonly data: Dataset,
    private readonly accuracy: Accuracy,
  ) {}

  submit(check: Check): void {
    this.done.push(this.measure(check, null));
  }

  take(): CheckResult | null {
    return this.done.shift() ?? null;
  }

  end(): void {
    this.done.length = 0;
  }

  /** Measures `check` on the live model now (the validation rows only when `valAcc` is not already known). */
  measure(check: Check, valAcc: number | null): CheckResult {
    const trainAcc = this.accuracy(this.data.xTrain, this.data.yTrain, check.trainMask);
    return { check, trainAcc, valAcc: valAcc ?? this.valAccuracy(check), snapshot: null };
  }

  /** The live model's accuracy on the check's validation rows. */
  valAccuracy(check: Check): number {
    return this.accuracy(this.data.xVal, this.data.yVal, check.valMask);
  }
}

/** A check sent to the background checker and not yet taken. */
interface Outstanding {
  check: Check;
  snapshot: ModelSnapshot;
  /** The validation accuracy when this thread measured it (the last check), else null. */
  valAcc: number | null;
}

/**
 * Sends checks to a `BackgroundChecker` with a snapshot of the model; checks inline (no
 * snapshot) while none is outstanding and the checker is not ready; measures a snapshot
 * here when the checker reports an error for it.
 */
export class ThreadedChecks implements Checks {
  /** Submitted and not yet taken, oldest first: measured results and checks on the thread. */
  private readonly queue: (CheckResult | Outstanding)[] = [];
  /** How many entries of the queue are on the thread. */
  private onThread = 0;

  constructor(
    private readonly checker: BackgroundChecker,
    private readonly model: Model,
    private readonly inline: InlineChecks,
  ) {}

  submit(check: Check): void {
    // NOTE: once a check is on the thread, later ones follow it there, so results stay in order.
    if (this.onThread === 0 && !this.checker.ready()) {
      this.queue.push(this.inline.measure(check, null));
      return;
    }
    const c: Outstanding = { check, snapshot: this.model.snapshot(), valAcc: null };
    // NOTE: after the last step this thread would only wait, so it measures the validation
    // rows itself (the model is still the snapshot) while the checker does the training rows.
    this.checker.submit(c.snapshot, check.trainMask, check.valMask, !check.last);
    this.queue.push(c);
    this.onThread++;
    if (check.last) c.valAcc = this.inline.valAccuracy(check);
  }

  take(wait: boolean): CheckResult | null {
    const head = this.queue[0];
    if (head === undefined) return null;
    let result: CheckResult;
    if ("trainAcc" in head) result = head;
    else {
      const outcome = wait ? this.checker.wait() : this.checker.poll();
      if (outcome === null) return null;
      result = this.settle(head, outcome);
      this.onThread--;
    }
    this.queue.shift();
    return result;
  }

  end(): void {
    this.queue.length = 0;
    this.onThread = 0;
    this.checker.end();
  }

  private settle(c: Outstanding, outcome: CheckOutcome): CheckResult {
    if (outcome.error === undefined) {
      return { check: c.check, trainAcc: outcome.trainAcc, valAcc: c.valAcc ?? outcome.valAcc, snapshot: c.snapshot };
    }
    // The thread failed: measure this snapshot here, then put the live model back.
    const live = this.model.snapshot();
    this.model.restore(c.snapshot);
    const r = this.inline.measure(c.check, c.valAcc);
    this.model.restore(live);
    return { ...r, snapshot: c.snapshot };
  }
}

/**
 * Gives progress reports to `onProgress` in iteration order, each once every check
 * submitted up to its iteration is recorded (so a check's report carries its accuracies).
 * With inline checks nothing is ever held back.
 */
export class ProgressInOrder {
  private readonly held: { progress: SolverProgress; checks: number }[] = [];
  private submitted = 0;
  private recorded = 0;

  constructor(private readonly onProgress: ((p: SolverProgress) => void) | undefined) {}

  checkSubmitted(): void {
    this.submitted++;
  }

  checkRecorded(): void {
    this.recorded++;
    this.flush();
  }

  /** Reports `progress` now, or after the checks before it are recorded. */
  report(progress: SolverProgress): void {
    if (this.held.length === 0 && this.submitted === this.recorded) this.onProgress?.(progress);
    else {
      this.held.push({ progress, checks: this.submitted });
      this.flush();
    }
  }

  private flush(): void {
    while (this.held.length > 0 && this.held[0]!.checks <= this.recorded) {
      // NOTE: shift first: `onProgress?.(held.shift())` would not shift without an onProgress.
      const { progress } = this.held.shift()!;
      this.onProgress?.(progress);
    }
  }
}
