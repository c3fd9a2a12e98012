/**
 * `host:port` endpoints as the Collector writes them (`127.0.0.1:4318`, `localhost:0`, `[::1]:9464`).
 * Port 0 asks the OS for a free port.
 */
import { isIP } from "node:net";

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The parsed endpoint, or a message naming what is wrong with it. */
export function parseEndpoint(text: string): Endpoint | { problem: string } {
  const quoted = JSON.stringify(text);
  let host: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close < 0 || text[close + 1] !== ":") return { problem: `${quoted} is not host:port (IPv6 hosts are written [::1]:port)` };
    host = text.slice(1, close);
    portText = text.slice(close + 2);
    if (isIP(host) !== 6) return { problem: `${quoted}: ${JSON.stringify(host)} is not an IPv6 address` };
  } else {
    const colon = text.lastIndexOf(":");
    if (colon < 0) return { problem: `${quoted} is not host:port (missing port)` };
    host = text.slice(0, colon);
    portText = text.slice(colon + 1);
    if (host.includes(":")) return { problem: `${quoted} is not host:port (write IPv6 hosts as [::1]:port)` };
    if (host === "") return { problem: `${quoted} has no host (use 0.0.0.0:${portText} to listen on all interfaces)` };
    if (isIP(host) === 0 && !HOSTNAME.test(host)) return { problem: `${quoted}: ${JSON.stringify(host)} is not a valid host name or IP address` };
  }
  if (!/^\d{1,5}$/.test(portText)) return { problem: `${quoted}: port ${JSON.stringify(portText)} is not a number` };
  const port = Number(portText);
  if (port > 65535) return { problem: `${quoted}: port ${port} is out of range 0..65535` };
  return { host, port };
}

/** `host:port`, bracketing IPv6 hosts. */
export function formatEndpoint(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
