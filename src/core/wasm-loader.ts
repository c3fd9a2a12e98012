/**
 * Loads the AssemblyScript aggregation core (`build/statset.wasm`, built by `npm run build:wasm`).
 * This is the only file that touches the `WebAssembly` global; everything else sees the typed,
 * numbers-only exports below and a view of the module's linear memory.
 */
import { readFile } from "node:fs/promises";
import { PACKAGE_ROOT } from "../package-root.ts";

/**
 * The module's exports (assembly/index.ts). Ids, counts and byte offsets only: columns are
 * written into linear memory by the caller and passed by address. Pointers come back as signed
 * 32-bit numbers; apply `>>> 0` before using one as an offset.
 */
export interface StatsetExports {
  /** Bytes currently handed out by the core's allocator. */
  heapInUse(): number;
  /** Bytes of linear memory the allocator has taken so far (live plus free-listed). */
  heapTop(): number;
  /** Copies `nb` f64 boundaries from `boundsPtr`; returns the layout id. */
  createLayout(boundsPtr: number, nb: number, expMaxSize: number, expMaxScale: number): number;
  allocSlot(kind: number, layout: number): number;
  freeSlot(slot: number): void;
  liveSlots(): number;
  /** 1 when `slot` is allocated, else 0. */
  slotIsLive(slot: number): number;
  /** Returns 1 (and does nothing) when `slot` is not live; likewise the merges and `snapshot`. */
  resetSlot(slot: number): number;
  /** Bytes of one slot of the layout. */
  slotBlockBytes(layout: number): number;
  /** `n` f64 values at `valuesPtr` into one slot; 1 when the slot is not live. */
  recordBatch(slot: number, valuesPtr: number, n: number): number;
  /** f64 values at `valuesPtr` into the i32 slots at `slotsPtr`, `n` of each; returns how many
   * entries named a slot that is not live (skipped). */
  recordScattered(slotsPtr: number, valuesPtr: number, n: number): number;
  mergeExplicit(
    slot: number, boundsPtr: number, countsPtr: number, nb: number,
    count: number, sum: number, min: number, max: number,
  ): number;
  /** Applies `words` f64 words of queued explicit merges at `mergeStagePtr` (format in assembly/merge.ts);
   * returns how many named a slot that is not live. */
  mergeExplicitStaged(words: number): number;
  mergeExponential(
    slot: number, scale: number, zeroCount: number,
    posOffset: number, posPtr: number, posLen: number, negOffset: number, negPtr: number, negLen: number,
    count: number, sum: number, min: number, max: number,
  ): number;
  /** 1 when a slot is not live, 2 when kind or layout differ, else 0. */
  mergeSlot(dst: number, src: number): number;
  mergeStatistics(slot: number, count: number, sum: number, min: number, max: number): number;
  /** Writes the slot's snapshot record at `outPtr` (layout in assembly/snapshot.ts). */
  snapshot(slot: number, outPtr: number, reset: number): number;
  snapshotBytes(slot: number): number;
  /** A scratch block of at least `bytes`, valid until the next call to `scratch`. */
  scratch(bytes: number): number;
  /** A block of `bytes` for a staging buffer of single records (never returned). */
  allocStageBlock(bytes: number): number;
  stageCapacity(): number;
  stageSlotsPtr(): number;
  stageValuesPtr(): number;
  transferCapacity(): number;
  transferSlotsPtr(): number;
  transferValuesPtr(): number;
  mergeStageWords(): number;
  mergeStagePtr(): number;
  /** V8's Math.log algorithm (fdlibm), for tests. */
  fdlibmLog(x: number): number;
  /** 1 when the fast exponential mapping fell back to OpenTelemetry's exact arithmetic. */
  mapNeedsExactPath(value: number, scale: number): number;
  /** The engine's exponential bucket index of a positive finite value. */
  mapToIndex(value: number, scale: number): number;
  /** OpenTelemetry's mapping arithmetic replayed for every value (slow reference). */
  otelMapToIndex(value: number, scale: number): number;
}

/** The module's linear memory. `buffer` is replaced (the old one detached) whenever it grows. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Grows by `pages` of 64 KiB; returns the previous size in pages. Throws when it cannot. */
  grow(pages: number): number;
}

export interface StatsetModule {
  readonly exports: StatsetExports;
  readonly memory: WasmMemory;
}

