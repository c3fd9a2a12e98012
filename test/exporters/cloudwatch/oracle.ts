/**
 * Test oracles and seeded data for the CloudWatch exporter tests.
 *
 * CloudWatch computes pNN from Values/Counts over the weighted values; we model it as nearest-rank:
 * the smallest value whose cumulative count reaches ceil(p * total). The exact quantile of raw data
 * uses the same rank on the sorted samples, so the two are compared like for like.
 */

/** Nearest-rank percentile over weighted values (any order; duplicates across datums allowed). */
export function weightedPercentile(values: readonly number[], counts: readonly number[], p: number): number {
  const pairs = values.map((v, i) => [v, counts[i]] as const).sort((a, b) => a[0] - b[0]);
  const total = pairs.reduce((s, [, c]) => s + c, 0);
  const rank = Math.max(1, Math.ceil(p * total));
  let cumulative = 0;
  for (const [v, c] of pairs) {
    cumulative += c;
    if (cumulative >= rank) return v;
  }
  return pairs[pairs.length - 1][0];
}

/** Nearest-rank percentile of raw samples. */
export function exactPercentile(sorted: ArrayLike<number>, p: number): number {
  return sorted[Math.max(1, Math.ceil(p * sorted.length)) - 1];
}

export { lognormalSamples, seededRandom } from "../../support/random.ts";
