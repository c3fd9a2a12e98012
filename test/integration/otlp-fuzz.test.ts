/**
 * Fuzzing a running daemon's OTLP receivers: batches of requests that are either the SDK's own
 * serializations of every point kind, mutated (byte flips, insertions, deletions, truncation,
 * duplicated ranges, JSON token edits), or absurd but well-formed (test/support/absurd-otlp.ts),
 * over OTLP/HTTP protobuf and JSON and, for a sample, OTLP/gRPC. After every batch the daemon must
 * still be whole: each request was answered 2xx/4xx (never 5xx, never left hanging), /health is
 * 200, the scrape is 200 and valid for promtool and the strict checker, every point is accounted
 * for, and a witness counter that a well-formed request of each batch increments is exact.
 *
 * The seed is fixed so a failure reproduces; FUZZ_SEED and FUZZ_RUNS override it for longer runs
 * (FUZZ_VERBOSE=1 also prints every refusal, to see how deep the requests get):
 *   FUZZ_SEED=7 FUZZ_RUNS=2000 node --test test/integration/otlp-fuzz.test.ts
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { Client, credentials, status as GrpcStatus } from "@grpc/grpc-js";
import { ValueType } from "@opentelemetry/api";
import { JsonMetricsSerializer, ProtobufMetricsSerializer } from "@opentelemetry/otlp-transformer";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { AggregationTemporality, DataPointType, type ResourceMetrics } from "@opentelemetry/sdk-metrics";
import { METRICS_SERVICE_DEFINITION } from "../../src/receivers/otlp/grpc-receiver.ts";
import { absurdRequest, serializeAbsurd } from "../support/absurd-otlp.ts";
import { applyByteMutation, applyJsonTokenEdit, byteMutation, jsonTokenEdit, type ByteMutation } from "../support/byte-mutations.ts";
import { expositionProblems, promtool, USER_STYLE_LINT } from "../support/exposition-check.ts";
import { createSdkHarness } from "../support/otlp-sdk.ts";
import { startTestDaemon, type TestDaemon } from "./daemon-harness.ts";
import { parsePromText, select, valueOf } from "./prom-text.ts";

const SEED = Number(process.env.FUZZ_SEED ?? 15);
const RUNS = Number(process.env.FUZZ_RUNS ?? 60);
/** Longer than any answer a healthy daemon gives here: past it, the request hangs. */
const ANSWER_TIMEOUT_MS = 20_000;
const WITNESS = "fz_witness";
/** gRPC statuses a healthy daemon answers with: success, or a refusal for what the request is (gRPC's 4xx). */
const GRPC_ANSWERS: ReadonlySet<number> = new Set([GrpcStatus.OK, GrpcStatus.INVALID_ARGUMENT, GrpcStatus.RESOURCE_EXHAUSTED]);

type Transport = "proto" | "json" | "grpc";

interface FuzzRequest {
  readonly transport: Transport;
  readonly body: Uint8Array;
  /** Where the request comes from and how it is sent ("SDK json", "absurd grpc", ...), for the tally of answers. */
  readonly family: string;
  /** What the request is, for failure messages. */
  readonly label: string;
  /** fast-check prints a counterexample with this rather than as its bytes. */
  readonly [fc.toStringMethod]: () => string;
}

interface Answer {
  /** HTTP status, or gRPC status code for gRPC. */
  readonly status: number;
  readonly text: string;
  /** Success without partial_success: an empty export response. */
  readonly whole: boolean;
}

function fuzzRequest(transport: Transport, body: Uint8Array, family: string, detail: string): FuzzRequest {
  const label = `${family} ${detail}`;
  return { transport, body, family, label, [fc.toStringMethod]: () => `${label} (${body.length} bytes)` };
}

/** Real SDK data of every point kind, both temporalities, explicit and exponential histograms. */
async function sdkResourceMetrics(): Promise<ResourceMetrics[]> {
  const out: ResourceMetrics[] = [];
  for (const temporality of ["delta", "cumulative"] as const) {
    for (const exponential of [false, true]) {
      const sdk = createSdkHarness({ temporality, exponential, resource: { "service.name": "fuzz", "host.name": "h" } });
      const m = sdk.meter;
      const kind = `${temporality[0]}${exponential ? "e" : "x"}`;
      const counter = m.createCounter(`fz_sdk_${kind}_requests`, { unit: "{request}" });
      counter.add(3, { route: "/a", code: 200 });
      counter.add(4.5, { route: "/b", "http.method": "GET" });
      m.createUpDownCounter(`fz_sdk_${kind}_inflight`).add(-2, { pool: "p" });
      m.createGauge(`fz_sdk_${kind}_temperature`, { valueType: ValueType.INT }).record(21, { room: "r1" });
      const latency = m.createHistogram(`fz_sdk_${kind}_latency`, { unit: "s", advice: { explicitBucketBoundaries: [0.1, 0.5, 1] } });
      for (const v of [0.05, 0.3, 0.7, 2, 1e-9, 1e9]) latency.record(v, { route: "/a" });
      out.push(await sdk.collect());
      await sdk.shutdown();
    }
  }
  return out;
}

