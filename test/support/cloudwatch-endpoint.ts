/**
 * A local stand-in for the CloudWatch PutMetricData API, speaking what @aws-sdk/client-cloudwatch
 * 3.11xx sends (checked by capturing a real request): `POST /` with AWS JSON 1.0
 * (`content-type: application/x-amz-json-1.0`, `x-amz-target: GraniteServiceVersion20100801.PutMetricData`,
 * `x-amzn-query-mode: true`), SigV4 headers, timestamps as epoch seconds, and `Content-Encoding: gzip`
 * for bodies of 10240 bytes or more. It validates every CloudWatch limit on what it receives and answers
 * 400 with an AWS-style error body on any violation, so a test that sends something CloudWatch would
 * refuse fails loudly. It records accepted requests and can answer throttling or 5xx on demand.
 *
 * Binds 127.0.0.1 on a free port; nothing here reaches AWS.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gunzipSync } from "node:zlib";

/** The real request limit ("1 MB" per HTTP POST), checked on the decompressed body. */
export const ENDPOINT_MAX_BODY_BYTES = 1024 * 1024;

export interface ReceivedDimension {
  readonly Name: string;
  readonly Value: string;
}

export interface ReceivedDatum {
  readonly MetricName: string;
  readonly Dimensions?: ReceivedDimension[];
  /** Epoch seconds, as the SDK sends them. */
  readonly Timestamp?: number;
  readonly Value?: number;
  readonly StatisticValues?: { SampleCount: number; Sum: number; Minimum: number; Maximum: number };
  readonly Values?: number[];
  readonly Counts?: number[];
  readonly Unit?: string;
  readonly StorageResolution?: number;
}

export interface ReceivedRequest {
  readonly namespace: string;
  readonly datums: ReceivedDatum[];
  /** Bytes on the wire (compressed when gzip). */
  readonly wireBytes: number;
  /** Bytes of the JSON body after decompression. */
  readonly bodyBytes: number;
  readonly gzip: boolean;
  readonly receivedAtMs: number;
}

export type FailureKind = "throttling" | "server_error" | "unavailable" | "invalid";

export interface RefusedRequest {
  readonly status: number;
  readonly code: string;
  readonly message: string;
}

export interface CloudWatchEndpointOptions {
  /** Clock for the timestamp window (default Date.now). */
  readonly now?: () => number;
  /** Delay before every answer (to observe concurrency). */
  readonly latencyMs?: number;
}

const UNITS = new Set([
  "Seconds", "Microseconds", "Milliseconds", "Bytes", "Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
  "Bits", "Kilobits", "Megabits", "Gigabits", "Terabits", "Percent", "Count", "Bytes/Second",
  "Kilobytes/Second", "Megabytes/Second", "Gigabytes/Second", "Terabytes/Second", "Bits/Second",
  "Kilobits/Second", "Megabits/Second", "Gigabits/Second", "Terabits/Second", "Count/Second", "None",
]);

/**
 * The error code of a refusal for breaking one of statset's own invariants rather than a documented
 * CloudWatch rule (CloudWatch documents no consistency check between StatisticValues and
 * Values/Counts; these make sure its merge of statset's datums is the recorded statistic set).
 */
export const STATSET_INVARIANT = "StatsetInvariantViolation";

class Invalid extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
}

const STATISTIC_FIELDS = ["SampleCount", "Sum", "Minimum", "Maximum"] as const;

function printableAsciiWithContent(s: string): boolean {
  return /^[\x20-\x7e]*$/.test(s) && /[^ ]/.test(s);
}

function checkNumber(v: unknown, where: string): number {
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Invalid("InvalidParameterValue", `${where} must be a finite number, got ${JSON.stringify(v)}`);
  if (Math.abs(v) > 2 ** 360) throw new Invalid("InvalidParameterValue", `${where} = ${v} is outside -2^360..2^360`);
  if (v !== 0 && Math.abs(v) < 2 ** -360) throw new Invalid("InvalidParameterValue", `${where} = ${v} is too small`);
  return v;
}

