/**
 * The README's commands as child processes, for the stop-path tests: `npm start -- --config FILE`
 * (npm -> sh -> node, in its own process group) and `node src/cli.ts run --config FILE`, with OTLP
 * in, CloudWatch (test/support/cloudwatch-endpoint.ts) out, their JSON log lines collected.
 */
import { spawn, type ChildProcessByStdio } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import type { CloudWatchEndpoint } from "../support/cloudwatch-endpoint.ts";
import { freePorts } from "../support/free-port.ts";
import { cloudWatchTotals, TEST_AWS_ENV, waitUntil } from "./kafka-e2e.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const CLI = join(ROOT, "src/cli.ts");
/** The project's Node first on PATH, as `npm ci` leaves it for npm scripts. */
const PATH = `${join(ROOT, "node_modules/.bin")}:${process.env.PATH ?? ""}`;

export interface StopConfigOptions {
  readonly cloudwatch: CloudWatchEndpoint;
  readonly namespace: string;
  /** `service::shutdown_timeout`; default 15s. */
  readonly shutdownTimeout?: string;
  /** Extra receivers (e.g. a Kafka receiver), added to the pipeline. */
  readonly receivers?: Readonly<Record<string, unknown>>;
}

export interface LogLine {
  readonly msg?: string;
  readonly level?: string;
  readonly pid?: number;
  readonly [key: string]: unknown;
}

/** One statset process tree started by `command`, with its ports and the pids seen. */
export class StopProcess {
  readonly otlpPort: number;
  readonly healthPort: number;
  readonly logs: LogLine[] = [];
  stderr = "";
  readonly #child: ChildProcessByStdio<null, Readable, Readable>;
  readonly #exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  readonly #dir: string;

