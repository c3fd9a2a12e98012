/**
 * The document-level consumer-group rule, through the real loader (`statset validate` runs the same
 * code): receivers that run and share a group_id must subscribe to the same topics.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { stringify } from "yaml";
import { createRegistry } from "../../../src/components/registry.ts";
import { ConfigLoadError, formatConfigError, parseConfigText } from "../../../src/config/loader.ts";

type Receivers = Record<string, Record<string, unknown>>;

/** One pipeline per receiver listed in `running`; every receiver in `receivers` is configured. */
function problems(receivers: Receivers, running: readonly string[] = Object.keys(receivers)): string[] {
  const pipelines: Record<string, unknown> = {};
  running.forEach((id, i) => (pipelines[i === 0 ? "metrics" : `metrics/p${i}`] = { receivers: [id], exporters: ["prometheus"] }));
  const yaml = stringify({ receivers, exporters: { prometheus: { endpoint: "127.0.0.1:0" } }, service: { pipelines } });
  try {
    parseConfigText(yaml, "test.yaml", { registry: createRegistry(), env: {} });
    return [];
  } catch (e) {
    if (!(e instanceof ConfigLoadError)) throw e;
    return e.problems.map(formatConfigError);
  }
}

const on = (topics: string[], extra: Record<string, unknown> = {}): Record<string, unknown> => ({ brokers: ["127.0.0.1:9092"], topics, ...extra });

describe("validateSharedGroups", () => {
  it("refuses two running receivers in one group on different topics, naming both paths and subscriptions", () => {
    assert.deepEqual(problems({ "kafka/a": on(["x"], { group_id: "g" }), "kafka/b": on(["y"], { group_id: "g" }) }), [
      'receivers::kafka/b::group_id: "g" is also the group of receivers::kafka/a on other topics (kafka/a: topics [x]; kafka/b: topics [y]); ' +
        "members of one consumer group must subscribe to the same topics or messages go unconsumed: give each receiver its own group_id or one receiver both topics",
    ]);
  });

  it("refuses the default group_id shared by receivers that set only their topics (the new user's config)", () => {
    const out = problems({ "kafka/a": on(["x"]), "kafka/b": on(["x", "y"]) });
    assert.equal(out.length, 1);
    assert.match(out[0], /^receivers::kafka\/b::group_id: "statset" is also the group of receivers::kafka\/a on other topics \(kafka\/a: topics \[x\]; kafka\/b: topics \[x, y\]\)/);
  });

  it("refuses a topic_pattern member beside a topics member of the same group", () => {
    const out = problems({ "kafka/a": on(["x"], { group_id: "g" }), "kafka/b": { brokers: ["127.0.0.1:9092"], topic_pattern: "^x$", group_id: "g" } });
    assert.equal(out.length, 1);
    assert.match(out[0], /kafka\/a: topics \[x\]; kafka\/b: topic_pattern "\^x\$"/);
  });

  it("reports every receiver that differs from the group's first one", () => {
    const out = problems({ "kafka/a": on(["x"], { group_id: "g" }), "kafka/b": on(["y"], { group_id: "g" }), "kafka/c": on(["z"], { group_id: "g" }) });
    assert.deepEqual(out.map((l) => l.slice(0, l.indexOf(": "))), ["receivers::kafka/b::group_id", "receivers::kafka/c::group_id"]);
  });

  it("accepts members of one group with the same topics in any order, and receivers in different groups", () => {
    assert.deepEqual(problems({ "kafka/a": on(["x", "y"], { group_id: "g" }), "kafka/b": on(["y", "x"], { group_id: "g" }) }), []);
    assert.deepEqual(problems({ "kafka/a": on(["x"], { group_id: "g1" }), "kafka/b": on(["y"], { group_id: "g2" }) }), []);
  });

  it("ignores a receiver that no pipeline references (the daemon does not start it)", () => {
    assert.deepEqual(problems({ "kafka/a": on(["x"], { group_id: "g" }), "kafka/idle": on(["y"], { group_id: "g" }) }, ["kafka/a"]), []);
  });

  it("does not cross-check a receiver whose own section is invalid (its problem is reported alone)", () => {
    const out = problems({ "kafka/a": on(["x"], { group_id: "g" }), "kafka/b": on(["y"], { group_id: "g", commit_interval_ms: 0 }) });
    assert.equal(out.length, 1);
    assert.match(out[0], /^receivers::kafka\/b::commit_interval_ms: /);
  });
});
