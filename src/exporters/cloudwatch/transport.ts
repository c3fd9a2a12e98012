/**
 * The PutMetricData call, behind an interface so the exporter's delivery logic (batching, retries,
 * concurrency) is independent of the SDK. The SDK's own retries are off (maxAttempts 1): the exporter
 * retries with its own policy so that a throttled request never blocks reading and buffering.
 */
import { CloudWatchClient, PutMetricDataCommand, type MetricDatum } from "@aws-sdk/client-cloudwatch";

export interface PutMetricDataTransport {
  /** Sends one request; rejects with the SDK's error (see classifyError). */
  putMetricData(namespace: string, data: MetricDatum[], signal: AbortSignal): Promise<void>;
  close(): void;
}

/** Static credentials (tests, or an operator's explicit key pair). */
export interface StaticCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken?: string;
}

export interface SdkTransportOptions {
  readonly region: string;
  /** Endpoint override (e.g. a VPC endpoint, or a local test server). */
  readonly endpoint?: string | null;
  /** Explicit credentials; default: the SDK's default provider chain. */
  readonly credentials?: StaticCredentials;
  /** Per-request timeout in ms. */
  readonly requestTimeoutMs: number;
}

export class SdkTransport implements PutMetricDataTransport {
  private readonly client: CloudWatchClient;

  constructor(options: SdkTransportOptions) {
    this.client = new CloudWatchClient({
      region: options.region,
      ...(options.endpoint ? { endpoint: options.endpoint } : {}),
      ...(options.credentials ? { credentials: options.credentials } : {}),
      maxAttempts: 1,
      requestHandler: { requestTimeout: options.requestTimeoutMs, connectionTimeout: Math.min(options.requestTimeoutMs, 5000) },
    });
  }

  async putMetricData(namespace: string, data: MetricDatum[], signal: AbortSignal): Promise<void> {
    await this.client.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: data }), { abortSignal: signal });
  }

  close(): void {
    this.client.destroy();
  }
}

export type ErrorClass = "throttled" | "server_error" | "network_error" | "rejected";

/** AWS error codes that mean "slow down" (answered as HTTP 400 or 429). */
const THROTTLING_CODES: ReadonlySet<string> = new Set([
  "Throttling",
  "ThrottlingException",
  "ThrottledException",
  "RequestThrottled",
  "RequestThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "SlowDown",
]);

function field(err: unknown, key: string): unknown {
  return typeof err === "object" && err !== null ? (err as Record<string, unknown>)[key] : undefined;
}

/**
 * throttled and server_error (5xx) and network_error (no HTTP answer: refused, reset, timeout) are
 * retried; rejected (any other answered 4xx) is permanent.
 */
export function classifyError(err: unknown): ErrorClass {
  const name = field(err, "name");
  const code = field(err, "Code") ?? field(err, "code");
  if ((typeof name === "string" && THROTTLING_CODES.has(name)) || (typeof code === "string" && THROTTLING_CODES.has(code))) {
    return "throttled";
  }
  const meta = field(err, "$metadata");
  const status = field(meta, "httpStatusCode");
  if (typeof status === "number") {
    if (status === 429) return "throttled";
    if (status >= 500) return "server_error";
    return "rejected";
  }
  return "network_error";
}

/** A short description for logs. */
export function describeError(err: unknown): string {
  const name = field(err, "name");
  const message = field(err, "message");
  return `${typeof name === "string" ? name : "Error"}: ${typeof message === "string" ? message : String(err)}`;
}
