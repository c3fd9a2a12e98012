/**
 * The node:http or node:https server behind every HTTP endpoint statset serves, chosen by the
 * section's `tls` (files read when the server starts, so a bad path fails `start` with its name).
 */
import { readFile } from "node:fs/promises";
import { createServer as createPlainServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from "node:http";
import { createServer as createTlsServer } from "node:https";
import type { TlsConfig } from "../config/server-security.ts";

export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** An HTTP server, or HTTPS with the configured certificate and key. */
export async function createHttpServer(tls: TlsConfig | undefined, options: ServerOptions, handler: RequestHandler): Promise<Server> {
  if (tls === undefined) return createPlainServer(options, handler);
  const [cert, key] = await Promise.all([readFile(tls.cert_file), readFile(tls.key_file)]);
  return createTlsServer({ ...options, cert, key }, handler);
}
