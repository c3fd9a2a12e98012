/**
 * A real Prometheus server (Debian's /usr/bin/prometheus) for integration tests: temp config with
 * a 1 s scrape interval, temp TSDB, loopback listen address on a free port; `stop()` kills it and
 * removes the temp directory.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.ts";

export const PROMETHEUS_BIN = "/usr/bin/prometheus";

export interface PrometheusServer {
  readonly url: string;
  /** Instant query; returns the `data.result` array. */
  query(expr: string): Promise<PromVectorSample[]>;
  /** Polls `query` until `ready` accepts the result or the timeout passes (then throws with the last result). */
  waitFor(expr: string, ready: (r: PromVectorSample[]) => boolean, timeoutMs?: number): Promise<PromVectorSample[]>;
  stop(): Promise<void>;
  /** Everything Prometheus logged (for failure messages). */
  logs(): string;
}

export interface PromVectorSample {
  metric: Record<string, string>;
  value: [number, string];
}

/** Extra scrape_config lines (Prometheus YAML, indented under the job), e.g. `scheme: https`. */
export interface ScrapeOptions {
  readonly scrapeInterval?: string;
  readonly jobLines?: readonly string[];
}

export async function startPrometheus(targets: readonly string[], options: ScrapeOptions = {}): Promise<PrometheusServer> {
  const scrapeInterval = options.scrapeInterval ?? "1s";
  const dir = await mkdtemp(join(tmpdir(), "statset-prom-"));
  const port = await freePort();
  const config = [
    "global:",
    `  scrape_interval: ${scrapeInterval}`,
    `  evaluation_interval: ${scrapeInterval}`,
    "scrape_configs:",
    "  - job_name: statset",
    `    scrape_interval: ${scrapeInterval}`,
    ...(options.jobLines ?? []).map((l) => `    ${l}`),
    "    static_configs:",
    `      - targets: [${targets.map((t) => JSON.stringify(t)).join(", ")}]`,
  ].join("\n");
  await writeFile(join(dir, "prometheus.yml"), config + "\n");
  const child: ChildProcess = spawn(
    PROMETHEUS_BIN,
    [
      `--config.file=${join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    { stdio: ["ignore", "pipe", "pipe"] },
  );
  let log = "";
  child.stdout?.on("data", (d: Buffer) => (log += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (log += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

  const query = async (expr: string): Promise<PromVectorSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { result: PromVectorSample[] } };
    if (body.status !== "success") throw new Error(`prometheus query ${expr} failed: ${body.error ?? res.status}`);
    return body.data?.result ?? [];
  };

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited early (${child.exitCode}): ${log}`);
    try {
      const r = await fetch(`${url}/-/ready`);
      if (r.status === 200) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`prometheus did not become ready: ${log}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }

  return {
    url,
    query,
    async waitFor(expr, ready, timeoutMs = 20_000) {
      const end = Date.now() + timeoutMs;
      let last: PromVectorSample[] = [];
      for (;;) {
        last = await query(expr);
        if (ready(last)) return last;
        if (Date.now() > end) throw new Error(`timed out waiting for ${expr}; last result ${JSON.stringify(last)}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    },
    async stop() {
      if (child.exitCode === null) {
        child.kill("SIGTERM");
        const t = setTimeout(() => child.kill("SIGKILL"), 5000);
        await exited;
        clearTimeout(t);
      }
      await rm(dir, { recursive: true, force: true });
    },
    logs: () => log,
  };
}
