/** kafkajs client options from the receiver's config (TLS files are read here, once, at start). */
import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "node:tls";
import type { KafkaConfig, SASLOptions } from "kafkajs";
import type { Logger } from "pino";
import type { BrokerConnections } from "./broker-connections.ts";
import type { KafkaReceiverConfig } from "./config.ts";
import { kafkajsLevel, pinoLogCreator } from "./kafkajs-logger.ts";

function tlsOptions(config: KafkaReceiverConfig): ConnectionOptions | undefined {
  const tls = config.tls;
  if (tls === undefined) return undefined;
  return {
    ca: tls.ca_file === undefined ? undefined : readFileSync(tls.ca_file),
    cert: tls.cert_file === undefined ? undefined : readFileSync(tls.cert_file),
    key: tls.key_file === undefined ? undefined : readFileSync(tls.key_file),
    rejectUnauthorized: !tls.insecure_skip_verify,
  };
}

function saslOptions(config: KafkaReceiverConfig): SASLOptions | undefined {
  const s = config.sasl;
  if (s === undefined) return undefined;
  switch (s.mechanism) {
    case "plain":
      return { mechanism: "plain", username: s.username, password: s.password };
    case "scram-sha-256":
      return { mechanism: "scram-sha-256", username: s.username, password: s.password };
    case "scram-sha-512":
      return { mechanism: "scram-sha-512", username: s.username, password: s.password };
  }
}

/** `connections` makes and logs the sockets and supplies the seed brokers (see BrokerConnections). */
export function kafkaClientConfig(config: KafkaReceiverConfig, logger: Logger, connections: BrokerConnections): KafkaConfig {
  const ssl = tlsOptions(config);
  const sasl = saslOptions(config);
  return {
    clientId: config.client_id,
    brokers: connections.brokers,
    socketFactory: connections.socketFactory,
    ...(ssl === undefined ? {} : { ssl }),
    ...(sasl === undefined ? {} : { sasl }),
    logLevel: kafkajsLevel(logger),
    logCreator: pinoLogCreator(logger),
    // A daemon outlives broker outages: keep retrying connections (the consumer restarts after a crash).
    retry: { initialRetryTime: 300, maxRetryTime: 10_000, retries: 10 },
  };
}
