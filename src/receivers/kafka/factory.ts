/** The `kafka` receiver factory (component model in src/components/types.ts). */
import type { ConfigError, ReceiverFactory } from "../../components/types.ts";
import type { MetricsConsumer } from "../../pipeline/types.ts";
import { createDefaultKafkaConfig, validateKafkaConfig } from "./config.ts";
import type { KafkaReceiverConfig } from "./config.ts";
import { KafkaReceiver } from "./receiver.ts";
import { validateSharedGroups } from "./shared-groups.ts";
import type { KafkaReceiverContext } from "./types.ts";

export interface KafkaReceiverFactory extends ReceiverFactory<KafkaReceiverConfig> {
  /** `ctx.hooks.flush`, when the pipeline provides it, is the commit barrier (see KafkaReceiverHooks). */
  create(ctx: KafkaReceiverContext, config: KafkaReceiverConfig, next: MetricsConsumer): KafkaReceiver;
}

export const kafkaReceiverFactory: KafkaReceiverFactory = {
  type: "kafka",
  createDefaultConfig: createDefaultKafkaConfig,
  validate: (raw: unknown, path: string, errors: ConfigError[]) => validateKafkaConfig(raw, path, errors),
  validateTogether: validateSharedGroups,
  create: (ctx: KafkaReceiverContext, config: KafkaReceiverConfig, next: MetricsConsumer) => new KafkaReceiver(ctx, config, next),
};
