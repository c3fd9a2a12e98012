/**
 * The request check behind `auth` on every server statset runs: `Authorization: Bearer <token>` or
 * `Authorization: Basic <base64(user:password)>` (RFC 7617), from HTTP headers or gRPC metadata.
 * Both sides are hashed to fixed-length digests before a constant-time comparison, so neither the
 * secret's content nor its length leaks through timing.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { ServerAuthConfig } from "../config/server-security.ts";

const BEARER_PREFIX = /^bearer\s+/i;
const BASIC_PREFIX = /^basic\s+/i;

function digest(s: string): Buffer {
  return createHash("sha256").update(s, "utf8").digest();
}

export class ServerAuth {
  readonly #scheme: "bearer" | "basic";
  readonly #expected: Buffer;
  /** The `WWW-Authenticate` value a 401 carries. */
  readonly challenge: string;

  constructor(config: ServerAuthConfig) {
    if (config.basic !== undefined) {
      this.#scheme = "basic";
      this.#expected = digest(`${config.basic.username}:${config.basic.password}`);
      this.challenge = 'Basic realm="statset", charset="UTF-8"';
    } else {
      if (config.bearer_token === undefined || config.bearer_token === "") throw new Error("bearer token must not be empty");
      this.#scheme = "bearer";
      this.#expected = digest(config.bearer_token);
      this.challenge = 'Bearer realm="statset"';
    }
  }

  /** The check for `config`, or undefined when the server takes everyone. */
  static of(config: ServerAuthConfig | undefined): ServerAuth | undefined {
    return config === undefined ? undefined : new ServerAuth(config);
  }

  /** True when `authorization` carries the configured credentials. */
  check(authorization: string | undefined): boolean {
    const presented = authorization === undefined ? "" : this.#presented(authorization);
    // Always compare (even for a missing or garbled header) so the work done does not depend on input.
    const ok = timingSafeEqual(digest(presented), this.#expected);
    return ok && presented !== "";
  }

  #presented(authorization: string): string {
    const prefix = this.#scheme === "bearer" ? BEARER_PREFIX : BASIC_PREFIX;
    const m = prefix.exec(authorization);
    if (m === null) return "";
    const credentials = authorization.slice(m[0].length).trim();
    return this.#scheme === "bearer" ? credentials : Buffer.from(credentials, "base64").toString("utf8");
  }
}
