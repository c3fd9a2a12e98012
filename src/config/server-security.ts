/**
 * Who may talk to a server statset runs (OTLP receivers, the Prometheus endpoint, health_check),
 * declared the same way for every one of them:
 *
 *   auth: { bearer_token: ${env:TOKEN} }                 # or
 *   auth: { basic: { username: prom, password: ${env:PW} } }
 *   tls: { cert_file: server.crt, key_file: server.key }
 *   allow_unauthenticated_non_loopback: false
 *
 * A server without auth refuses, at validation, an endpoint whose host is not loopback unless
 * `allow_unauthenticated_non_loopback: true` says that exposure is intended.
 */
import type { ConfigError } from "../components/types.ts";
import { parseEndpoint } from "./endpoint.ts";
import { ConfigReader, describeValue } from "./fields.ts";
import { z } from "./schema.ts";

export interface BasicAuthConfig {
  readonly username: string;
  readonly password: string;
}

/** Exactly one of the two is set. */
export interface ServerAuthConfig {
  readonly bearer_token?: string;
  readonly basic?: BasicAuthConfig;
}

export interface TlsConfig {
  readonly cert_file: string;
  readonly key_file: string;
}

/** The keys every server's section shares. */
export interface ServerSecurityConfig {
  readonly auth?: ServerAuthConfig;
  readonly tls?: TlsConfig;
  readonly allow_unauthenticated_non_loopback: boolean;
}

/** The keys `readServerSecurity` reads, for sections that list their keys themselves. */
export const SERVER_SECURITY_KEYS = ["auth", "tls", "allow_unauthenticated_non_loopback"] as const;

/** `localhost`, `127.x.x.x`, `::1` (and its IPv4-mapped form): reachable from this host only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1";
}

function nonEmptyString(r: ConfigReader, key: string, what: string): string | undefined {
  const v = r.value(key);
  if (typeof v === "string" && v !== "") return v;
  r.problem(key, v === undefined || v === null ? `required when ${what} is set` : `expected a non-empty string, got ${v === "" ? "an empty string" : describeValue(v)}`);
  return undefined;
}

function readBasic(r: ConfigReader): BasicAuthConfig | undefined {
  if (!r.ok) return undefined;
  const username = nonEmptyString(r, "username", "basic");
  const password = nonEmptyString(r, "password", "basic");
  r.finish();
  if (username !== undefined && username.includes(":")) {
    // RFC 7617 section 2: the user-id cannot contain a colon.
    r.problem("username", `must not contain ":" (got ${describeValue(username)})`);
    return undefined;
  }
  return username === undefined || password === undefined ? undefined : { username, password };
}

function readAuth(r: ConfigReader): ServerAuthConfig | undefined {
  if (!r.ok) return undefined;
  const hasBearer = r.has("bearer_token");
  const hasBasic = r.has("basic");
  let auth: ServerAuthConfig | undefined;
  if (hasBearer && hasBasic) {
    r.problem("basic", "set either bearer_token or basic, not both");
    r.value("bearer_token");
    r.value("basic");
  } else if (hasBasic) {
    const basic = readBasic(r.child("basic"));
    if (basic !== undefined) auth = { basic };
  } else {
    const token = nonEmptyString(r, "bearer_token", "auth");
    if (token !== undefined) auth = { bearer_token: token };
  }
  r.finish();
  return auth;
}

function readTls(r: ConfigReader): TlsConfig | undefined {
  if (!r.ok) return undefined;
  const paths: string[] = [];
  for (const key of ["cert_file", "key_file"]) {
    const v = r.value(key);
    if (typeof v === "string" && v !== "") paths.push(v);
    else r.problem(key, v === undefined || v === null ? "required when tls is set" : `expected a file path, got ${describeValue(v)}`);
  }
  r.finish();
  return paths.length === 2 ? { cert_file: paths[0], key_file: paths[1] } : undefined;
}

/**
 * Reads `auth`, `tls` and `allow_unauthenticated_non_loopback` from `r` and applies the exposure
 * rule to `host` (undefined when the endpoint itself was invalid and already reported).
 */
export function readServerSecurity(r: ConfigReader, endpointKey: string, host: string | undefined): ServerSecurityConfig {
  const auth = r.has("auth") ? readAuth(r.child("auth")) : (r.value("auth"), undefined);
  const tls = r.has("tls") ? readTls(r.child("tls")) : (r.value("tls"), undefined);
  const allow = r.boolean("allow_unauthenticated_non_loopback", false);
  if (host !== undefined && !r.has("auth") && !allow && !isLoopbackHost(host)) {
    r.problem(
      endpointKey,
      `refusing to listen on non-loopback address ${JSON.stringify(host)} without auth (bearer_token or basic); set allow_unauthenticated_non_loopback: true if that is intended`,
    );
  }
  return { ...(auth === undefined ? {} : { auth }), ...(tls === undefined ? {} : { tls }), allow_unauthenticated_non_loopback: allow };
}

/** `readServerSecurity` over a raw section whose other keys the caller checks itself. */
export function validateServerSecurity(raw: Record<string, unknown>, path: string, endpointKey: string, host: string | undefined, errors: ConfigError[]): ServerSecurityConfig {
  const picked: Record<string, unknown> = {};
  for (const key of SERVER_SECURITY_KEYS) if (key in raw) picked[key] = raw[key];
  return readServerSecurity(new ConfigReader(picked, path, errors), endpointKey, host);
}

// ---- the same keys as a schema (components declared with src/config/schema.ts) ---------------

/** `auth`, `tls` and `allow_unauthenticated_non_loopback`, to spread into a server's object schema. */
export const serverSecurityShape = {
  auth: z
    .strictObject({
      bearer_token: z.string().min(1).optional(),
      basic: z
        .strictObject({
          username: z
            .string()
            .min(1)
            // RFC 7617 section 2: the user-id cannot contain a colon.
            .refine((u) => !u.includes(":"), { message: 'must not contain ":"' }),
          password: z.string().min(1),
        })
        .optional(),
    })
    .superRefine((a, ctx) => {
      if (a.bearer_token !== undefined && a.basic !== undefined) ctx.addIssue({ code: "custom", path: ["basic"], message: "set either bearer_token or basic, not both" });
      if (a.bearer_token === undefined && a.basic === undefined) ctx.addIssue({ code: "custom", path: ["bearer_token"], message: "required when auth is set (or basic)" });
    })
    .optional()
    .meta({ statsetType: "{bearer_token} or {basic: {username, password}}" })
    .describe("require `Authorization: Bearer <token>` or `Basic` credentials; see Servers"),
  tls: z
    .strictObject({ cert_file: z.string().min(1), key_file: z.string().min(1) })
    .optional()
    .meta({ statsetType: "{cert_file, key_file}" })
    .describe("serve HTTPS with this certificate and key"),
  allow_unauthenticated_non_loopback: z.boolean().prefault(false).describe("allow a non-loopback endpoint without auth"),
};

/** The exposure rule as a refinement of an object schema with `endpoint` and the security keys. */
export function refineExposure(value: { readonly endpoint: string } & ServerSecurityConfig, ctx: z.RefinementCtx): void {
  const parsed = parseEndpoint(value.endpoint);
  if ("problem" in parsed || value.auth !== undefined || value.allow_unauthenticated_non_loopback || isLoopbackHost(parsed.host)) return;
  ctx.addIssue({
    code: "custom",
    path: ["endpoint"],
    message: `refusing to listen on non-loopback address ${JSON.stringify(parsed.host)} without auth (bearer_token or basic); set allow_unauthenticated_non_loopback: true if that is intended`,
  });
}
