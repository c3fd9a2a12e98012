import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { classifyError } from "../../../src/exporters/cloudwatch/transport.ts";
import { CloudWatchEndpoint, STATSET_INVARIANT, statisticsKey } from "../../support/cloudwatch-endpoint.ts";
import { TEST_CREDENTIALS } from "./support.ts";

let endpoint: CloudWatchEndpoint;
let client: CloudWatchClient;

before(async () => {
  endpoint = await CloudWatchEndpoint.start();
  client = new CloudWatchClient({ region: "us-east-1", endpoint: endpoint.url, credentials: TEST_CREDENTIALS, maxAttempts: 1 });
});
after(async () => {
  client.destroy();
  await endpoint.close();
});

async function put(data: MetricDatum[]): Promise<unknown> {
  try {
    await client.send(new PutMetricDataCommand({ Namespace: "T", MetricData: data }));
    return null;
  } catch (err) {
    return err;
  }
}

const now = () => new Date();

describe("CloudWatchEndpoint", () => {
  it("accepts what the real SDK sends (AWS JSON 1.0, SigV4, gzip above 10 KiB)", async () => {
    const before = endpoint.requests.length;
    assert.equal(await put([{ MetricName: "m", Timestamp: now(), StatisticValues: { SampleCount: 2, Sum: 3, Minimum: 1, Maximum: 2 } }]), null);
    const many = Array.from({ length: 300 }, (_, i): MetricDatum => ({ MetricName: `m${i}`, Timestamp: now(), Values: [1, 2], Counts: [3, 4] }));
    assert.equal(await put(many), null);
    const [small, big] = endpoint.requests.slice(before);
    assert.equal(small.gzip, false);
    assert.equal(big.gzip, true);
    assert.equal(big.datums.length, 300);
    assert.ok(typeof small.datums[0].Timestamp === "number", "epoch-second timestamps");
  });

  it("answers 400 with an AWS error for anything CloudWatch would refuse", async () => {
    const t = now();
    const cases: [string, MetricDatum][] = [
      ["151 values", { MetricName: "m", Timestamp: t, Values: Array.from({ length: 151 }, (_, i) => i) }],
      ["unequal counts", { MetricName: "m", Timestamp: t, Values: [1, 2], Counts: [1] }],
      ["min > max", { MetricName: "m", Timestamp: t, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 2, Maximum: 1 } }],
      ["a statistic set without Maximum", { MetricName: "m", Timestamp: t, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: undefined } }],
      ["a statistic set without Sum beside Values/Counts", { MetricName: "m", Timestamp: t, Values: [1], Counts: [1], StatisticValues: { SampleCount: 1, Sum: undefined, Minimum: 1, Maximum: 1 } }],
      ["Counts without Values", { MetricName: "m", Timestamp: t, Counts: [1], StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }],
      ["both Value and Values/Counts with StatisticValues", { MetricName: "m", Timestamp: t, Value: 1, Values: [1], Counts: [1], StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }],
      ["zero samples", { MetricName: "m", Timestamp: t, StatisticValues: { SampleCount: 0, Sum: 0, Minimum: 0, Maximum: 0 } }],
      ["value too large", { MetricName: "m", Timestamp: t, Value: 2 ** 361 }],
      ["old timestamp", { MetricName: "m", Timestamp: new Date(Date.now() - 15 * 86_400_000), Value: 1 }],
      ["future timestamp", { MetricName: "m", Timestamp: new Date(Date.now() + 3 * 3_600_000), Value: 1 }],
      ["31 dimensions", { MetricName: "m", Timestamp: t, Value: 1, Dimensions: Array.from({ length: 31 }, (_, i) => ({ Name: `k${i}`, Value: "v" })) }],
      ["empty dimension value", { MetricName: "m", Timestamp: t, Value: 1, Dimensions: [{ Name: "k", Value: "" }] }],
      ["non-ASCII dimension value", { MetricName: "m", Timestamp: t, Value: 1, Dimensions: [{ Name: "k", Value: "caf\u00e9" }] }],
      ["both Value and StatisticValues", { MetricName: "m", Timestamp: t, Value: 1, StatisticValues: { SampleCount: 1, Sum: 1, Minimum: 1, Maximum: 1 } }],
      ["both Value and Values", { MetricName: "m", Timestamp: t, Value: 1, Values: [1] }],
      ["storage resolution 5", { MetricName: "m", Timestamp: t, Value: 1, StorageResolution: 5 }],
      ["metric name 256", { MetricName: "x".repeat(256), Timestamp: t, Value: 1 }],
    ];
    for (const [what, datum] of cases) {
      const refusedBefore = endpoint.refused.length;
      const err = await put([datum]);
      assert.ok(err !== null, `${what} must be refused`);
      assert.equal(classifyError(err), "rejected", what);
      if (what.startsWith("a statistic set without")) assert.equal(endpoint.refused[refusedBefore]?.code, "MissingParameter", `${what}: the four fields come together`);
    }
    const tooMany = Array.from({ length: 1001 }, (): MetricDatum => ({ MetricName: "m", Timestamp: t, Value: 1 }));
    assert.notEqual(await put(tooMany), null, "1001 datums must be refused");
  });

  it("accepts StatisticValues beside Values/Counts, as the CloudWatch agent sends them, and merges the sets per metric", async () => {
    const before = endpoint.requests.length;
    const t = new Date(Math.floor(Date.now() / 1000) * 1000);
    const dims = [{ Name: "b", Value: "2" }, { Name: "a", Value: "1" }];
    const first: MetricDatum = { MetricName: "h", Dimensions: dims, Timestamp: t, Values: [1, 2], Counts: [3, 1], StatisticValues: { SampleCount: 4, Sum: 4.5, Minimum: 0.5, Maximum: 2 } };
    const second: MetricDatum = { MetricName: "h", Dimensions: [...dims].reverse(), Timestamp: t, Values: [5, 9], Counts: [1, 1], StatisticValues: { SampleCount: 2, Sum: 14, Minimum: 5, Maximum: 9.5 } };
    assert.equal(await put([first]), null);
    assert.equal(await put([second, { MetricName: "v", Timestamp: t, Value: 7 }]), null);
    const merged = endpoint.statistics(before);
    assert.deepEqual(merged.get(statisticsKey("h", dims, t.getTime() / 1000)), { SampleCount: 6, Sum: 18.5, Minimum: 0.5, Maximum: 9.5, datums: 2 });
    assert.deepEqual(merged.get(statisticsKey("v", [], t.getTime() / 1000)), { SampleCount: 1, Sum: 7, Minimum: 7, Maximum: 7, datums: 1 });
  });

  it("refuses a statistic set that does not describe its own Values/Counts (statset's invariants)", async () => {
    const t = now();
    const cases: [string, MetricDatum][] = [
      ["SampleCount differs from the Counts", { MetricName: "m", Timestamp: t, Values: [1, 2], Counts: [3, 1], StatisticValues: { SampleCount: 5, Sum: 5, Minimum: 1, Maximum: 2 } }],
      ["a value below Minimum", { MetricName: "m", Timestamp: t, Values: [1, 2], Counts: [3, 1], StatisticValues: { SampleCount: 4, Sum: 5, Minimum: 1.5, Maximum: 2 } }],
      ["a value above Maximum", { MetricName: "m", Timestamp: t, Values: [1, 2], Counts: [3, 1], StatisticValues: { SampleCount: 4, Sum: 5, Minimum: 1, Maximum: 1.5 } }],
      ["Sum below SampleCount * Minimum", { MetricName: "m", Timestamp: t, Values: [1, 2], Counts: [3, 1], StatisticValues: { SampleCount: 4, Sum: 3.9, Minimum: 1, Maximum: 2 } }],
      ["Sum above SampleCount * Maximum", { MetricName: "m", Timestamp: t, StatisticValues: { SampleCount: 2, Sum: 4.1, Minimum: 1, Maximum: 2 } }],
    ];
    for (const [what, datum] of cases) {
      const refusedBefore = endpoint.refused.length;
      const err = await put([datum]);
      assert.ok(err !== null, `${what} must be refused`);
      assert.equal(endpoint.refused[refusedBefore]?.code, STATSET_INVARIANT, what);
    }
    const rounding: MetricDatum = { MetricName: "m", Timestamp: t, StatisticValues: { SampleCount: 10, Sum: 0.9999999999999999, Minimum: 0.1, Maximum: 0.1 } };
    assert.equal(await put([rounding]), null, "ten 0.1s added one by one: the rounding of the recorded sum is allowed");
  });

  it("answers throttling and 5xx on demand, which the exporter classifies as retryable", async () => {
    endpoint.failNext(1, "throttling");
    assert.equal(classifyError(await put([{ MetricName: "m", Timestamp: now(), Value: 1 }])), "throttled");
    endpoint.failNext(1, "server_error");
    assert.equal(classifyError(await put([{ MetricName: "m", Timestamp: now(), Value: 1 }])), "server_error");
    endpoint.failNext(1, "unavailable");
    assert.equal(classifyError(await put([{ MetricName: "m", Timestamp: now(), Value: 1 }])), "server_error");
    const closed = new CloudWatchClient({ region: "us-east-1", endpoint: "http://127.0.0.1:1", credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    try {
      await closed.send(new PutMetricDataCommand({ Namespace: "T", MetricData: [{ MetricName: "m", Value: 1 }] }));
      assert.fail("port 1 should refuse");
    } catch (err) {
      assert.equal(classifyError(err), "network_error");
    } finally {
      closed.destroy();
    }
  });
});
