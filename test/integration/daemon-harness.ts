/** An in-process daemon on free ports (port 0), with helpers to reach and scrape it. */
import { createRegistry } from "../../src/components/registry.ts";
import { parseConfigText } from "../../src/config/loader.ts";
import { Daemon, type DaemonOptions } from "../../src/daemon.ts";
import { PrometheusPullExporter } from "../../src/exporters/prometheus/exporter.ts";
import { OtlpReceiver } from "../../src/receivers/otlp/factory.ts";
import { createSilentLogger } from "../../src/telemetry/logger.ts";
import { parsePromText, type PromSample } from "./prom-text.ts";

export interface TestDaemon {
  readonly daemon: Daemon;
  readonly httpUrl: string;
  readonly grpcUrl: string;
  readonly promUrl: string;
  readonly healthUrl: string;
  scrape(): Promise<PromSample[]>;
  scrapeText(): Promise<string>;
  stop(): Promise<void>;
}

/** The OTLP -> pipeline -> Prometheus config on port 0; `extra` YAML lines are appended to the pipeline. */
export function testConfigYaml(options: { pipelineExtra?: string; httpExtra?: string; processors?: string } = {}): string {
  return `
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:0
${options.httpExtra ?? ""}
      grpc:
        endpoint: 127.0.0.1:0
${options.processors ?? ""}
exporters:
  prometheus:
    endpoint: 127.0.0.1:0
extensions:
  health_check:
    endpoint: 127.0.0.1:0
service:
  extensions: [health_check]
  telemetry:
    logs:
      level: silent
  pipelines:
    metrics:
      receivers: [otlp]
      exporters: [prometheus]
${options.pipelineExtra ?? ""}
`;
}

export async function startTestDaemon(yaml = testConfigYaml(), options: DaemonOptions = {}): Promise<TestDaemon> {
  const config = parseConfigText(yaml, "test.yaml", { registry: createRegistry(), env: {} });
  const daemon = await Daemon.create(config, { logger: createSilentLogger(), ...options });
  await daemon.start();
  const otlp = daemon.receiver("otlp") as OtlpReceiver;
  const prom = daemon.exporter("prometheus") as PrometheusPullExporter;
  const promUrl = `http://127.0.0.1:${prom.listeningPort}/metrics`;
  const scrapeText = async (): Promise<string> => {
    const res = await fetch(promUrl);
    if (res.status !== 200) throw new Error(`scrape answered ${res.status}`);
    return res.text();
  };
  return {
    daemon,
    httpUrl: `http://127.0.0.1:${otlp.http?.port ?? 0}/v1/metrics`,
    grpcUrl: `http://127.0.0.1:${otlp.grpc?.port ?? 0}`,
    promUrl,
    healthUrl: `http://127.0.0.1:${daemon.healthPort}/health`,
    scrape: async () => parsePromText(await scrapeText()),
    scrapeText,
    stop: () => daemon.shutdown(),
  };
}
