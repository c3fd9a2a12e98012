/**
 * Bucket boundary builders and validation shared by the facade and config loading.
 */

/** OpenTelemetry's default explicit bucket boundaries (the SDK's and the spec's). */
export const DEFAULT_BOUNDARIES: readonly number[] = Object.freeze([
  0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000,
]);

/**
 * `count` boundaries `start, start*factor, start*factor^2, ...` (Prometheus' ExponentialBuckets).
 * Throws unless start > 0, factor > 1 and count >= 1.
 */
export function exponentialBuckets(start: number, factor: number, count: number): number[] {
  if (!(Number.isFinite(start) && start > 0)) throw new RangeError(`exponentialBuckets: start must be a finite number > 0, got ${start}`);
  if (!(Number.isFinite(factor) && factor > 1)) throw new RangeError(`exponentialBuckets: factor must be a finite number > 1, got ${factor}`);
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`exponentialBuckets: count must be an integer >= 1, got ${count}`);
  const out = new Array<number>(count);
  let b = start;
  for (let i = 0; i < count; i++) {
    out[i] = b;
    b *= factor;
  }
  return out;
}

/** `count` boundaries `start, start+width, ...` (Prometheus' LinearBuckets). */
export function linearBuckets(start: number, width: number, count: number): number[] {
  if (!Number.isFinite(start)) throw new RangeError(`linearBuckets: start must be finite, got ${start}`);
  if (!(Number.isFinite(width) && width > 0)) throw new RangeError(`linearBuckets: width must be a finite number > 0, got ${width}`);
  if (!(Number.isInteger(count) && count >= 1)) throw new RangeError(`linearBuckets: count must be an integer >= 1, got ${count}`);
  const out = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = start + i * width;
  return out;
}

/**
 * Returns the reason `boundaries` are unusable, or null when they are finite and strictly increasing.
 * The message names the offending index and value.
 */
export function boundariesProblem(boundaries: readonly unknown[]): string | null {
  for (let i = 0; i < boundaries.length; i++) {
    const b = boundaries[i];
    if (typeof b !== "number" || !Number.isFinite(b)) return `boundary [${i}] must be a finite number, got ${String(b)}`;
    if (i > 0) {
      const prev = boundaries[i - 1] as number;
      if (b === prev) return `boundary [${i}] = ${b} duplicates boundary [${i - 1}]`;
      if (b < prev) return `boundaries must be increasing: [${i - 1}] = ${prev} > [${i}] = ${b}`;
    }
  }
  return null;
}
