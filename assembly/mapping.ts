// Base-2 exponential bucket index of a positive finite value, equal to OpenTelemetry JS's
// ExponentMapping (scale <= 0) and LogarithmMapping (scale > 0) for every scale -10..20.
//
// scale <= 0 is pure bit arithmetic. For scale > 0 OpenTelemetry computes
// floor(Math.log(v) * LOG2E * 2^scale). We compute w = log2(mantissa) * 2^scale from a 512-entry
// table and a degree-3 polynomial (error < 2^-41) and round it with the 2^52 trick (no float/int
// conversion instructions on the hot path). When w is farther than DELTA * 2^scale from the
// nearest integer, its floor is OpenTelemetry's index: DELTA (2^-38) exceeds the sum of our error
// and the error of OpenTelemetry's own double arithmetic (fdlibm log < 1 ulp plus two roundings:
// < 2^-41 * 2^scale for |log2 v| <= 1024). Otherwise (v within ~2^-38 relative of a bucket
// boundary, about 1 value in 2^17 at scale 20, fewer at lower scales) we replay OpenTelemetry's
// arithmetic exactly with an fdlibm log.

import { fdlibmLog } from "./fdlibm-log";

const LOG2E: f64 = 1.4426950408889634;
const MIN_NORMAL_EXPONENT: i32 = -1022;
const MAX_NORMAL_EXPONENT: i32 = 1023;
const MANTISSA_MASK: u64 = 0x000fffffffffffff;
const ONE_BITS: u64 = 0x3ff0000000000000;
/** log2 of DELTA: the exact path is taken within 2^(DELTA_LOG2 + scale) of an integer. */
const DELTA_LOG2: i32 = -38;
const ROUNDER: f64 = 4503599627370496.0; // 2^52: x + 2^52 rounds 0 <= x < 2^51 to an integer
const C1: f64 = LOG2E;
const C2: f64 = -LOG2E / 2.0;
const C3: f64 = LOG2E / 3.0;
const TABLE_BITS: i32 = 9;
const TABLE_SIZE: i32 = 1 << TABLE_BITS;

/**
 * TABLE_SIZE entries of [1/c, log2(c)], c the midpoint of the mantissa interval
 * [1 + i/TABLE_SIZE, 1 + (i+1)/TABLE_SIZE); so |m/c - 1| <= 2^-10 for m in the interval.
 */
const LOG_TABLE: usize = memory.data(TABLE_SIZE * 16, 16);

function initLogTable(): void {
  for (let i = 0; i < TABLE_SIZE; i++) {
    const c = 1.0 + (<f64>i + 0.5) / <f64>TABLE_SIZE;
    const invc = 1.0 / c;
    // log2 of exactly the stored 1/c, so that log2(m) = log2(m * invc) - log2(invc) holds exactly
    store<f64>(LOG_TABLE + (<usize>i << 4), invc);
    store<f64>(LOG_TABLE + (<usize>i << 4), -fdlibmLog(invc) * LOG2E, 8);
  }
}
initLogTable();

/**
 * For scales 1..CELL_SCALES, bucket boundaries inside [1, 2) are 2^(j/2^scale), at least
 * 2^(2^-8) - 1 > 1/TABLE_SIZE apart, so each table cell [1 + i/TABLE_SIZE, 1 + (i+1)/TABLE_SIZE)
 * holds at most one. Per scale and cell: [j i32, slow i32, boundary f64, zone f64], where j is the
 * bucket of the cell's start, boundary the one inside (+Inf if none), and zone the distance within
 * which OpenTelemetry's rounding could tip the index (2^-38 relative, as DELTA above). `slow`
 * marks cells with a boundary next to one of their ends (1 and 2 included); they use the
 * polynomial path.
 */
const CELL_SCALES: i32 = 8;
const CELL_BYTES: usize = 24;
const CELL_TABLES: usize = memory.data(CELL_SCALES * TABLE_SIZE * <i32>CELL_BYTES, 16);
const ZONE: f64 = 3.637978807091713e-12; // 2^-38

@inline function boundaryAt(j: i32, scale: i32): f64 {
  return Math.pow(2.0, <f64>j / <f64>(1 << scale));
}

@inline function nearRelative(a: f64, b: f64): bool {
  return Math.abs(a - b) <= 4.0 * ZONE * b;
}

