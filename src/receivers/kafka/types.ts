/** Contracts between the Kafka receiver and the pipeline that hosts it. */
import type { ComponentContext } from "../../components/types.ts";

/**
 * What the pipeline offers the Kafka receiver so offsets are committed only for data that cannot
 * be lost anymore.
 */
export interface KafkaReceiverHooks {
  /**
   * Resolves once every window containing the points handed to `consume` before this call has been
   * handed to all exporters. The receiver commits the offsets it had consumed when it called this,
   * only after it resolves. Never resolving means never committing (messages are redelivered after
   * a restart); rejecting skips that commit (retried next interval).
   */
  flush(): Promise<void>;
}

/** The receiver's create context: the component context plus optional pipeline hooks. */
export interface KafkaReceiverContext extends ComponentContext {
  /** Without hooks, offsets are committed once messages were handed to `consume`. */
  readonly hooks?: KafkaReceiverHooks;
}
