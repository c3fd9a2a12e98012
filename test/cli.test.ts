/**
 * The real CLI in a child process: run with a config, ingest over OTLP/HTTP, scrape, SIGTERM ->
 * graceful exit 0; a port in use and bad configs exit 1 with one line naming the cause.
 */
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { main, parseArgs } from "../src/cli.ts";
import { freePorts } from "./support/free-port.ts";

const BIN = new URL("../bin/statset.mjs", import.meta.url).pathname;
const NODE = process.execPath;

function configYaml(ports: { http: number; grpc: number; prom: number; health: number }): string {
  return `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:${ports.http}" }
      grpc: { endpoint: "127.0.0.1:${ports.grpc}" }
exporters:
  prometheus: { endpoint: "127.0.0.1:${ports.prom}" }
extensions:
  health_check: { endpoint: "127.0.0.1:${ports.health}" }
service:
  extensions: [health_check]
  telemetry: { logs: { level: "\${env:TEST_LOG_LEVEL:-info}" } }
  pipelines:
    metrics: { receivers: [otlp], exporters: [prometheus] }
`;
}

function otlpJson(value: number): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: "service.name", value: { stringValue: "cli-test" } }] },
        scopeMetrics: [
          {
            scope: { name: "t" },
            metrics: [{ name: "cli_events", sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: String(value), timeUnixNano: "1", attributes: [] }] } }],
          },
        ],
      },
    ],
  });
}

async function waitForHealth(url: string, status: number, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      if (r.status === status) return;
    } catch {
      // not up yet
    }
    if (Date.now() > end) throw new Error(`health did not answer ${status}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function collect(child: ChildProcess): { out: () => string; err: () => string; exit: Promise<number | null> } {
  let out = "";
  let err = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (err += d.toString()));
  const exit = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { out: () => out, err: () => err, exit };
}

describe("statset CLI", () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), "statset-cli-"));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  describe("parseArgs", () => {
    it("defaults to run and reads --config in both spellings", () => {
      assert.deepEqual(parseArgs([]), { command: "run", config: null });
      assert.deepEqual(parseArgs(["run", "--config", "a.yaml"]), { command: "run", config: "a.yaml" });
      assert.deepEqual(parseArgs(["validate", "--config=b.yaml"]), { command: "validate", config: "b.yaml" });
    });

    it("refuses unknown options, stray arguments and validate without a file", () => {
      assert.throws(() => parseArgs(["--bogus"]), /unknown option --bogus/);
      assert.throws(() => parseArgs(["run", "extra"]), /unexpected argument/);
      assert.throws(() => parseArgs(["validate"]), /validate needs --config FILE/);
      assert.throws(() => parseArgs(["run", "--config"]), /needs a file name/);
    });
  });

  describe("main", () => {
    it("prints help and the version", async () => {
      const lines: string[] = [];
      const io = { out: (l: string) => lines.push(l), err: (l: string) => lines.push(l) };
      assert.equal(await main(["--help"], io), 0);
      assert.match(lines.join("\n"), /statset run \[--config FILE\]/);
      assert.equal(await main(["--version"], io), 0);
      assert.match(lines.at(-1) ?? "", /^statset \d+\.\d+\.\d+$/);
      assert.equal(await main(["--nope"], io), 2);
    });

    it("validate lists every problem and exits 1", async () => {
      const file = join(dir, "bad.yaml");
      await writeFile(file, "receivers: { otlp: { protocols: { http: { endpoint: nope } } } }\nexporters: { prometheus: { endpont: x } }\nservice: { pipelines: { metrics: { receivers: [otlp], exporters: [prom] } } }\n");
      const errs: string[] = [];
      const code = await main(["validate", "--config", file], { out: () => {}, err: (l) => errs.push(l) });
      assert.equal(code, 1);
      assert.ok(errs.some((l) => l.startsWith("statset: receivers::otlp::protocols::http::endpoint:")), errs.join("\n"));
      assert.ok(errs.some((l) => l.startsWith("statset: exporters::prometheus::endpont: unknown key")));
      assert.ok(errs.some((l) => l.startsWith('statset: service::pipelines::metrics::exporters[0]: references exporter "prom"')));
      assert.match(errs.at(-1) ?? "", /3 problems$/);
    });
  });

  describe("bin/statset.mjs run", () => {
    it("serves OTLP, exposes the data and exits 0 on SIGTERM after a graceful shutdown", async () => {
      const [http, grpc, prom, health] = await freePorts(4);
      const file = join(dir, "ok.yaml");
      await writeFile(file, configYaml({ http, grpc, prom, health }));
      const child = spawn(NODE, [BIN, "run", "--config", file], { stdio: ["ignore", "pipe", "pipe"] });
      const io = collect(child);
      try {
        await waitForHealth(`http://127.0.0.1:${health}/health`, 200);
        for (const v of [5, 7]) {
          const r = await fetch(`http://127.0.0.1:${http}/v1/metrics`, { method: "POST", headers: { "content-type": "application/json" }, body: otlpJson(v) });
          assert.equal(r.status, 200, await r.text());
        }
        const text = await (await fetch(`http://127.0.0.1:${prom}/metrics`)).text();
        assert.match(text, /^cli_events_total\{otel_scope_name="statset"\} 12$/m);
        child.kill("SIGTERM");
        assert.equal(await io.exit, 0, io.err());
        const events = io.out().trim().split("\n").map((l) => JSON.parse(l) as { msg: string; level: string });
        assert.ok(events.every((e) => typeof e.level === "string"), "every log line is one JSON event");
        assert.ok(events.some((e) => e.msg === "statset started"));
        assert.equal(events.at(-1)?.msg, "statset stopped");
        assert.equal(io.err(), "");
      } finally {
        if (child.exitCode === null) child.kill("SIGKILL");
      }
    });

    it("exits 1 with one line naming the config key when a port is in use", async () => {
      const [http, grpc, prom, health] = await freePorts(4);
      const blocker: Server = createServer();
      await new Promise<void>((r) => blocker.listen({ host: "127.0.0.1", port: http }, () => r()));
      try {
        const file = join(dir, "busy.yaml");
        await writeFile(file, configYaml({ http, grpc, prom, health }));
        const r = spawnSync(NODE, [BIN, "run", "--config", file], { encoding: "utf8", env: { ...process.env, TEST_LOG_LEVEL: "silent" }, timeout: 30_000 });
        assert.equal(r.status, 1);
        assert.equal(r.stderr, `statset: receivers::otlp::protocols::http::endpoint: 127.0.0.1:${http} is already in use\n`);
      } finally {
        await new Promise<void>((r) => blocker.close(() => r()));
      }
    });

    it("exits 1 with one line for an unreadable config and for an invalid one", () => {
      const missing = spawnSync(NODE, [BIN, "run", "--config", join(dir, "nope.yaml")], { encoding: "utf8", timeout: 30_000 });
      assert.equal(missing.status, 1);
      assert.equal(missing.stderr, `statset: ${join(dir, "nope.yaml")}: cannot read the configuration: no such file\n`);
      const bad = spawnSync(NODE, [BIN, "run", "--config", new URL("../otel-config/invalid/bad-values.yaml", import.meta.url).pathname], { encoding: "utf8", timeout: 30_000 });
      assert.equal(bad.status, 1);
      assert.equal(bad.stderr.split("\n").length, 2, bad.stderr);
      assert.match(bad.stderr, /^statset: exporters::prometheus::endpoint: is not host:port \(missing port\) \(got "localhost"\) \(and 4 more problems; run: statset validate --config /);
    });
  });
});