/** Throws Invalid for anything CloudWatch would refuse. */
export function validatePutMetricData(body: unknown, nowMs: number): { namespace: string; datums: ReceivedDatum[] } {
  if (typeof body !== "object" || body === null) throw new Invalid("InvalidParameterValue", "body must be a JSON object");
  const b = body as Record<string, unknown>;
  const ns = b.Namespace;
  if (typeof ns !== "string" || ns.length < 1 || ns.length > 255 || ns.startsWith(":") || ns.startsWith("AWS/")) {
    throw new Invalid("InvalidParameterValue", `Namespace ${JSON.stringify(ns)} is invalid`);
  }
  const data = b.MetricData;
  if (!Array.isArray(data) || data.length === 0) throw new Invalid("MissingParameter", "MetricData must be a non-empty list");
  if (data.length > 1000) throw new Invalid("InvalidParameterValue", `MetricData has ${data.length} members; at most 1000`);
  data.forEach((raw: unknown, i: number) => {
    const at = `MetricData.member.${i + 1}`;
    if (typeof raw !== "object" || raw === null) throw new Invalid("InvalidParameterValue", `${at} must be an object`);
    const d = raw as Record<string, unknown>;
    const name = d.MetricName;
    if (typeof name !== "string" || name.length < 1 || name.length > 255) throw new Invalid("InvalidParameterValue", `${at}.MetricName ${JSON.stringify(name)} must be 1..255 characters`);
    if (d.Dimensions !== undefined) {
      if (!Array.isArray(d.Dimensions)) throw new Invalid("InvalidParameterValue", `${at}.Dimensions must be a list`);
      if (d.Dimensions.length > 30) throw new Invalid("InvalidParameterValue", `${at}.Dimensions has ${d.Dimensions.length} members; at most 30`);
      const names = new Set<string>();
      d.Dimensions.forEach((dim: unknown, j: number) => {
        const dat = `${at}.Dimensions.member.${j + 1}`;
        const dd = (dim ?? {}) as Record<string, unknown>;
        if (typeof dd.Name !== "string" || dd.Name.length < 1 || dd.Name.length > 255 || dd.Name.startsWith(":") || !printableAsciiWithContent(dd.Name)) {
          throw new Invalid("InvalidParameterValue", `${dat}.Name ${JSON.stringify(dd.Name)} is invalid`);
        }
        if (typeof dd.Value !== "string" || dd.Value.length < 1 || dd.Value.length > 1024 || !printableAsciiWithContent(dd.Value)) {
          throw new Invalid("InvalidParameterValue", `${dat}.Value ${JSON.stringify(dd.Value)} is invalid`);
        }
        if (names.has(dd.Name)) throw new Invalid("InvalidParameterValue", `${dat}.Name ${JSON.stringify(dd.Name)} is duplicated`);
        names.add(dd.Name);
      });
    }
    if (d.Value === undefined && d.StatisticValues === undefined && d.Values === undefined) {
      throw new Invalid("MissingParameter", `${at}: one of Value, StatisticValues and Values must be given`);
    }
    // Value excludes both others (CloudWatch: "The parameters MetricData.member.N.Value and
    // MetricData.member.N.StatisticValues are mutually exclusive"); StatisticValues beside
    // Values/Counts is what the CloudWatch agent sends (aws/amazon-cloudwatch-agent,
    // plugins/outputs/cloudwatch/cloudwatch.go, BuildMetricDatum -> buildMetricDatumDist).
    for (const other of ["StatisticValues", "Values"] as const) {
      if (d.Value !== undefined && d[other] !== undefined) {
        throw new Invalid("InvalidParameterCombination", `${at}: Value and ${other} are mutually exclusive`);
      }
    }
    if (d.Value !== undefined) checkNumber(d.Value, `${at}.Value`);
    let statistics: { sampleCount: number; min: number; max: number } | null = null;
    if (d.StatisticValues !== undefined) {
      if (typeof d.StatisticValues !== "object" || d.StatisticValues === null) throw new Invalid("InvalidParameterValue", `${at}.StatisticValues must be a StatisticSet`);
      const sv = d.StatisticValues as Record<string, unknown>;
      // StatisticSet: SampleCount, Sum, Minimum and Maximum are each "Required: Yes".
      const missing = STATISTIC_FIELDS.filter((f) => sv[f] === undefined);
      if (missing.length > 0) throw new Invalid("MissingParameter", `${at}.StatisticValues lacks ${missing.join(", ")}: all of ${STATISTIC_FIELDS.join(", ")} are required`);
      const sc = checkNumber(sv.SampleCount, `${at}.StatisticValues.SampleCount`);
      const sum = checkNumber(sv.Sum, `${at}.StatisticValues.Sum`);
      const mn = checkNumber(sv.Minimum, `${at}.StatisticValues.Minimum`);
      const mx = checkNumber(sv.Maximum, `${at}.StatisticValues.Maximum`);
      if (!(sc > 0)) throw new Invalid("InvalidParameterValue", `${at}.StatisticValues.SampleCount must be > 0`);
      if (mn > mx) throw new Invalid("InvalidParameterValue", `${at}.StatisticValues.Minimum ${mn} > Maximum ${mx}`);
      // statset's invariant: SampleCount values within [Minimum, Maximum] add up to a Sum within
      // [SampleCount * Minimum, SampleCount * Maximum], up to the rounding of adding them one by one
      // (at most (n - 1) * 2^-53 of the sum of magnitudes; twice that allowed).
      const rounding = (sc - 1) * Number.EPSILON * sc * Math.max(Math.abs(mn), Math.abs(mx));
      if (sum < sc * mn - rounding || sum > sc * mx + rounding) {
        throw new Invalid(STATSET_INVARIANT, `${at}.StatisticValues.Sum ${sum} lies outside [SampleCount * Minimum, SampleCount * Maximum] = [${sc * mn}, ${sc * mx}]`);
      }
      statistics = { sampleCount: sc, min: mn, max: mx };
    }
    if (d.Values !== undefined) {
      if (!Array.isArray(d.Values) || d.Values.length === 0) throw new Invalid("InvalidParameterValue", `${at}.Values must be a non-empty list`);
      if (d.Values.length > 150) throw new Invalid("InvalidParameterValue", `${at}.Values has ${d.Values.length} members; at most 150`);
      const seen = new Set<number>();
      d.Values.forEach((v: unknown, j: number) => {
        const n = checkNumber(v, `${at}.Values.member.${j + 1}`);
        if (seen.has(n)) throw new Invalid("InvalidParameterValue", `${at}.Values lists ${n} twice`);
        seen.add(n);
      });
      let samples = d.Values.length;
      if (d.Counts !== undefined) {
        if (!Array.isArray(d.Counts) || d.Counts.length !== d.Values.length) {
          throw new Invalid("InvalidParameterValue", `${at}.Counts must have as many members as Values (${d.Values.length})`);
        }
        samples = 0;
        d.Counts.forEach((c: unknown, j: number) => {
          const n = checkNumber(c, `${at}.Counts.member.${j + 1}`);
          if (n < 0) throw new Invalid("InvalidParameterValue", `${at}.Counts.member.${j + 1} is negative`);
          samples += n;
        });
      }
      // statset's invariants for a datum with both: the set describes exactly these values.
      if (statistics !== null) {
        if (statistics.sampleCount !== samples) {
          throw new Invalid(STATSET_INVARIANT, `${at}.StatisticValues.SampleCount ${statistics.sampleCount} differs from the ${samples} samples in Values/Counts`);
        }
        for (const v of d.Values as number[]) {
          if (v < statistics.min || v > statistics.max) {
            throw new Invalid(STATSET_INVARIANT, `${at}.Values member ${v} lies outside StatisticValues [${statistics.min}, ${statistics.max}]`);
          }
        }
      }
    } else if (d.Counts !== undefined) {
      throw new Invalid("InvalidParameterCombination", `${at}.Counts given without Values`);
    }
    if (d.Timestamp !== undefined) {
      if (typeof d.Timestamp !== "number") throw new Invalid("InvalidParameterValue", `${at}.Timestamp must be epoch seconds`);
      const ms = d.Timestamp * 1000;
      if (ms < nowMs - 14 * 86_400_000 || ms > nowMs + 2 * 3_600_000) {
        throw new Invalid("InvalidParameterValue", `${at}.Timestamp ${new Date(ms).toISOString()} is outside -14 days..+2 hours`);
      }
    }
    if (d.StorageResolution !== undefined && d.StorageResolution !== 1 && d.StorageResolution !== 60) {
      throw new Invalid("InvalidParameterValue", `${at}.StorageResolution must be 1 or 60, got ${JSON.stringify(d.StorageResolution)}`);
    }
    if (d.Unit !== undefined && (typeof d.Unit !== "string" || !UNITS.has(d.Unit))) {
      throw new Invalid("InvalidParameterValue", `${at}.Unit ${JSON.stringify(d.Unit)} is not a StandardUnit`);
    }
  });
  return { namespace: ns, datums: data as ReceivedDatum[] };
}

