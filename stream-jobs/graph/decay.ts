/**
 * Exponentially decayed request and error counts of one edge over one horizon.
 *
 * The scheme, with τ = the horizon (1 m, 5 m, 1 h) and t = the fold's clock:
 * - A window [s, e) of n requests is spread evenly over its length, so it contributes
 *   n · (τ/W)(1 − e^{−W/τ}) · e^{−(t − e)/τ} (W = e − s). Spreading rather than counting n at e
 *   keeps the rate exact: steady traffic of r req/s read at a window boundary gives exactly
 *   count = r · exposure, instead of overshooting by ~W/2τ (8% for 10-s windows at 1 m).
 * - The count is a sum of independent terms, so windows may arrive in any order (Kafka
 *   partitions are read concurrently, replays interleave) and the total is the same.
 * - rate = decayed count / exposure, exposure = τ(1 − e^{−(t − t₀)/τ}) seconds, t₀ = the start of
 *   the oldest window the fold took in. Once the fold has watched for several τ, exposure is τ
 *   and rate = decayed count / horizon seconds. Right after a restart (an hour replayed) the
 *   1 h count holds only 1 − e^{−1} = 63% of its steady weight; dividing by the exposure instead
 *   of τ keeps the rate unbiased.
 */

export interface Counts {
  requests: number;
  errors: number;
}

export class DecayedCounts {
  #requests = 0;
  #errors = 0;
  /** The time the two sums are decayed to: the newest window end added so far. */
  #atMs = Number.NEGATIVE_INFINITY;

  constructor(readonly tauMs: number) {}

  /** Adds a window [startMs, endMs) of `counts` (see the module comment for its weight). */
  add(counts: Counts, startMs: number, endMs: number): void {
    const spread = spreadFactor(endMs - startMs, this.tauMs);
    const requests = counts.requests * spread;
    const errors = counts.errors * spread;
    if (endMs >= this.#atMs) {
      const keep =
        this.#atMs === Number.NEGATIVE_INFINITY ? 0 : decay(endMs - this.#atMs, this.tauMs);
      this.#requests = this.#requests * keep + requests;
      this.#errors = this.#errors * keep + errors;
      this.#atMs = endMs;
    } else {
      const weight = decay(this.#atMs - endMs, this.tauMs);
      this.#requests += requests * weight;
      this.#errors += errors * weight;
    }
  }

  /** The sums decayed to `atMs`; a time before the newest window reads as that window's end. */
  at(atMs: number): Counts {
    if (this.#atMs === Number.NEGATIVE_INFINITY) return { requests: 0, errors: 0 };
    const keep = decay(Math.max(0, atMs - this.#atMs), this.tauMs);
    return { requests: this.#requests * keep, errors: this.#errors * keep };
  }
}

/** e^{−Δ/τ}: the weight left after `elapsedMs`. */
export function decay(elapsedMs: number, tauMs: number): number {
  return Math.exp(-elapsedMs / tauMs);
}

/** (τ/W)(1 − e^{−W/τ}): a window's weight at its end when its requests are spread over it. */
export function spreadFactor(windowMs: number, tauMs: number): number {
  if (windowMs <= 0) return 1;
  return (tauMs / windowMs) * -Math.expm1(-windowMs / tauMs);
}

/**
 * Seconds of decayed observation behind a count at `atMs` when watching began at `sinceMs`:
 * τ(1 − e^{−(t − t₀)/τ}), τ in seconds. Zero before anything was seen.
 */
export function exposureSeconds(tauMs: number, sinceMs: number, atMs: number): number {
  if (!(atMs > sinceMs)) return 0;
  return (tauMs / 1000) * -Math.expm1(-(atMs - sinceMs) / tauMs);
}
