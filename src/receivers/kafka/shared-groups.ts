/**
 * The document-level rule for `kafka` receivers: receivers that run in one process and share a
 * `group_id` must subscribe to the same topics.
 *
 * Why: every receiver is its own kafkajs consumer, i.e. its own member of the group. The group
 * leader assigns the partitions of every topic any member subscribed to across all members, so a
 * member is handed partitions of topics it never subscribed to; kafkajs only warns "Consumer group
 * received unsubscribed topics" and never fetches them, while the member that wanted them does not
 * own them: their messages are not consumed (seen with kcat and two receivers: 0 of 5 and 11 of 15
 * consumed). Receivers with equal subscriptions in one group are ordinary members that split the
 * partitions.
 */
import type { ConfigError, ConfiguredComponent } from "../../components/types.ts";
import type { KafkaReceiverConfig } from "./config.ts";

/** A receiver's subscription as a comparable, readable string. */
function subscription(config: KafkaReceiverConfig): string {
  if (config.topic_pattern !== undefined) return `topic_pattern ${JSON.stringify(config.topic_pattern)}`;
  return `topics [${[...new Set(config.topics)].sort().join(", ")}]`;
}

/**
 * Pushes one problem per receiver that shares its group with an earlier receiver (in document
 * order) on another subscription, naming both paths and both subscriptions.
 */
export function validateSharedGroups(components: readonly ConfiguredComponent<KafkaReceiverConfig>[], errors: ConfigError[]): void {
  const firstByGroup = new Map<string, ConfiguredComponent<KafkaReceiverConfig>>();
  for (const c of components) {
    const first = firstByGroup.get(c.config.group_id);
    if (first === undefined) {
      firstByGroup.set(c.config.group_id, c);
      continue;
    }
    const mine = subscription(c.config);
    const theirs = subscription(first.config);
    if (mine === theirs) continue;
    errors.push({
      path: `${c.path}::group_id`,
      message:
        `${JSON.stringify(c.config.group_id)} is also the group of ${first.path} on other topics (${first.id}: ${theirs}; ${c.id}: ${mine}); ` +
        "members of one consumer group must subscribe to the same topics or messages go unconsumed: " +
        "give each receiver its own group_id or one receiver both topics",
    });
  }
}