function witnessBody(increment: number, transport: Transport): Uint8Array {
  const ms = Date.now();
  const rm: ResourceMetrics = {
    resource: resourceFromAttributes({ "service.name": "witness" }),
    scopeMetrics: [
      {
        scope: { name: "witness" },
        metrics: [
          {
            descriptor: { name: WITNESS, description: "", unit: "", valueType: ValueType.INT },
            aggregationTemporality: AggregationTemporality.DELTA,
            dataPointType: DataPointType.SUM,
            isMonotonic: true,
            dataPoints: [{ attributes: { witness: "exact" }, startTime: [Math.floor(ms / 1000) - 1, 0], endTime: [Math.floor(ms / 1000), (ms % 1000) * 1e6], value: increment }],
          },
        ],
      },
    ],
  };
  const bytes = transport === "json" ? JsonMetricsSerializer.serializeRequest(rm) : ProtobufMetricsSerializer.serializeRequest(rm);
  return bytes ?? assert.fail("the SDK serialized nothing");
}

class FuzzClient {
  readonly #grpc: Client;
  readonly #httpUrl: string;

  constructor(d: TestDaemon) {
    this.#httpUrl = d.httpUrl;
    this.#grpc = new Client(d.grpcUrl.replace(/^http:\/\//, ""), credentials.createInsecure());
  }

  async send(r: FuzzRequest): Promise<Answer> {
    if (r.transport === "grpc") return this.#sendGrpc(r.body);
    const res = await fetch(this.#httpUrl, {
      method: "POST",
      headers: { "content-type": r.transport === "proto" ? "application/x-protobuf" : "application/json" },
      body: r.body,
      signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS),
    });
    const bytes = Buffer.from(await res.arrayBuffer());
    const json = res.headers.get("content-type") === "application/json";
    // A protobuf google.rpc.Status: its message is readable among the framing bytes.
    const text = json ? bytes.toString("utf8") : bytes.toString("latin1").replace(/[^\x20-\x7e]+/g, " ").trim();
    return { status: res.status, text, whole: res.status === 200 && (json ? text === "{}" : bytes.length === 0) };
  }

  #sendGrpc(body: Uint8Array): Promise<Answer> {
    const def = METRICS_SERVICE_DEFINITION.Export;
    return new Promise((resolve) => {
      this.#grpc.makeUnaryRequest(def.path, def.requestSerialize, def.responseDeserialize, Buffer.from(body), { deadline: Date.now() + ANSWER_TIMEOUT_MS }, (error, response) => {
        if (error === null) resolve({ status: GrpcStatus.OK, text: JSON.stringify(response ?? {}), whole: (response?.rejectedPoints ?? 0) === 0 });
        else resolve({ status: error.code, text: error.details, whole: false });
      });
    });
  }

  close(): void {
    this.#grpc.close();
  }
}

/** Mutated SDK serializations: JSON token edits first (on the text), then byte mutations. */
function mutatedRequest(bases: readonly ResourceMetrics[]): fc.Arbitrary<FuzzRequest> {
  const proto = bases.map((rm) => ProtobufMetricsSerializer.serializeRequest(rm) ?? assert.fail("no protobuf"));
  const json = bases.map((rm) => Buffer.from(JsonMetricsSerializer.serializeRequest(rm) ?? assert.fail("no JSON")).toString("utf8"));
  return fc.oneof(
    fc
      .record({ base: fc.nat(bases.length - 1), grpc: fc.boolean().chain((b) => (b ? fc.boolean() : fc.constant(false))), mutations: fc.array(byteMutation, { minLength: 1, maxLength: 3 }) })
      .map(({ base, grpc, mutations }) =>
        fuzzRequest(grpc ? "grpc" : "proto", mutations.reduce(applyByteMutation, proto[base]), grpc ? "SDK grpc" : "SDK proto", `#${base} ${JSON.stringify(mutations)}`),
      ),
    fc
      .record({
        base: fc.nat(bases.length - 1),
        edits: fc.array(jsonTokenEdit, { minLength: 1, maxLength: 3 }),
        // Most byte mutations make the text invalid JSON: a third of the requests get them.
        mutations: fc.oneof({ weight: 2, arbitrary: fc.constant<ByteMutation[]>([]) }, { weight: 1, arbitrary: fc.array(byteMutation, { minLength: 1, maxLength: 2 }) }),
      })
      .map(({ base, edits, mutations }) =>
        fuzzRequest("json", mutations.reduce(applyByteMutation, Buffer.from(edits.reduce(applyJsonTokenEdit, json[base]), "utf8")), "SDK json", `#${base} ${JSON.stringify(edits)} ${JSON.stringify(mutations)}`),
      ),
  );
}

