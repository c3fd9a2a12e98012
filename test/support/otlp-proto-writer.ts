/**
 * A deliberately simple protobuf writer for hand-made test payloads (summaries, unpacked fields,
 * unknown fields, malformed bytes). Independent of the decoder under test; 64-bit values via BigInt.
 */

export const WIRE = { VARINT: 0, I64: 1, LEN: 2, SGROUP: 3, EGROUP: 4, I32: 5 } as const;

export class PbWriter {
  readonly #bytes: number[] = [];

  get length(): number {
    return this.#bytes.length;
  }

  raw(bytes: Iterable<number>): this {
    for (const b of bytes) this.#bytes.push(b & 0xff);
    return this;
  }

  varint(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    while (v >= 0x80n) {
      this.#bytes.push(Number(v & 0x7fn) | 0x80);
      v >>= 7n;
    }
    this.#bytes.push(Number(v));
    return this;
  }

  tag(field: number, wire: number): this {
    return this.varint((field << 3) | wire);
  }

  fixed64(value: number | bigint): this {
    let v = BigInt.asUintN(64, BigInt(value));
    for (let i = 0; i < 8; i++) {
      this.#bytes.push(Number(v & 0xffn));
      v >>= 8n;
    }
    return this;
  }

  double(value: number): this {
    const b = Buffer.alloc(8);
    b.writeDoubleLE(value);
    return this.raw(b);
  }

  fixed32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(value >>> 0);
    return this.raw(b);
  }

  // ---- field helpers ----

  uintField(field: number, value: number | bigint): this {
    return this.tag(field, WIRE.VARINT).varint(value);
  }

  sintField(field: number, value: number): this {
    const zz = value >= 0 ? value * 2 : -value * 2 - 1;
    return this.tag(field, WIRE.VARINT).varint(zz);
  }

  fixed64Field(field: number, value: number | bigint): this {
    return this.tag(field, WIRE.I64).fixed64(value);
  }

  doubleField(field: number, value: number): this {
    return this.tag(field, WIRE.I64).double(value);
  }

  bytesField(field: number, payload: Uint8Array | PbWriter): this {
    const bytes = payload instanceof PbWriter ? payload.finish() : payload;
    this.tag(field, WIRE.LEN).varint(bytes.length);
    return this.raw(bytes);
  }

  stringField(field: number, s: string): this {
    return this.bytesField(field, Buffer.from(s, "utf8"));
  }

  message(field: number, build: (w: PbWriter) => void): this {
    const w = new PbWriter();
    build(w);
    return this.bytesField(field, w);
  }

  finish(): Uint8Array {
    return Uint8Array.from(this.#bytes);
  }
}

/** nanoseconds (BigInt) for an epoch-ms value with extra nanos, for exact timestamp checks. */
export function nanos(ms: number, extraNanos = 0): bigint {
  return BigInt(ms) * 1_000_000n + BigInt(extraNanos);
}

/** KeyValue with a string value. */
export function kvString(w: PbWriter, field: number, key: string, value: string): PbWriter {
  return w.message(field, (kv) => kv.stringField(1, key).message(2, (av) => av.stringField(1, value)));
}
