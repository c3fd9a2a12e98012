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
import { parseEndpoint } from "./endpoint.ts";
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

/** `localhost`, `127.x.x.x`, `::1` (and its IPv4-mapped form): reachable from this host only. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || h === "::ffff:127.0.0.1";
}

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