function initCellTables(): void {
  for (let scale = 1; scale <= CELL_SCALES; scale++) {
    const n = 1 << scale;
    let below = 0; // boundaries 2^(j/n), 1 <= j < n, at or below the cell's start
    for (let i = 0; i < TABLE_SIZE; i++) {
      const start = 1.0 + <f64>i / <f64>TABLE_SIZE;
      const end = 1.0 + <f64>(i + 1) / <f64>TABLE_SIZE;
      while (below + 1 < n && boundaryAt(below + 1, scale) <= start) below++;
      const cell = CELL_TABLES + (<usize>(((scale - 1) << TABLE_BITS) + i) * CELL_BYTES);
      let slow = false;
      for (let j = below; j <= min(below + 2, n); j++) {
        const b = boundaryAt(j, scale);
        if (nearRelative(b, start) || nearRelative(b, end)) slow = true;
      }
      const next = below + 1 < n ? boundaryAt(below + 1, scale) : Infinity;
      const inside = next < end;
      store<i32>(cell, below);
      store<i32>(cell, slow ? 1 : 0, 4);
      store<f64>(cell, inside ? next : Infinity, 8);
      store<f64>(cell, inside ? next * ZONE : 0.0, 16);
    }
  }
}
initCellTables();

// [minIndexAt, maxIndexAt] are the indexes finite doubles map to: OpenTelemetry's edges
// (opentelemetry-js, packages/sdk-metrics/src/aggregator/exponential-histogram/mapping/
// ExponentMapping.ts `_minNormalLowerBoundaryIndex`/`_maxNormalLowerBoundaryIndex`, LogarithmMapping.ts
// `mapToIndex`), returned by the mapping below for subnormals and the largest values. Every index the
// core holds lies in them (merge.ts refuses inputs that leave them; downscaling keeps an index in
// them, as minIndexAt(s) >> 1 == minIndexAt(s - 1)): within [-1071644673, 1073741823], so the
// difference of two indexes fits an i32.

/** The lowest index any value can map to at `scale` (subnormals and MIN_VALUE land here). */
@inline export function minIndexAt(scale: i32): i32 {
  if (scale > 0) return (MIN_NORMAL_EXPONENT << scale) - 1;
  const shift = -scale;
  return (MIN_NORMAL_EXPONENT >> shift) - (shift < 2 ? 1 : 0);
}

/** The highest index any finite value can map to at `scale` (MAX_VALUE lands here). */
@inline export function maxIndexAt(scale: i32): i32 {
  if (scale > 0) return ((MAX_NORMAL_EXPONENT + 1) << scale) - 1;
  return MAX_NORMAL_EXPONENT >> -scale;
}

/** OpenTelemetry's LogarithmMapping arithmetic, replayed exactly (slow; rare). */
export function otelLogIndex(value: f64, scale: i32): i32 {
  const scaleFactor = LOG2E * <f64>(1 << scale);
  const index = <i32>Math.floor(fdlibmLog(value) * scaleFactor);
  const maxIndex = maxIndexAt(scale);
  return index >= maxIndex ? maxIndex : index;
}

/** Returned by `mapToIndexFast` when the value sits next to a bucket boundary. */
export const NEEDS_EXACT: i32 = i32.MIN_VALUE;

/** Index of positive finite `value` at `scale` (-10..20). */
@inline export function mapToIndex(value: f64, scale: i32): i32 {
  const index = mapToIndexFast(value, scale);
  return index != NEEDS_EXACT ? index : otelLogIndex(value, scale);
}

/**
 * `mapToIndex` without the exact path: NEEDS_EXACT instead (below every real index). Has no
 * calls, so loops using it keep their state in registers.
 */
@inline export function mapToIndexFast(value: f64, scale: i32): i32 {
  return mapToIndexWith(value, scale, powerOfTwo(scale), powerOfTwo(DELTA_LOG2 + scale));
}

/** 2^scale and the exact-path threshold for `scale`, for loops that hoist them. */
@inline export function scaleUnit(scale: i32): f64 {
  return powerOfTwo(scale);
}
@inline export function scaleDelta(scale: i32): f64 {
  return powerOfTwo(DELTA_LOG2 + scale);
}