/** One metric's statistic set as CloudWatch merges it, and how many datums made it. */
export interface MergedStatistics {
  SampleCount: number;
  Sum: number;
  Minimum: number;
  Maximum: number;
  datums: number;
}

/** The key of `CloudWatchEndpoint.statistics()`: metric name, dimensions in any order, epoch seconds. */
export function statisticsKey(metricName: string, dimensions: readonly ReceivedDimension[], timestampSeconds: number): string {
  const dims = [...dimensions].sort((a, b) => (a.Name < b.Name ? -1 : a.Name > b.Name ? 1 : 0)).map((d) => [d.Name, d.Value]);
  return JSON.stringify([metricName, dims, timestampSeconds]);
}

function datumStatistics(d: ReceivedDatum): Omit<MergedStatistics, "datums"> {
  if (d.StatisticValues !== undefined) return { ...d.StatisticValues };
  if (d.Values !== undefined) {
    const counts = d.Counts ?? d.Values.map(() => 1);
    let sampleCount = 0;
    let sum = 0;
    d.Values.forEach((v, i) => {
      sampleCount += counts[i];
      sum += v * counts[i];
    });
    return { SampleCount: sampleCount, Sum: sum, Minimum: Math.min(...d.Values), Maximum: Math.max(...d.Values) };
  }
  const v = d.Value ?? 0;
  return { SampleCount: 1, Sum: v, Minimum: v, Maximum: v };
}

