/**
 * Graceful shutdown with a push exporter: points acknowledged over OTLP are written by the awsemf
 * exporter's final flush when the daemon stops, none lost.
 */
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { startTestDaemon, testConfigYaml } from "./daemon-harness.ts";

describe("Daemon shutdown with a push exporter", () => {
  it("flushes every acknowledged point to the awsemf file on shutdown", async () => {
    const dir = await mkdtemp(join(tmpdir(), "statset-emf-"));
    const file = join(dir, "emf.log");
    const yaml = testConfigYaml()
      .replace("exporters:\n", `exporters:\n  awsemf:\n    namespace: Test\n    interval: 60s\n    output: file\n    path: ${file}\n`)
      .replace("exporters: [prometheus]", "exporters: [prometheus, awsemf]");
    const d = await startTestDaemon(yaml);
    try {
      let acknowledged = 0;
      for (let i = 1; i <= 20; i++) {
        const body = JSON.stringify({
          resourceMetrics: [{ resource: {}, scopeMetrics: [{ scope: { name: "t" }, metrics: [{ name: "emf_jobs", sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asDouble: i, timeUnixNano: "1", attributes: [{ key: "queue", value: { stringValue: "q1" } }] }] } }] }] }],
        });
        const r = await fetch(d.httpUrl, { method: "POST", headers: { "content-type": "application/json" }, body });
        await r.arrayBuffer();
        if (r.status === 200) acknowledged += i;
      }
      assert.equal(acknowledged, 210);
      await d.stop();
      const lines = (await readFile(file, "utf8")).trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
      const total = lines.filter((l) => "emf_jobs" in l).reduce((sum, l) => {
        const v = l.emf_jobs;
        if (typeof v === "number") return sum + v;
        const set = v as { Sum?: number; Values?: number[]; Counts?: number[] };
        if (typeof set.Sum === "number") return sum + set.Sum;
        return sum + (set.Values ?? []).reduce((a, x, k) => a + x * (set.Counts?.[k] ?? 1), 0);
      }, 0);
      assert.equal(total, acknowledged, `EMF lines:\n${lines.map((l) => JSON.stringify(l)).join("\n")}`);
    } finally {
      await d.stop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
