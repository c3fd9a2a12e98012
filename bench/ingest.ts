/**
 * bench:ingest — end-to-end ingest throughput of the daemon. The daemon runs in this process; a
 * load generator (bench/load-generator.ts) runs in a separate process on loopback and posts
 * OTLP protobuf requests of 1000 points (500 histogram + 500 sum, delta) over 10k series.
 *
 * Phases (share of --seconds, default 120):
 *   http-max   50%  closed loop, OTLP/HTTP protobuf: datapoints/s accepted, latency, CPU, RSS
 *   http-half  25%  open loop at half the http-max request rate: p50/p99 latency
 *   grpc-max   25%  closed loop, OTLP/gRPC
 * plus the bare protobuf decode cost of the same payloads (no pipeline, no store).
 * With --scrape-every N a Prometheus scrape runs every N seconds during the load (off by default:
 * a scrape of the bench's 20k histogram series serializes ~16 MB of text on the event loop and
 * shows up as latency spikes; its duration is measured once at the end instead).
 *
 * Usage: npm run bench:ingest [-- --seconds 20] [-- --concurrency 16] [-- --engine js] [-- --scrape-every 10] [-- --json FILE]
 */
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRegistry } from "../src/components/registry.ts";
import { parseConfigText } from "../src/config/loader.ts";
import { Daemon } from "../src/daemon.ts";
import { PrometheusPullExporter } from "../src/exporters/prometheus/exporter.ts";
import { OtlpReceiver } from "../src/receivers/otlp/factory.ts";
import { OtlpProtoDecoder } from "../src/receivers/otlp/otlp-proto-decoder.ts";
import { createLogger } from "../src/telemetry/logger.ts";
import { buildPayloads, POINTS_PER_REQUEST } from "./load-generator.ts";

const args = process.argv.slice(2);
function arg(name: string, def: string): string {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : def;
}
const SECONDS = Number(arg("--seconds", "120"));
const CONCURRENCY = Number(arg("--concurrency", "16"));
const ENGINE = arg("--engine", "wasm") as "wasm" | "js";
const SCRAPE_EVERY_S = Number(arg("--scrape-every", "0"));
const JSON_FILE = args.includes("--json") ? arg("--json", "") : "";
const GENERATOR = new URL("./load-generator.ts", import.meta.url).pathname;

interface GeneratorReport {
  mode: string;
  seconds: number;
  requests: number;
  ok: number;
  statuses: Record<string, number>;
  pointsSent: number;
  p50ms: number;
  p99ms: number;
  maxms: number;
  payloadBytes: number;
}

interface PhaseResult {
  phase: string;
  generator: GeneratorReport;
  acceptedPoints: number;
  pointsPerSecond: number;
  cpuSeconds: number;
  cpuSecondsPerMillionPoints: number;
  rssMiB: { first: number; min: number; max: number; last: number };
}

function runGenerator(extra: string[]): Promise<GeneratorReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GENERATOR, ...extra], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => {
      if (code !== 0) reject(new Error(`load generator exited ${code}`));
      else resolve(JSON.parse(out.trim().split("\n").at(-1) ?? "{}") as GeneratorReport);
    });
  });
}