export class CloudWatchEndpoint {
  readonly requests: ReceivedRequest[] = [];
  readonly refused: RefusedRequest[] = [];
  /** Most requests seen in flight at once. */
  maxInFlight = 0;
  /** Requests received and not answered yet. */
  get requestsInFlight(): number {
    return this.inFlight;
  }
  latencyMs: number;
  private inFlight = 0;
  private failCount = 0;
  private failKind: FailureKind = "throttling";
  private failUntilMs = 0;
  private failSpanKind: FailureKind = "throttling";
  private readonly server: Server;
  private readonly now: () => number;
  private port = 0;

  private constructor(options: CloudWatchEndpointOptions) {
    this.now = options.now ?? Date.now;
    this.latencyMs = options.latencyMs ?? 0;
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.keepAliveTimeout = 1000;
  }

  static async start(options: CloudWatchEndpointOptions = {}): Promise<CloudWatchEndpoint> {
    const ep = new CloudWatchEndpoint(options);
    await new Promise<void>((resolve, reject) => {
      ep.server.once("error", reject);
      ep.server.listen(0, "127.0.0.1", () => resolve());
    });
    ep.port = (ep.server.address() as AddressInfo).port;
    return ep;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Every datum accepted so far, across requests. */
  datums(): ReceivedDatum[] {
    return this.requests.flatMap((r) => r.datums);
  }

  /**
   * The statistic set CloudWatch stores per metric, dimensions and timestamp: accepted datums merged
   * in the order they arrived (SampleCount and Sum added, Minimum and Maximum widened). A datum's set
   * is its StatisticValues, else what its Values/Counts or Value imply. Keys: `statisticsKey`.
   */
  statistics(first = 0): Map<string, MergedStatistics> {
    const out = new Map<string, MergedStatistics>();
    for (const d of this.requests.slice(first).flatMap((r) => r.datums)) {
      const own = datumStatistics(d);
      const key = statisticsKey(d.MetricName, d.Dimensions ?? [], d.Timestamp ?? 0);
      const merged = out.get(key);
      if (merged === undefined) out.set(key, { ...own, datums: 1 });
      else {
        merged.SampleCount += own.SampleCount;
        merged.Sum += own.Sum;
        merged.Minimum = Math.min(merged.Minimum, own.Minimum);
        merged.Maximum = Math.max(merged.Maximum, own.Maximum);
        merged.datums++;
      }
    }
    return out;
  }

  /** Answer the next `n` requests with a failure. */
  failNext(n: number, kind: FailureKind = "throttling"): void {
    this.failCount = n;
    this.failKind = kind;
  }

  /** Forgets failures set up by failNext/failFor and not used yet (one test's leftovers). */
  clearFailures(): void {
    this.failCount = 0;
    this.failUntilMs = 0;
  }

  /** Answer every request with a failure for the next `ms` (wall clock). */
  failFor(ms: number, kind: FailureKind = "throttling"): void {
    this.failUntilMs = Date.now() + ms;
    this.failSpanKind = kind;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const wire = Buffer.concat(chunks);
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      const injected = this.injectedFailure();
      if (injected !== null) {
        this.answerFailure(res, injected);
        return;
      }
      this.checkProtocol(req);
      const gzip = req.headers["content-encoding"] === "gzip";
      const body = gzip ? gunzipSync(wire) : wire;
      if (!gzip && wire.length >= 10240) throw new Invalid("InvalidParameterValue", `uncompressed body of ${wire.length} bytes: the SDK compresses bodies >= 10240 bytes`);
      if (body.length > ENDPOINT_MAX_BODY_BYTES) throw new Invalid("RequestEntityTooLarge", `body of ${body.length} bytes exceeds 1 MB`);
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch {
        throw new Invalid("SerializationException", "body is not JSON");
      }
      const { namespace, datums } = validatePutMetricData(parsed, this.now());
      this.requests.push({ namespace, datums, wireBytes: wire.length, bodyBytes: body.length, gzip, receivedAtMs: Date.now() });
      res.writeHead(200, { "content-type": "application/x-amz-json-1.0", "x-amzn-requestid": `req-${this.requests.length}` });
      res.end("{}");
    } catch (err) {
      const code = err instanceof Invalid ? err.code : "InternalFailure";
      const message = err instanceof Error ? err.message : String(err);
      this.refused.push({ status: 400, code, message });
      res.writeHead(400, { "content-type": "application/x-amz-json-1.0", "x-amzn-query-error": `${code};Sender` });
      res.end(JSON.stringify({ __type: code, message }));
    } finally {
      this.inFlight--;
    }
  }

