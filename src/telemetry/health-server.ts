/**
 * The health endpoint, after the Collector's health_check extension: 200 while every component is
 * running, 503 while the daemon is starting or stopping. It is the first thing up and the last
 * thing down, so an orchestrator sees the whole life cycle.
 */
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import type { Logger } from "pino";
import { parseEndpoint } from "../config/endpoint.ts";
import type { HealthCheckConfig } from "../config/types.ts";
import { createHttpServer } from "../net/http-server.ts";
import { ServerAuth } from "../net/server-auth.ts";
import { closeServer, listen } from "./http-listen.ts";

export type HealthStatus = "starting" | "ready" | "stopping";

export class HealthServer {
  private status: HealthStatus = "starting";
  private server: Server | null = null;
  private readonly config: HealthCheckConfig;
  private readonly auth: ServerAuth | undefined;
  private readonly host: string;
  private readonly port: number;
  private readonly path: string;
  private readonly logger: Logger;
  private readySinceMs = 0;
  private boundPort = 0;

  constructor(config: HealthCheckConfig, logger: Logger) {
    const parsed = parseEndpoint(config.endpoint);
    if ("problem" in parsed) throw new TypeError(`health_check endpoint: ${parsed.problem}`);
    this.config = config;
    this.host = parsed.host;
    this.port = parsed.port;
    this.path = config.path;
    this.logger = logger;
    this.auth = ServerAuth.of(config.auth);
  }

  /** The bound port (meaningful after start; differs from the configured one with port 0). */
  get listeningPort(): number {
    return this.boundPort;
  }

  setStatus(status: HealthStatus): void {
    if (status === "ready" && this.status !== "ready") this.readySinceMs = Date.now();
    this.status = status;
  }

  async start(): Promise<void> {
    this.server = await createHttpServer(this.config.tls, { keepAliveTimeout: 1000 }, (req, res) => this.handle(req, res));
    this.boundPort = await listen(this.server, this.host, this.port);
    this.logger.info(
      { endpoint: `${this.host}:${this.boundPort}`, path: this.path, tls: this.config.tls !== undefined, auth: this.auth !== undefined },
      "health check listening",
    );
  }

  async shutdown(): Promise<void> {
    if (this.server !== null) await closeServer(this.server);
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    if (this.auth !== undefined && !this.auth.check(req.headers.authorization)) {
      res.writeHead(401, { "www-authenticate": this.auth.challenge, "content-type": "text/plain" }).end("unauthorized\n");
      return;
    }
    const url = req.url ?? "/";
    const q = url.indexOf("?");
    const pathname = q < 0 ? url : url.slice(0, q);
    if (pathname !== this.path) {
      res.writeHead(404, { "content-type": "text/plain" }).end("not found\n");
      return;
    }
    const ready = this.status === "ready";
    const body = ready
      ? { status: "Server available", status_detail: this.status, upSince: new Date(this.readySinceMs).toISOString(), uptime: `${((Date.now() - this.readySinceMs) / 1000).toFixed(3)}s` }
      : { status: "Server not available", status_detail: this.status };
    res.writeHead(ready ? 200 : 503, { "content-type": "application/json" }).end(JSON.stringify(body));
  }
}
