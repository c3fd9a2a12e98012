/**
 * Binding a server with an error that says what happened in words (the daemon turns it into its
 * one-line exit message).
 */
import type { Server } from "node:net";
import { formatEndpoint } from "../config/endpoint.ts";

/** A bind failure: `endpoint` is `host:port` as configured. */
export class ListenError extends Error {
  readonly endpoint: string;
  readonly code: string;
  constructor(endpoint: string, code: string, detail: string) {
    super(
      code === "EADDRINUSE"
        ? `${endpoint} is already in use`
        : code === "EACCES"
          ? `${endpoint}: permission denied to listen`
          : code === "EADDRNOTAVAIL"
            ? `${endpoint}: the address is not available on this host`
            : code === "ENOTFOUND" || code === "EAI_AGAIN"
              ? `${endpoint}: cannot resolve the host`
              : `${endpoint}: cannot listen (${detail})`,
    );
    this.name = "ListenError";
    this.endpoint = endpoint;
    this.code = code;
  }
}

/**
 * The errno code in a bind failure that only comes as text (grpc-js reports "No address added out
 * of total 1 resolved" with the cause inside the message).
 */
export function bindErrorCode(message: string): string {
  return /EADDRINUSE|EACCES|EADDRNOTAVAIL|ENOTFOUND|EAI_AGAIN/.exec(message)?.[0] ?? "UNKNOWN";
}

/** Listens on host:port; resolves with the bound port (useful with port 0). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  const endpoint = formatEndpoint(host, port);
  return new Promise<number>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => {
      reject(new ListenError(endpoint, err.code ?? "UNKNOWN", err.message));
    };
    server.once("error", onError);
    server.listen({ host, port }, () => {
      server.off("error", onError);
      const address = server.address();
      resolve(typeof address === "object" && address !== null ? address.port : port);
    });
  });
}

/** Closes a server, ending idle keep-alive connections so close() does not wait for them. */
export function closeServer(server: Server & { closeIdleConnections?: () => void; closeAllConnections?: () => void }): Promise<void> {
  return new Promise<void>((resolve) => {
    if (!server.listening) {
      resolve();
      return;
    }
    server.close(() => resolve());
    server.closeIdleConnections?.();
  });
}
