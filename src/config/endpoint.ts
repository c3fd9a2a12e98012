/**
 * `host:port` endpoints as the Collector writes them (`127.0.0.1:4318`, `localhost:0`, `[::1]:9464`,
 * and Go's `:4318` for every interface, which Collector configs still carry). Port 0 asks the OS for
 * a free port. The one endpoint parser: config schemas and servers both use it.
 */
import { isIP } from "node:net";

export interface Endpoint {
  /** As given to listen()/connect(): IPv6 without brackets; "0.0.0.0" for `:port`. */
  readonly host: string;
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/**
 * The parsed endpoint, or what is wrong with it. The problem does not repeat the text: config
 * messages append `(got VALUE)` themselves.
 */
export function parseEndpoint(text: string): Endpoint | { problem: string } {
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0 || text[close + 1] !== ":") return { problem: "is not host:port (IPv6 hosts are written [::1]:port)" };
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (isIP(host) !== 6) return { problem: `host ${JSON.stringify(host)} is not an IPv6 address` };
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) return { problem: "is not host:port (missing port)" };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) return { problem: "is not host:port (write IPv6 hosts as [::1]:port)" };
    if (host !== "" && isIP(host) === 0 && !HOSTNAME.test(host)) return { problem: `host ${JSON.stringify(host)} is not a valid host name or IP address` };
  }
  if (!/^\d{1,5}$/.test(portText)) return { problem: `port ${JSON.stringify(portText)} is not a number` };
  const port = Number(portText);
  if (port > 65535) return { problem: `port ${port} is out of range 0..65535` };
  return { host: host === "" ? "0.0.0.0" : host, port };
}

/** `host:port`, bracketing IPv6 hosts. */
export function formatEndpoint(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