/** The absurd request's data, its long strings and arrays abbreviated. */
function describeAbsurd(rm: ResourceMetrics): string {
  const data = { resource: rm.resource.attributes, scopeMetrics: rm.scopeMetrics };
  return JSON.stringify(data, (_k, v: unknown) => (typeof v === "string" && v.length > 64 ? `<${v.length} chars>` : Array.isArray(v) && v.length > 16 ? `<${v.length} items>` : v)).slice(0, 4000);
}

const absurd: fc.Arbitrary<FuzzRequest> = fc
  .tuple(absurdRequest, fc.constantFrom<Transport>("proto", "json", "json", "proto", "grpc"))
  .map(([r, transport]) => fuzzRequest(transport, serializeAbsurd(r, transport === "json" ? "json" : "proto"), `absurd ${transport}`, describeAbsurd(r.resourceMetrics)));

function refusedTotal(samples: ReturnType<typeof parsePromText>): number {
  return select(samples, "statset_points_refused_total", { pipeline: "metrics" }).reduce((n, s) => n + s.value, 0);
}

describe("OTLP receivers of a running daemon under fuzzed requests", () => {
  let d: TestDaemon;
  let client: FuzzClient;
  let bases: ResourceMetrics[];

  before(async () => {
    d = await startTestDaemon();
    client = new FuzzClient(d);
    bases = await sdkResourceMetrics();
  });

  after(async () => {
    client?.close();
    await d?.stop();
  });

  it("answers every request 2xx/4xx and keeps health, a valid scrape, full point accounting and an exact witness counter after every batch", async (t) => {
    t.diagnostic(`FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS}`);
    const request = fc.oneof(mutatedRequest(bases), absurd);
    let witnessTotal = 0;
    let requests = 0;
    const answered = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 1000 }), fc.constantFrom<Transport>("proto", "json", "grpc"), async (batch, increment, witnessTransport) => {
        const witness = fuzzRequest(witnessTransport, witnessBody(increment, witnessTransport), `witness ${witnessTransport}`, `+${increment}`);
        const answers = await Promise.all([...batch, witness].map((r) => client.send(r)));
        requests += answers.length;
        for (const [i, a] of answers.entries()) {
          const r = i < batch.length ? batch[i] : witness;
          const tally = `${r.family} ${r.transport === "grpc" ? `code ${a.status}` : a.status}`;
          answered.set(tally, (answered.get(tally) ?? 0) + 1);
          if (process.env.FUZZ_VERBOSE !== undefined && !a.whole) console.log(tally, a.text.slice(0, 300));
          if (r.transport === "grpc") assert.ok(GRPC_ANSWERS.has(a.status), `gRPC status ${a.status} (${a.text}) for ${r.label}`);
          else assert.ok(a.status >= 200 && a.status < 500, `HTTP ${a.status} (${a.text}) for ${r.label}`);
        }
        const w = answers[batch.length];
        assert.ok(w.whole, `witness not accepted whole: ${w.status} ${w.text}`);
        witnessTotal += increment;

        const health = await fetch(d.healthUrl, { signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
        assert.equal(health.status, 200, "health");
        await health.arrayBuffer();
        const scrape = await fetch(d.promUrl, { signal: AbortSignal.timeout(ANSWER_TIMEOUT_MS) });
        const text = await scrape.text();
        assert.equal(scrape.status, 200, text.slice(0, 500));
        assert.deepStrictEqual(expositionProblems(text), []);
        const verdict = promtool(text);
        assert.deepStrictEqual(verdict.errors, []);
        assert.deepStrictEqual(verdict.lints.filter((l) => !USER_STYLE_LINT.test(l)), []);
        const samples = parsePromText(text);
        assert.equal(valueOf(samples, `${WITNESS}_total`, { witness: "exact" }), witnessTotal, "witness counter");
        const received = valueOf(samples, "statset_points_received_total", { pipeline: "metrics" });
        const accepted = valueOf(samples, "statset_points_accepted_total", { pipeline: "metrics" });
        assert.equal(accepted + refusedTotal(samples), received, "accepted + refused = received");
      }),
      // The daemon's state carries over between runs, so shrinking would replay against another
      // daemon than the one that failed: the first failure is reported as it is.
      { seed: SEED, numRuns: RUNS, endOnFailure: true },
    );
    const text = await d.scrapeText();
    t.diagnostic(`${requests} requests, answers ${JSON.stringify(Object.fromEntries([...answered].sort()))}, final scrape ${text.length} bytes`);
  });
});

