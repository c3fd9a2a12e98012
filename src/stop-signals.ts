/**
 * What SIGTERM and SIGINT do to a running daemon. The first of either starts the shutdown (drain,
 * flush, exit 0). Signals that follow never cut the drain short, with one exception: a SIGINT at
 * least SECOND_SIGINT_MIN_GAP_MS after the first SIGINT, i.e. a person at a terminal pressing
 * Ctrl-C a second time on purpose.
 *
 * Why the gap: one signal often arrives twice. `npm start` forwards every SIGINT/SIGTERM it gets to
 * its script (npm's @npmcli/run-script, lib/signal-manager.js), so a signal to the process group
 * (Ctrl-C at a terminal, `kill -- -PGID`, systemd's KillMode=control-group, a container runtime)
 * reaches the daemon once directly and once through npm, milliseconds apart. Repeated SIGTERM
 * (a supervisor retrying) only ever waits for the drain; `service::shutdown_timeout` bounds it.
 */

/** A second SIGINT sooner than this after the first is the same Ctrl-C delivered twice. */
export const SECOND_SIGINT_MIN_GAP_MS = 3000;

export type StopSignal = "SIGTERM" | "SIGINT";

/** What to do about one signal. */
export type StopDecision =
  | { readonly action: "shutdown" }
  /** The drain continues; `why` is for the log line. */
  | { readonly action: "ignore"; readonly why: string }
  | { readonly action: "abandon" };

/** Decides, signal by signal, between starting the shutdown, waiting for it, and abandoning it. */
export class StopSignals {
  readonly #now: () => number;
  #stopping = false;
  #firstSigintMs: number | null = null;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** True once a signal started the shutdown. */
  get stopping(): boolean {
    return this.#stopping;
  }

  decide(signal: StopSignal): StopDecision {
    const t = this.#now();
    if (!this.#stopping) {
      this.#stopping = true;
      if (signal === "SIGINT") this.#firstSigintMs = t;
      return { action: "shutdown" };
    }
    if (signal === "SIGTERM") return { action: "ignore", why: "SIGTERM during the shutdown waits for the drain" };
    if (this.#firstSigintMs === null) {
      this.#firstSigintMs = t;
      return { action: "ignore", why: `first SIGINT during the shutdown; another one ${SECOND_SIGINT_MIN_GAP_MS} ms or more later abandons the drain` };
    }
    if (t - this.#firstSigintMs < SECOND_SIGINT_MIN_GAP_MS) {
      return { action: "ignore", why: `SIGINT within ${SECOND_SIGINT_MIN_GAP_MS} ms of the first (one Ctrl-C or process-group signal delivered twice)` };
    }
    return { action: "abandon" };
  }
}
