/**
 * Two servers of one config on the same port fail only when the second binds, at run time; this
 * finds them at validation. Port 0 (a free port each) never clashes. Two hosts clash when they are
 * the same or either is a wildcard, which binds the port on every address.
 */
import type { ConfigError } from "../components/types.ts";
import { parseEndpoint } from "./endpoint.ts";

/** One server's listen endpoint, with the config path of its `endpoint` key. */
export interface ListenEndpoint {
  readonly path: string;
  readonly endpoint: string;
}

const WILDCARDS: ReadonlySet<string> = new Set(["0.0.0.0", "::", ""]);

function sameAddress(a: string, b: string): boolean {
  const x = a.toLowerCase();
  const y = b.toLowerCase();
  return x === y || WILDCARDS.has(x) || WILDCARDS.has(y);
}

/** One error per endpoint that binds a port an earlier one already binds. */
export function listenClashes(endpoints: readonly ListenEndpoint[]): ConfigError[] {
  const parsed = endpoints.flatMap((e) => {
    const p = parseEndpoint(e.endpoint);
    return "problem" in p || p.port === 0 ? [] : [{ ...e, host: p.host, port: p.port }];
  });
  const out: ConfigError[] = [];
  parsed.forEach((e, i) => {
    const earlier = parsed.slice(0, i).find((o) => o.port === e.port && sameAddress(o.host, e.host));
    if (earlier !== undefined) out.push({ path: e.path, message: `${e.endpoint} is also the endpoint of ${earlier.path} (${earlier.endpoint}): two servers cannot bind one port` });
  });
  return out;
}
