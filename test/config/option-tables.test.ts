/**
 * docs/configuration.md's option tables agree with the schemas: under each `<!-- options: NAME -->`
 * marker, the table's key, type and default cells are exactly what the schema renders
 * (src/config/option-table.ts), row for row; the meaning column is free text. Every component
 * type of the registry has its table, so a new component cannot ship undocumented.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { defaultRegistry } from "../../src/components/registry.ts";
import { healthCheckSchema } from "../../src/config/health-check-config.ts";
import { optionRows, type OptionRow } from "../../src/config/option-table.ts";
import { pipelineSchema } from "../../src/config/pipeline-config.ts";
import type { z } from "../../src/config/schema.ts";
import { serviceSchema } from "../../src/config/service.ts";
import { prometheusExporterSchema } from "../../src/exporters/prometheus/config.ts";
import { attributesProcessorSchema } from "../../src/processors/attributes.ts";
import { batchProcessorSchema } from "../../src/processors/batch.ts";
import { filterProcessorSchema } from "../../src/processors/filter.ts";
import { memoryLimiterSchema } from "../../src/processors/memory-limiter.ts";
import { otlpGrpcSchema, otlpHttpSchema } from "../../src/receivers/otlp/config.ts";

const DOC = new URL("../../docs/configuration.md", import.meta.url);

interface Documented {
  readonly schema: z.ZodType;
  /** Prefix of every key cell (`service::`), when the table shows full paths. */
  readonly prefix?: string;
  /** The component type it documents, if any. */
  readonly component?: string;
}

export const DOCUMENTED: Readonly<Record<string, Documented>> = {
  service: { schema: serviceSchema, prefix: "service::" },
  health_check: { schema: healthCheckSchema, prefix: "extensions::health_check::" },
  pipeline: { schema: pipelineSchema },
  "otlp.http": { schema: otlpHttpSchema, prefix: "protocols::http::", component: "otlp" },
  "otlp.grpc": { schema: otlpGrpcSchema, prefix: "protocols::grpc::", component: "otlp" },
  attributes: { schema: attributesProcessorSchema, component: "attributes" },
  filter: { schema: filterProcessorSchema, component: "filter" },
  memory_limiter: { schema: memoryLimiterSchema, component: "memory_limiter" },
  batch: { schema: batchProcessorSchema, component: "batch" },
  prometheus: { schema: prometheusExporterSchema, component: "prometheus" },
};

/** Components still validated by their own readers (moving to the schema, issue 9). */
const NOT_YET_ON_THE_SCHEMA: ReadonlySet<string> = new Set(["kafka", "awscloudwatch", "awsemf"]);

export function rendered(d: Documented): OptionRow[] {
  return optionRows(d.schema).map((r) => ({ ...r, key: d.prefix === undefined ? r.key : r.key.replace(/^`/, `\`${d.prefix}`) }));
}

/** The first three cells of each row of the table that follows the marker. */
function documented(doc: string, name: string): OptionRow[] | undefined {
  const at = doc.indexOf(`<!-- options: ${name} -->`);
  if (at < 0) return undefined;
  const lines = doc.slice(at).split("\n").slice(1);
  const table = lines.slice(lines.findIndex((l) => l.startsWith("|")));
  const body = table.slice(2, table.findIndex((l) => !l.startsWith("|")));
  // Cells are split on unescaped pipes (`a \| b` in a type cell is one cell).
  return body.map((l) => {
    const cells = l.slice(1).split(/(?<!\\)\|/).map((c) => c.trim());
    return { key: cells[0], type: cells[1], default: cells[2], meaning: cells[3] ?? "" };
  });
}

const format = (rows: readonly OptionRow[]): string => rows.map((r) => `| ${r.key} | ${r.type} | ${r.default} |`).join("\n");

describe("docs/configuration.md option tables", () => {
  const doc = readFileSync(DOC, "utf8");
  for (const [name, d] of Object.entries(DOCUMENTED)) {
    it(`documents ${name} exactly as its schema declares it`, () => {
      const want = rendered(d);
      const got = documented(doc, name);
      assert.ok(got !== undefined, `no <!-- options: ${name} --> marker; the table's first columns should be:\n${format(want)}`);
      assert.equal(format(got), format(want), `key, type and default cells of ${name} differ from the schema; they should be:\n${format(want)}`);
    });
  }

  it("has a table for every component type the registry knows", () => {
    const covered = new Set(Object.values(DOCUMENTED).flatMap((d) => (d.component === undefined ? [] : [d.component])));
    const types = [...defaultRegistry.receivers.keys(), ...defaultRegistry.processors.keys(), ...defaultRegistry.exporters.keys()];
    assert.deepStrictEqual(types.filter((t) => !covered.has(t) && !NOT_YET_ON_THE_SCHEMA.has(t)), []);
  });
});