  private constructor(command: "npm start" | "statset run", file: string, dir: string, ports: { otlp: number; health: number }) {
    this.otlpPort = ports.otlp;
    this.healthPort = ports.health;
    this.#dir = dir;
    const [cmd, args] = command === "npm start" ? ["npm", ["start", "--", "--config", file]] : [process.execPath, [CLI, "run", "--config", file]];
    this.#child = spawn(cmd, args, {
      cwd: ROOT,
      env: { ...process.env, ...TEST_AWS_ENV, PATH },
      stdio: ["ignore", "pipe", "pipe"],
      // Its own process group (pgid = its pid), as a shell gives a job or a service manager a unit.
      detached: true,
    });
    this.#exit = new Promise((resolve) => this.#child.once("exit", (code, signal) => resolve({ code, signal })));
    createInterface({ input: this.#child.stdout }).on("line", (line) => {
      // npm's own lines (the script banner) are not JSON.
      if (line.startsWith("{")) this.logs.push(JSON.parse(line) as LogLine);
    });
    this.#child.stderr.setEncoding("utf8");
    this.#child.stderr.on("data", (chunk: string) => (this.stderr += chunk));
  }

  /** Writes the config and starts `command`; resolves once the OTLP receiver listens. */
  static async start(command: "npm start" | "statset run", o: StopConfigOptions): Promise<StopProcess> {
    const [otlp, health] = await freePorts(2);
    const dir = mkdtempSync(join(tmpdir(), "statset-stop-"));
    const file = join(dir, "config.yaml");
    writeFileSync(file, stopConfigYaml(o, { otlp, health }));
    const p = new StopProcess(command, file, dir, { otlp, health });
    let exited = false;
    void p.#exit.then(() => (exited = true));
    await waitUntil(`${command} to listen for OTLP`, async () => {
      if (exited) throw new Error(`${command} exited during start: ${p.stderr}`);
      return (await portAccepts(otlp)) && p.logs.some((l) => typeof l.pid === "number");
    }, 30_000, () => p.stderr, 50);
    return p;
  }

  /** The leader: npm, or node for `statset run`. */
  get leaderPid(): number {
    return this.#child.pid ?? -1;
  }

  /** The daemon's pid, from its log lines. */
  get daemonPid(): number {
    const pid = this.logs.find((l) => typeof l.pid === "number")?.pid;
    if (pid === undefined) throw new Error("no log line with the daemon's pid yet");
    return pid;
  }

  messages(): string[] {
    return this.logs.map((l) => String(l.msg));
  }

  /** Posts one delta counter point `stop_jobs` = `value` over OTLP/JSON; resolves with the status. */
  async send(value: number): Promise<number> {
    const body = JSON.stringify({
      resourceMetrics: [{ resource: {}, scopeMetrics: [{ scope: { name: "t" }, metrics: [{ name: "stop_jobs", sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: String(value), timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), attributes: [{ key: "queue", value: { stringValue: "q1" } }] }] } }] }] }],
    });
    const r = await fetch(`http://127.0.0.1:${this.otlpPort}/v1/metrics`, { method: "POST", headers: { "content-type": "application/json" }, body });
    await r.arrayBuffer();
    return r.status;
  }

  /** `signal` to the leader alone, the process group, or the daemon alone. */
  kill(signal: NodeJS.Signals, to: "leader" | "group" | "daemon"): void {
    const pid = to === "leader" ? this.leaderPid : to === "group" ? -this.leaderPid : this.daemonPid;
    process.kill(pid, signal);
  }

  /** Waits for the leader's exit (SIGKILL to the group after `timeoutMs`, then the test fails on the code). */
  async exit(timeoutMs = 20_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; afterMs: number }> {
    const t0 = Date.now();
    const timer = setTimeout(() => this.killAll(), timeoutMs);
    try {
      const e = await this.#exit;
      return { ...e, afterMs: Date.now() - t0 };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Last resort for a failed test: SIGKILL to the group and the daemon. */
  killAll(): void {
    for (const pid of [-this.leaderPid, this.logs.find((l) => typeof l.pid === "number")?.pid ?? 0]) {
      try {
        if (pid !== 0) process.kill(pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  daemonRunning(): boolean {
    return running(this.daemonPid);
  }

  /** Pids among the leader and the daemon that still run, and ports still taken. */
  async leftBehind(): Promise<string[]> {
    const out: string[] = [];
    for (const [what, pid] of [["leader", this.leaderPid], ["daemon", this.daemonPid]] as const) {
      if (running(pid)) out.push(`${what} pid ${pid} still runs`);
    }
    for (const port of [this.otlpPort, this.healthPort]) if (!(await portFree(port))) out.push(`port ${port} is still taken`);
    return out;
  }

  cleanup(): void {
    this.killAll();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

function stopConfigYaml(o: StopConfigOptions, ports: { otlp: number; health: number }): string {
  return stringify({
    receivers: { otlp: { protocols: { http: { endpoint: `127.0.0.1:${ports.otlp}` } } }, ...o.receivers },
    exporters: {
      awscloudwatch: {
        region: "us-east-1",
        namespace: o.namespace,
        endpoint: o.cloudwatch.url,
        // No window ends during a test: what arrives was sent by the shutdown's flush.
        interval: "60s",
        percentiles: false,
        // The exporter waits as long as the daemon does: service::shutdown_timeout is what bounds it.
        shutdown_timeout: "600s",
      },
    },
    extensions: { health_check: { endpoint: `127.0.0.1:${ports.health}` } },
    service: {
      extensions: ["health_check"],
      telemetry: { logs: { level: "debug" } },
      shutdown_timeout: o.shutdownTimeout ?? "15s",
      pipelines: { metrics: { receivers: ["otlp", ...Object.keys(o.receivers ?? {})], exporters: ["awscloudwatch"] } },
    },
  });
}

/** The sum of `stop_jobs` CloudWatch received in `namespace`. */
export function deliveredJobs(cloudwatch: CloudWatchEndpoint, namespace: string): number {
  const datums = cloudwatch.requests.filter((r) => r.namespace === namespace).flatMap((r) => r.datums);
  let sum = 0;
  for (const [key, t] of cloudWatchTotals(datums)) if (key.startsWith("stop_jobs{")) sum += t.sum;
  return sum;
}

/** True while `pid` exists and is not a zombie. */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    // Field 3 of /proc/PID/stat is the state; Z = exited, not yet reaped.
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

function portAccepts(port: number): Promise<boolean> {
  return fetch(`http://127.0.0.1:${port}/`).then(
    async (r) => {
      await r.arrayBuffer();
      return true;
    },
    () => false,
  );
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.once("error", () => resolve(false));
    srv.listen({ host: "127.0.0.1", port }, () => srv.close(() => resolve(true)));
  });
}
