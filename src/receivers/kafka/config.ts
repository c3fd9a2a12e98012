/**
 * Configuration of the `kafka` receiver (snake_case, as in the daemon's YAML), its defaults and its
 * validation. Every problem is reported with its full path, e.g.
 * `receivers::kafka/events::sasl::mechanism: expected one of plain, scram-sha-256, scram-sha-512`.
 */
import { existsSync } from "node:fs";
import type { ConfigError } from "../../components/types.ts";
import { preview } from "../decoders/decode-error.ts";
import {
  boolAt,
  checkKeys,
  enumAt,
  intAt,
  objectAt,
  optionalStringAt,
  stringAt,
  stringListAt,
} from "../decoders/options.ts";
import { DECODER_FACTORIES, ENCODINGS } from "../decoders/registry.ts";

export type SaslMechanism = "plain" | "scram-sha-256" | "scram-sha-512";

export interface KafkaSaslConfig {
  readonly mechanism: SaslMechanism;
  readonly username: string;
  readonly password: string;
}

export interface KafkaTlsConfig {
  readonly ca_file?: string;
  readonly cert_file?: string;
  readonly key_file?: string;
  /** Accept any server certificate (tests only). */
  readonly insecure_skip_verify: boolean;
}

export interface KafkaReceiverConfig {
  /** `host:port` bootstrap servers. */
  readonly brokers: readonly string[];
  /** Topics to subscribe to (exclusive with `topic_pattern`). */
  readonly topics: readonly string[];
  /** A regular expression over topic names, matched when the consumer subscribes. */
  readonly topic_pattern?: string;
  readonly group_id: string;
  readonly client_id: string;
  /** Where a group without committed offsets starts. */
  readonly initial_offset: "earliest" | "latest";
  readonly sasl?: KafkaSaslConfig;
  /** Present = TLS on. */
  readonly tls?: KafkaTlsConfig;
  /** Encoding of every message (or the fallback with `encoding_from_header`). */
  readonly encoding: string;
  /** Pick the encoding per message from its `content-type` header (see decoders/content-type.ts). */
  readonly encoding_from_header: boolean;
  /** Per-encoding decoder options, keyed by encoding name (`emf: {properties_as_attributes: [...]}`). */
  readonly decoders: Readonly<Record<string, unknown>>;
  /** Malformed messages are also produced here (with error headers); "" = off. */
  readonly dead_letter_topic?: string;
  /** How often consumed offsets are committed (after the flush barrier). */
  readonly commit_interval_ms: number;
  readonly session_timeout_ms: number;
  readonly heartbeat_interval_ms: number;
  /** Upper bound on messages decoded into one DecodedBatch. */
  readonly max_batch_messages: number;
  /** Longest a fetch waits for data on the broker (bounds shutdown and idle latency). */
  readonly max_fetch_wait_ms: number;
  /** Most bytes fetched per partition per request. */
  readonly max_partition_fetch_bytes: number;
  /** How long shutdown waits for the final flush + commit. */
  readonly shutdown_timeout_ms: number;
}

export const DEFAULT_ENCODING = "otlp_proto";

export function createDefaultKafkaConfig(): KafkaReceiverConfig {
  return {
    brokers: ["localhost:9092"],
    topics: ["otlp_metrics"],
    group_id: "statset",
    client_id: "statset",
    initial_offset: "latest",
    encoding: DECODER_FACTORIES.has(DEFAULT_ENCODING) ? DEFAULT_ENCODING : "kafka_topic_exporter",
    encoding_from_header: false,
    decoders: {},
    commit_interval_ms: 1000,
    session_timeout_ms: 30_000,
    heartbeat_interval_ms: 3000,
    max_batch_messages: 5000,
    max_fetch_wait_ms: 500,
    max_partition_fetch_bytes: 1 << 20,
    shutdown_timeout_ms: 10_000,
  };
}

const KNOWN_KEYS = [
  "brokers",
  "topics",
  "topic",
  "topic_pattern",
  "group_id",
  "client_id",
  "initial_offset",
  "sasl",
  "tls",
  "encoding",
  "encoding_from_header",
  "dead_letter_topic",
  "commit_interval_ms",
  "session_timeout_ms",
  "heartbeat_interval_ms",
  "max_batch_messages",
  "shutdown_timeout_ms",
  "max_fetch_wait_ms",
  "max_partition_fetch_bytes",
];

const BROKER = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9._-]+):(\d{1,5})$/;
const TOPIC = /^[A-Za-z0-9._-]{1,249}$/;

function validateSasl(raw: unknown, path: string, errors: ConfigError[]): KafkaSaslConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  const obj = objectAt(raw, path, errors);
  checkKeys(obj, ["mechanism", "username", "password"], path, errors);
  const mechanism = enumAt(obj, "mechanism", path, errors, ["plain", "scram-sha-256", "scram-sha-512"] as const, "plain");
  if (obj.mechanism === undefined) errors.push({ path: `${path}::mechanism`, message: "required" });
  const username = stringAt(obj, "username", path, errors, "", true);
  if (obj.username === undefined) errors.push({ path: `${path}::username`, message: "required" });
  const password = stringAt(obj, "password", path, errors, "");
  if (obj.password === undefined) errors.push({ path: `${path}::password`, message: "required" });
  return { mechanism, username, password };
}

