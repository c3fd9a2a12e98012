/**
 * Static bearer-token check for the OTLP receivers (`Authorization: Bearer <token>`, over HTTP headers
 * or gRPC metadata). Both sides are hashed to fixed-length digests before a constant-time comparison,
 * so neither the token's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";

const BEARER_PREFIX = /^bearer\s+/i;

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

export class BearerTokenAuth {
  readonly #expected: Buffer;

  constructor(token: string) {
    if (token === "") throw new Error("bearer token must not be empty");
    this.#expected = digest(token);
  }

  /** True when `authorization` carries the configured token. */
  check(authorization: string | undefined): boolean {
    if (authorization === undefined) return false;
    const m = BEARER_PREFIX.exec(authorization);
    const presented = m === null ? "" : authorization.slice(m[0].length).trim();
    // Always compare (even for a missing/garbled header) so the work done does not depend on input.
    const ok = timingSafeEqual(digest(presented), this.#expected);
    return ok && presented !== "";
  }
}