/** OTLP/JSON metrics holding one point whose integer field is beyond its protobuf type's range. */
function outOfRangeIntegerBodies(): Record<string, string> {
  const time = '"timeUnixNano":"1700000000000000000"';
  const out: Record<string, string> = {};
  // A bare -9223372036854775809 is not here: JSON.parse reads it as the double -2^63, which is in
  // range, and docs/configuration.md says bare numbers beyond 2^53 are judged by their double value.
  for (const v of ['"9223372036854775808"', "9223372036854775808", '"-9223372036854775809"', "-9223372036854775810000", "1e19"]) {
    out[`sum asInt ${v}`] = `{"name":"ji_sum","sum":{"aggregationTemporality":1,"isMonotonic":false,"dataPoints":[{"asInt":${v},${time}}]}}`;
    out[`gauge asInt ${v}`] = `{"name":"ji_gauge","gauge":{"dataPoints":[{"asInt":${v},${time}}]}}`;
  }
  for (const v of ['"18446744073709551616"', "18446744073709551616", "1e20", '"-1"']) {
    out[`timeUnixNano ${v}`] = `{"name":"ji_gauge","gauge":{"dataPoints":[{"asDouble":1,"timeUnixNano":${v}}]}}`;
    out[`startTimeUnixNano ${v}`] = `{"name":"ji_sum","sum":{"aggregationTemporality":1,"isMonotonic":false,"dataPoints":[{"asDouble":1,"startTimeUnixNano":${v},${time}}]}}`;
    // count and buckets agree, so only the range can refuse the point.
    out[`histogram count ${v}`] = `{"name":"ji_hist","histogram":{"aggregationTemporality":1,"dataPoints":[{"count":${v},"sum":1,"bucketCounts":[${v}],"explicitBounds":[],${time}}]}}`;
    out[`exponential count ${v}`] = `{"name":"ji_exp","exponentialHistogram":{"aggregationTemporality":1,"dataPoints":[{"count":${v},"sum":1,"scale":0,"zeroCount":${v},${time}}]}}`;
  }
  for (const v of ["2147483648", "-2147483649", '"4294967296"']) {
    out[`exponential offset ${v}`] = `{"name":"ji_exp","exponentialHistogram":{"aggregationTemporality":1,"dataPoints":[{"count":1,"sum":1,"scale":0,"positive":{"offset":${v},"bucketCounts":["1"]},${time}}]}}`;
    out[`exponential scale ${v}`] = `{"name":"ji_exp","exponentialHistogram":{"aggregationTemporality":1,"dataPoints":[{"count":0,"sum":0,"scale":${v},${time}}]}}`;
  }
  return out;
}

describe("OTLP/JSON receiver of a running daemon", () => {
  it("refuses every point whose JSON integer is beyond the range of its protobuf type", async () => {
    const d = await startTestDaemon();
    try {
      const accepted: string[] = [];
      for (const [name, metric] of Object.entries(outOfRangeIntegerBodies())) {
        const res = await fetch(d.httpUrl, { method: "POST", headers: { "content-type": "application/json" }, body: `{"resourceMetrics":[{"scopeMetrics":[{"metrics":[${metric}]}]}]}` });
        const reply = await res.text();
        assert.ok(res.status === 200 || res.status === 400, `${name}: HTTP ${res.status} ${reply}`);
        const rejected = res.status === 400 ? 1 : Number((JSON.parse(reply) as { partialSuccess?: { rejectedDataPoints?: number | string } }).partialSuccess?.rejectedDataPoints ?? 0);
        if (rejected !== 1) accepted.push(`${name} (${reply})`);
      }
      assert.deepStrictEqual(accepted, [], "points accepted with an out-of-range integer");
    } finally {
      await d.stop();
    }
  });
});