async function main(): Promise<void> {
  const yaml = `
receivers:
  otlp:
    protocols:
      http: { endpoint: "127.0.0.1:0" }
      grpc: { endpoint: "127.0.0.1:0" }
exporters:
  prometheus: { endpoint: "127.0.0.1:0", series_ttl: 0 }
service:
  telemetry: { logs: { level: warn } }
  engine: ${ENGINE}
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheus]
      cardinality_limit: 20000
      max_series: 2000000
`;
  const config = parseConfigText(yaml, "bench", { registry: createRegistry(), env: {} });
  const daemon = await Daemon.create(config, { logger: createLogger({ level: "warn", fd: 2 }) });
  await daemon.start();
  const otlp = daemon.receiver("otlp") as OtlpReceiver;
  const prom = daemon.exporter("prometheus") as PrometheusPullExporter;
  const httpTarget = `http://127.0.0.1:${otlp.http?.port}/v1/metrics`;
  const grpcTarget = `127.0.0.1:${otlp.grpc?.port}`;
  const pipeline = daemon.pipelines.get("metrics");
  if (pipeline === undefined) throw new Error("no pipeline");

  let accepted = 0;
  const originalConsume = pipeline.consumeAdmitted.bind(pipeline);
  pipeline.consumeAdmitted = (batch) => {
    const r = originalConsume(batch);
    accepted += r.acceptedPoints;
    return r;
  };
  const scrapeTimer =
    SCRAPE_EVERY_S > 0
      ? setInterval(() => {
          prom.render().catch(() => {});
        }, SCRAPE_EVERY_S * 1000)
      : null;

  const results: PhaseResult[] = [];
  const phase = async (name: string, generatorArgs: string[]): Promise<PhaseResult> => {
    const rss: number[] = [];
    const rssTimer = setInterval(() => rss.push(process.memoryUsage.rss() / 1048576), 1000);
    rss.push(process.memoryUsage.rss() / 1048576);
    const acceptedBefore = accepted;
    const cpu0 = process.cpuUsage();
    const generator = await runGenerator(generatorArgs);
    const cpu = process.cpuUsage(cpu0);
    clearInterval(rssTimer);
    rss.push(process.memoryUsage.rss() / 1048576);
    const acceptedPoints = accepted - acceptedBefore;
    const cpuSeconds = (cpu.user + cpu.system) / 1e6;
    const r: PhaseResult = {
      phase: name,
      generator,
      acceptedPoints,
      pointsPerSecond: acceptedPoints / generator.seconds,
      cpuSeconds,
      cpuSecondsPerMillionPoints: cpuSeconds / (acceptedPoints / 1e6),
      rssMiB: { first: rss[0], min: Math.min(...rss), max: Math.max(...rss), last: rss[rss.length - 1] },
    };
    results.push(r);
    process.stderr.write(
      `${name.padEnd(10)} ${(r.pointsPerSecond / 1e6).toFixed(3)} M points/s accepted  p50 ${generator.p50ms.toFixed(2)} ms  p99 ${generator.p99ms.toFixed(2)} ms  ` +
        `CPU ${r.cpuSecondsPerMillionPoints.toFixed(3)} s/M points  RSS ${r.rssMiB.first.toFixed(0)} -> ${r.rssMiB.last.toFixed(0)} MiB (max ${r.rssMiB.max.toFixed(0)})  statuses ${JSON.stringify(generator.statuses)}\n`,
    );
    return r;
  };

  process.stderr.write(`statset ingest bench: engine ${ENGINE}, ${SECONDS} s, ${POINTS_PER_REQUEST} points/request, concurrency ${CONCURRENCY}\n`);
  const max = await phase("http-max", ["--mode", "http", "--target", httpTarget, "--seconds", String(SECONDS * 0.5), "--concurrency", String(CONCURRENCY)]);
  const halfRate = Math.max(1, Math.round(max.generator.ok / max.generator.seconds / 2));
  await phase("http-half", ["--mode", "http", "--target", httpTarget, "--seconds", String(SECONDS * 0.25), "--rate", String(halfRate)]);
  await phase("grpc-max", ["--mode", "grpc", "--target", grpcTarget, "--seconds", String(SECONDS * 0.25), "--concurrency", String(CONCURRENCY)]);
  if (scrapeTimer !== null) clearInterval(scrapeTimer);
  const scrapeT0 = performance.now();
  const scrapeBytes = (await prom.render()).length;
  const scrape = { ms: performance.now() - scrapeT0, bytes: scrapeBytes };
  process.stderr.write(`scrape     ${scrape.ms.toFixed(0)} ms for ${(scrape.bytes / 1048576).toFixed(1)} MiB of exposition text\n`);

  // Bare decode: the same payloads through the protobuf decoder only.
  const payloads = buildPayloads(20);
  const decoder = new OtlpProtoDecoder();
  for (let i = 0; i < 200; i++) decoder.decode(payloads[i % payloads.length]);
  const decodeRounds = 2000;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let decodedPoints = 0;
  for (let i = 0; i < decodeRounds; i++) {
    const b = decoder.decode(payloads[i % payloads.length]);
    for (const r of b.resources) for (const s of r.scopes) for (const m of s.metrics) decodedPoints += m.points.length;
  }
  const decodeSeconds = (performance.now() - t0) / 1000;
  const decodeCpu = process.cpuUsage(cpu0);
  const decode = {
    pointsPerSecond: decodedPoints / decodeSeconds,
    cpuSecondsPerMillionPoints: (decodeCpu.user + decodeCpu.system) / 1e6 / (decodedPoints / 1e6),
  };
  process.stderr.write(`decode     ${(decode.pointsPerSecond / 1e6).toFixed(3)} M points/s (one core)  CPU ${decode.cpuSecondsPerMillionPoints.toFixed(3)} s/M points\n`);

  const stats = pipeline.store.stats();
  process.stderr.write(`store      ${stats.series} series, ${pipeline.streams} streams, engine ${stats.engineBytes} bytes\n`);
  await daemon.shutdown();
  const report = { engine: ENGINE, seconds: SECONDS, concurrency: CONCURRENCY, phases: results, decode, scrape, store: stats };
  if (JSON_FILE !== "") writeFileSync(JSON_FILE, JSON.stringify(report, null, 2));
  process.stdout.write(JSON.stringify(report) + "\n");
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench:ingest failed: ${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