/** `mapToIndexFast` with `unit` = scaleUnit(scale) and `delta` = scaleDelta(scale) precomputed. */
@inline export function mapToIndexWith(value: f64, scale: i32, unit: f64, delta: f64): i32 {
  const bits = reinterpret<u64>(value);
  const biased = <i32>(bits >> 52);
  const mantissa = bits & MANTISSA_MASK;
  if (biased == 0) return minIndexAt(scale); // subnormal
  const exponent = biased - 1023;
  if (scale <= 0) {
    return (exponent - select<i32>(1, 0, mantissa == 0)) >> -scale;
  }
  if (mantissa == 0) return (exponent << scale) - 1; // exact power of two, incl. MIN_VALUE
  if (scale <= CELL_SCALES) {
    const index = cellIndex(cellTableAt(scale), bits, scale);
    if (index != SLOW_CELL) return index;
  }
  const w = log2Mantissa(mantissa) * unit; // in [0, 2^scale), give or take 2^-41
  const rounded = w + ROUNDER;
  const distance = w - (rounded - ROUNDER); // to the nearest integer, in [-0.5, 0.5]
  if (Math.abs(distance) > delta) {
    // the low word of w + 2^52 is the nearest integer; step down when w is below it
    return (exponent << scale) + <i32>reinterpret<u64>(rounded) - <i32>(distance < 0);
  }
  return NEEDS_EXACT;
}

/** 2^e for -1022 <= e <= 1023, built from bits (no int-to-float conversion). */
@inline function powerOfTwo(e: i32): f64 {
  return reinterpret<f64>(<u64>(1023 + e) << 52);
}

/** log2 of the mantissa 1.m (52 bits) within 2^-41: table entry times a degree-3 series. */
@inline function log2Mantissa(mantissa: u64): f64 {
  const entry = LOG_TABLE + <usize>((mantissa >> (52 - TABLE_BITS)) << 4);
  const r = reinterpret<f64>(mantissa | ONE_BITS) * load<f64>(entry) - 1.0; // m/c - 1, |r| <= 2^-10
  return load<f64>(entry, 8) + r * (C1 + r * (C2 + r * C3));
}

/** Exported for tests: the table path with its exact fallback. */
export function mapToIndexExport(value: f64, scale: i32): i32 {
  return mapToIndex(value, scale);
}

/** Exported for tests: OpenTelemetry's mapping replayed with exact arithmetic for every value. */
export function otelMapToIndex(value: f64, scale: i32): i32 {
  const bits = reinterpret<u64>(value);
  if (scale <= 0) return mapToIndex(value, scale);
  if (value <= 2.2250738585072014e-308) return minIndexAt(scale);
  if ((bits & MANTISSA_MASK) == 0) return ((<i32>(bits >> 52) - 1023) << scale) - 1;
  return otelLogIndex(value, scale);
}

/** Whether the fast path had to replay OpenTelemetry's arithmetic for this value (for tests). */
export function mapNeedsExactPath(value: f64, scale: i32): bool {
  return mapToIndexFast(value, scale) == NEEDS_EXACT;
}

/** Base of the cell table of `scale`, 1..CELL_SCALES. */
@inline function cellTableAt(scale: i32): usize {
  return CELL_TABLES + <usize>((scale - 1) << TABLE_BITS) * CELL_BYTES;
}

/** Base of the cell table of `scale` when it has one (1..CELL_SCALES), else 0; for kernels that hoist it. */
@inline export function cellTableFor(scale: i32): usize {
  return scale >= 1 && scale <= CELL_SCALES ? cellTableAt(scale) : 0;
}

/** Returned by `cellIndex` for a cell with a boundary next to one of its ends (below every real index). */
const SLOW_CELL: i32 = i32.MIN_VALUE + 1;

/**
 * Index of a positive normal value (its `bits`) at a scale with a cell table (`cells` from
 * `cellTableFor`): at most one boundary per cell, so the mantissa is compared with it. NEEDS_EXACT
 * next to the boundary; SLOW_CELL when the cell must take the polynomial path (cells with a
 * boundary at an end, among them cell 0, where exact powers of two fall).
 */
@inline export function cellIndex(cells: usize, bits: u64, scale: i32): i32 {
  const mantissa = bits & MANTISSA_MASK;
  const cell = cells + <usize>(mantissa >> (52 - TABLE_BITS)) * CELL_BYTES;
  if (load<i32>(cell, 4) != 0) return SLOW_CELL;
  const m = reinterpret<f64>(mantissa | ONE_BITS);
  const boundary = load<f64>(cell, 8);
  if (Math.abs(m - boundary) <= load<f64>(cell, 16)) return NEEDS_EXACT;
  return ((<i32>(bits >> 52) - 1023) << scale) + load<i32>(cell) + <i32>(m >= boundary);
}