  private checkProtocol(req: IncomingMessage): void {
    const h = req.headers;
    if (req.method !== "POST" || req.url !== "/") throw new Invalid("InvalidAction", `expected POST /, got ${req.method} ${req.url}`);
    if (h["content-type"] !== "application/x-amz-json-1.0") throw new Invalid("InvalidParameterValue", `content-type ${h["content-type"]}`);
    if (h["x-amz-target"] !== "GraniteServiceVersion20100801.PutMetricData") throw new Invalid("UnknownOperationException", `x-amz-target ${h["x-amz-target"]}`);
    const auth = h.authorization ?? "";
    if (!auth.startsWith("AWS4-HMAC-SHA256 Credential=") || !auth.includes("SignedHeaders=") || !auth.includes("Signature=")) {
      throw new Invalid("MissingAuthenticationToken", "missing or malformed SigV4 authorization");
    }
    if (typeof h["x-amz-date"] !== "string" || !/^\d{8}T\d{6}Z$/.test(h["x-amz-date"])) throw new Invalid("MissingAuthenticationToken", "missing x-amz-date");
  }

  private injectedFailure(): FailureKind | null {
    if (this.failCount > 0) {
      this.failCount--;
      return this.failKind;
    }
    if (Date.now() < this.failUntilMs) return this.failSpanKind;
    return null;
  }

  private answerFailure(res: ServerResponse, kind: FailureKind): void {
    const answers: Record<FailureKind, [number, string, string]> = {
      throttling: [400, "Throttling", "Rate exceeded"],
      server_error: [500, "InternalServiceFault", "Internal service error"],
      unavailable: [503, "ServiceUnavailable", "Service unavailable"],
      invalid: [400, "InvalidParameterValue", "injected permanent error"],
    };
    const [status, code, message] = answers[kind];
    res.writeHead(status, { "content-type": "application/x-amz-json-1.0", "x-amzn-query-error": `${code};${status === 400 ? "Sender" : "Receiver"}` });
    res.end(JSON.stringify({ __type: code, message }));
  }
}
