/**
 * Population statistics pooled from per-batch statistics, for precise batch-norm
 * statistics at test time (Wu & Johnson 2021, "Rethinking 'Batch' in BatchNorm").
 */

/**
 * Pools the means and biased variances of equal-sized batches into the mean and
 * biased variance of all their samples together, by the law of total variance:
 *
 *   mean = mean of the batch means
 *   var  = mean of the batch variances + (biased) variance of the batch means
 *
 * which, for batches of one size, is exactly the variance of the pooled samples
 * (the EMA's "running" variance is instead a weighted mean of batch variances alone,
 * which misses the spread of the batch means and leans on the latest batches).
 *
 * NOTE: every statistic is a running mean updated as m ← m + (x − m)/k (Welford), so
 * batches that are all the same give back that batch's mean and variance exactly:
 * the first update sets m = x, every later one adds (x − x)/k = 0.
 */
export class PopulationStats {
  private k = 0;
  private readonly mean: Float64Array;
  /** Σ_batches (mu − mean_before)·(mu − mean_after): k × the variance of the batch means. */
  private readonly m2: Float64Array;
  private readonly meanVar: Float64Array;

  constructor(readonly D: number) {
    this.mean = new Float64Array(D);
    this.m2 = new Float64Array(D);
    this.meanVar = new Float64Array(D);
  }

  /** Batches added so far. */
  get count(): number {
    return this.k;
  }

  /**
   * Adds one batch's statistics.
   * @param mu the batch's mean per feature (D)
   * @param v the batch's biased variance per feature (D)
   */
  add(mu: ArrayLike<number>, v: ArrayLike<number>): void {
    if (mu.length !== this.D || v.length !== this.D) throw new RangeError(`PopulationStats.add: expected ${this.D} means and variances, found ${mu.length} and ${v.length}`);
    const k = ++this.k;
    for (let j = 0; j < this.D; j++) {
      const delta = mu[j]! - this.mean[j]!;
      this.mean[j] = this.mean[j]! + delta / k;
      this.m2[j] = this.m2[j]! + delta * (mu[j]! - this.mean[j]!);
      this.meanVar[j] = this.meanVar[j]! + (v[j]! - this.meanVar[j]!) / k;
    }
  }

  /** The pooled mean and biased variance (D each); throws before any batch. */
  result(): { mean: Float64Array; var: Float64Array } {
    if (this.k === 0) throw new RangeError("PopulationStats.result: no batch added");
    const v = new Float64Array(this.D);
    for (let j = 0; j < this.D; j++) v[j] = this.meanVar[j]! + this.m2[j]! / this.k;
    return { mean: this.mean.slice(), var: v };
  }
}