function validateTls(raw: unknown, path: string, errors: ConfigError[]): KafkaTlsConfig | undefined {
  if (raw === undefined || raw === null || raw === false) return undefined;
  const obj = raw === true ? {} : objectAt(raw, path, errors);
  checkKeys(obj, ["ca_file", "cert_file", "key_file", "insecure_skip_verify"], path, errors);
  const file = (key: string): string | undefined => {
    const f = optionalStringAt(obj, key, path, errors);
    if (f !== undefined && !existsSync(f)) errors.push({ path: `${path}::${key}`, message: `file ${JSON.stringify(f)} does not exist` });
    return f;
  };
  const tls: KafkaTlsConfig = {
    ca_file: file("ca_file"),
    cert_file: file("cert_file"),
    key_file: file("key_file"),
    insecure_skip_verify: boolAt(obj, "insecure_skip_verify", path, errors, false),
  };
  if ((tls.cert_file === undefined) !== (tls.key_file === undefined)) {
    errors.push({ path: `${path}::${tls.cert_file === undefined ? "cert_file" : "key_file"}`, message: "cert_file and key_file go together" });
  }
  return tls;
}

/** Merges `raw` over the defaults and validates it (see ComponentFactory.validate). */
export function validateKafkaConfig(raw: unknown, path: string, errors: ConfigError[]): KafkaReceiverConfig {
  const d = createDefaultKafkaConfig();
  const obj = objectAt(raw, path, errors);
  checkKeys(obj, [...KNOWN_KEYS, ...ENCODINGS], path, errors);

  const brokers = stringListAt(obj, "brokers", path, errors, d.brokers);
  if (brokers.length === 0) errors.push({ path: `${path}::brokers`, message: "at least one broker is required" });
  brokers.forEach((b, i) => {
    const m = BROKER.exec(b);
    if (m === null || Number(m[2]) < 1 || Number(m[2]) > 65535) {
      errors.push({ path: `${path}::brokers::${i}`, message: `expected host:port, got ${preview(b)}` });
    }
  });

  let topics: string[] = [];
  if (obj.topics !== undefined) topics = stringListAt(obj, "topics", path, errors, []);
  if (obj.topic !== undefined) {
    const t = stringAt(obj, "topic", path, errors, "", true);
    if (t !== "") topics.push(t);
  }
  topics.forEach((t, i) => {
    if (!TOPIC.test(t)) errors.push({ path: `${path}::topics::${i}`, message: `not a valid Kafka topic name: ${preview(t)}` });
  });
  const topicPattern = optionalStringAt(obj, "topic_pattern", path, errors);
  if (topicPattern !== undefined) {
    try {
      new RegExp(topicPattern);
    } catch (e) {
      errors.push({ path: `${path}::topic_pattern`, message: `invalid regular expression ${JSON.stringify(topicPattern)}: ${(e as Error).message}` });
    }
    if (topics.length > 0) errors.push({ path: `${path}::topic_pattern`, message: "give either topics or topic_pattern, not both" });
  } else if (topics.length === 0) {
    if (obj.topics === undefined && obj.topic === undefined) topics = d.topics.slice();
    else errors.push({ path: `${path}::topics`, message: "at least one topic (or a topic_pattern) is required" });
  }

  const encoding = stringAt(obj, "encoding", path, errors, d.encoding, true);
  if (!DECODER_FACTORIES.has(encoding)) {
    errors.push({ path: `${path}::encoding`, message: `unknown encoding ${preview(encoding)} (expected one of ${ENCODINGS.join(", ")})` });
  }
  const decoders: Record<string, unknown> = {};
  for (const [name, factory] of DECODER_FACTORIES) {
    // Options are validated for the configured encoding, and for any other encoding given options
    // (with encoding_from_header those decoders are also built).
    if (name === encoding || obj[name] !== undefined) decoders[name] = factory.validate(obj[name], `${path}::${name}`, errors);
  }

  const deadLetter = optionalStringAt(obj, "dead_letter_topic", path, errors);
  if (deadLetter !== undefined && !TOPIC.test(deadLetter)) {
    errors.push({ path: `${path}::dead_letter_topic`, message: `not a valid Kafka topic name: ${preview(deadLetter)}` });
  }

  const sessionTimeout = intAt(obj, "session_timeout_ms", path, errors, d.session_timeout_ms, 1000, 3_600_000);
  const heartbeat = intAt(obj, "heartbeat_interval_ms", path, errors, d.heartbeat_interval_ms, 100, 3_600_000);
  if (heartbeat >= sessionTimeout) {
    errors.push({ path: `${path}::heartbeat_interval_ms`, message: `must be below session_timeout_ms (${sessionTimeout})` });
  }

  return {
    brokers,
    topics,
    topic_pattern: topicPattern,
    group_id: stringAt(obj, "group_id", path, errors, d.group_id, true),
    client_id: stringAt(obj, "client_id", path, errors, d.client_id, true),
    initial_offset: enumAt(obj, "initial_offset", path, errors, ["earliest", "latest"] as const, d.initial_offset),
    sasl: validateSasl(obj.sasl, `${path}::sasl`, errors),
    tls: validateTls(obj.tls, `${path}::tls`, errors),
    encoding,
    encoding_from_header: boolAt(obj, "encoding_from_header", path, errors, d.encoding_from_header),
    decoders,
    dead_letter_topic: deadLetter,
    commit_interval_ms: intAt(obj, "commit_interval_ms", path, errors, d.commit_interval_ms, 10, 3_600_000),
    session_timeout_ms: sessionTimeout,
    heartbeat_interval_ms: heartbeat,
    max_batch_messages: intAt(obj, "max_batch_messages", path, errors, d.max_batch_messages, 1, 1_000_000),
    max_fetch_wait_ms: intAt(obj, "max_fetch_wait_ms", path, errors, d.max_fetch_wait_ms, 0, 60_000),
    max_partition_fetch_bytes: intAt(obj, "max_partition_fetch_bytes", path, errors, d.max_partition_fetch_bytes, 1024, 1 << 30),
    shutdown_timeout_ms: intAt(obj, "shutdown_timeout_ms", path, errors, d.shutdown_timeout_ms, 0, 600_000),
  };
}
