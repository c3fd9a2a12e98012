/**
 * Picks an aggregation engine. The WASM engine is the default; the pure-TypeScript engine is the
 * reference and the fallback where WebAssembly cannot be instantiated.
 */
import { createJsEngine } from "./js-engine.ts";
import type { AggregationEngine } from "./types.ts";

export type EngineName = "wasm" | "js";

/** Creates the named engine. "wasm" throws (naming the cause) when the module cannot be loaded. */
export async function createEngine(name: EngineName): Promise<AggregationEngine> {
  if (name === "js") return createJsEngine();
  if (name !== "wasm") throw new TypeError(`engine must be "wasm" or "js", got ${JSON.stringify(name)}`);
  const { createWasmEngine } = await import("./wasm-engine.ts");
  return createWasmEngine();
}
