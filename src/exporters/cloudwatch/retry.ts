/** Exponential backoff with full jitter (AWS Architecture Blog: "Exponential Backoff And Jitter"). */

export interface RetryPolicy {
  /** First backoff ceiling. */
  readonly initialIntervalMs: number;
  /** Largest backoff ceiling. */
  readonly maxIntervalMs: number;
  /** Give up on a request this long after its first attempt. */
  readonly maxElapsedTimeMs: number;
}

/** Delay before retry number `attempt` (0-based): uniform in [0, min(max, initial * 2^attempt)]. */
export function backoffDelay(attempt: number, policy: RetryPolicy, random: () => number): number {
  const ceiling = Math.min(policy.maxIntervalMs, policy.initialIntervalMs * 2 ** Math.min(attempt, 52));
  return random() * ceiling;
}