export interface LoadOptions {
  /** Load `statset.debug.wasm` (names, no optimisation) instead of the release build. */
  readonly debug?: boolean;
}

// The project's TypeScript libs (es2023 + @types/node) do not declare the WebAssembly global, so
// this file declares the part it uses. `declare` is erased: at run time this is Node's global.
/** An opaque compiled module. */
interface CompiledModule {
  readonly [Symbol.toStringTag]: string;
}
type RawExports = Record<string, unknown>;
declare const WebAssembly: {
  compile(bytes: Uint8Array): Promise<CompiledModule>;
  instantiate(module: CompiledModule, imports: Record<string, Record<string, unknown>>): Promise<{ exports: RawExports }>;
  readonly Memory: abstract new (descriptor: { initial: number }) => WasmMemory;
};

const compiled = new Map<string, Promise<CompiledModule>>();

function compile(file: string): Promise<CompiledModule> {
  let module = compiled.get(file);
  if (module === undefined) {
    const url = new URL(`build/${file}`, PACKAGE_ROOT);
    module = readFile(url).then(
      (bytes) => WebAssembly.compile(bytes),
      (error: unknown) => {
        compiled.delete(file);
        throw new Error(`cannot read ${url.pathname} (run "npm run build:wasm"): ${String(error)}`);
      },
    );
    compiled.set(file, module);
  }
  return module;
}

type NumericFunction = (...args: number[]) => number;

function typedExports(raw: RawExports): StatsetExports {
  const f = (name: keyof StatsetExports): NumericFunction => {
    const value = raw[name];
    if (typeof value !== "function") throw new Error(`statset.wasm: export ${name} is missing`);
    return value as NumericFunction;
  };
  return {
    heapInUse: f("heapInUse"),
    heapTop: f("heapTop"),
    createLayout: f("createLayout"),
    allocSlot: f("allocSlot"),
    freeSlot: f("freeSlot"),
    liveSlots: f("liveSlots"),
    slotIsLive: f("slotIsLive"),
    resetSlot: f("resetSlot"),
    slotBlockBytes: f("slotBlockBytes"),
    recordBatch: f("recordBatch"),
    recordScattered: f("recordScattered"),
    mergeExplicit: f("mergeExplicit"),
    mergeExplicitStaged: f("mergeExplicitStaged"),
    mergeExponential: f("mergeExponential"),
    mergeSlot: f("mergeSlot"),
    mergeStatistics: f("mergeStatistics"),
    snapshot: f("snapshot"),
    snapshotBytes: f("snapshotBytes"),
    scratch: f("scratch"),
    allocStageBlock: f("allocStageBlock"),
    stageCapacity: f("stageCapacity"),
    stageSlotsPtr: f("stageSlotsPtr"),
    stageValuesPtr: f("stageValuesPtr"),
    transferCapacity: f("transferCapacity"),
    transferSlotsPtr: f("transferSlotsPtr"),
    transferValuesPtr: f("transferValuesPtr"),
    mergeStageWords: f("mergeStageWords"),
    mergeStagePtr: f("mergeStagePtr"),
    fdlibmLog: f("fdlibmLog"),
    mapNeedsExactPath: f("mapNeedsExactPath"),
    mapToIndex: f("mapToIndex"),
    otelMapToIndex: f("otelMapToIndex"),
  };
}

/**
 * Instantiates a fresh core (its own linear memory, no slots). The compiled module is cached, so
 * later instances cost only the instantiation. The core grows its memory itself (`memory.grow`,
 * at least 1 MiB at a time); callers must re-create typed-array views when `memory.buffer`
 * changes after a call.
 */
export async function loadStatsetWasm(options: LoadOptions = {}): Promise<StatsetModule> {
  const module = await compile(options.debug === true ? "statset.debug.wasm" : "statset.wasm");
  const imports = {
    env: {
      statsetOutOfMemory(bytes: number): void {
        throw new RangeError(`statset.wasm: out of linear memory allocating ${bytes >>> 0} bytes`);
      },
    },
  };
  const instance = await WebAssembly.instantiate(module, imports);
  const memory = instance.exports.memory;
  if (!(memory instanceof WebAssembly.Memory)) throw new Error("statset.wasm: memory is not exported");
  return { exports: typedExports(instance.exports), memory };
}
