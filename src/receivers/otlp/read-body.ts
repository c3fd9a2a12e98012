/**
 * Reads an HTTP request body with a hard size bound. Compressed bodies are inflated while they arrive
 * by a streaming zlib whose output is counted as it is produced, so a small gzip bomb is stopped as soon
 * as its output passes the limit instead of after it has been materialised. The compressed size is
 * bounded by the same limit.
 */
import type { IncomingMessage } from "node:http";
import type { BodyBufferPool } from "./body-pool.ts";
import { createGunzip, createInflate } from "node:zlib";
import type { Gunzip, Inflate } from "node:zlib";

export const BODY_ERROR_KINDS = ["too_large", "bad_encoding", "aborted"] as const;
export type BodyErrorKind = (typeof BODY_ERROR_KINDS)[number];

export class BodyReadError extends Error {
  readonly kind: BodyErrorKind;
  constructor(kind: BodyErrorKind, message: string) {
    super(message);
    this.name = "BodyReadError";
    this.kind = kind;
  }
}

/** Content codings this reader inflates; anything else is the caller's 415. */
export type ContentCoding = "identity" | "gzip" | "deflate";

/** Maps a Content-Encoding header to a supported coding, or undefined when unsupported. */
export function parseContentEncoding(header: string | undefined): ContentCoding | undefined {
  if (header === undefined) return "identity";
  const v = header.trim().toLowerCase();
  if (v === "" || v === "identity") return "identity";
  if (v === "gzip" || v === "x-gzip") return "gzip";
  if (v === "deflate") return "deflate";
  return undefined;
}

/**
 * Resolves with the (decompressed) body, or rejects with a BodyReadError: `too_large` when either the
 * wire bytes or the decompressed bytes exceed `limit`, `bad_encoding` for corrupt compressed data,
 * `aborted` when the client went away. On `too_large` the request stream is left paused/unread.
 *
 * With a `pool`, an uncompressed body of declared length is assembled in a pooled buffer (no
 * allocation per request): the result is then a view of it, which the caller hands back with
 * `pool.release(body)` once nothing reads it any more (releasing a non-pooled body is a no-op).
 */
export function readBody(req: IncomingMessage, coding: ContentCoding, limit: number, pool?: BodyBufferPool): Promise<Buffer> {
  const declared = req.headers["content-length"];
  let declaredBytes = -1;
  if (declared !== undefined) {
    const n = Number(declared);
    if (Number.isFinite(n) && n > limit) {
      return Promise.reject(new BodyReadError("too_large", `request body of ${n} bytes exceeds the limit of ${limit} bytes`));
    }
    if (Number.isInteger(n) && n >= 0) declaredBytes = n;
  }
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let wireBytes = 0;
    let bodyBytes = 0;
    let settled = false;
    let inflater: Gunzip | Inflate | undefined;
    // Chunks are copied into this pooled buffer as they arrive instead of being collected.
    let target = pool !== undefined && coding === "identity" && declaredBytes > 0 ? pool.acquire(declaredBytes) : undefined;

    const cleanup = (): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("aborted", onAborted);
      req.off("error", onError);
      req.off("close", onClose);
      if (inflater !== undefined) {
        inflater.removeAllListeners("data");
        inflater.removeAllListeners("end");
        inflater.removeAllListeners("error");
        inflater.on("error", () => {});
        inflater.destroy();
      }
    };
    const fail = (err: BodyReadError): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (target !== undefined) pool?.release(target);
      req.pause();
      reject(err);
    };
    const succeed = (): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if (target !== undefined) resolve(target.subarray(0, bodyBytes));
      else resolve(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, bodyBytes));
    };
    const addOutput = (chunk: Buffer): void => {
      if (bodyBytes + chunk.length > limit) {
        bodyBytes += chunk.length;
        fail(new BodyReadError("too_large", `decompressed request body exceeds the limit of ${limit} bytes`));
        return;
      }
      if (target !== undefined) {
        if (bodyBytes + chunk.length <= target.length) {
          chunk.copy(target, bodyBytes);
          bodyBytes += chunk.length;
          return;
        }
        // More than declared (cannot happen with a conforming parser): go back to collecting.
        chunks.push(Buffer.from(target.subarray(0, bodyBytes)));
        pool?.release(target);
        target = undefined;
      }
      bodyBytes += chunk.length;
      chunks.push(chunk);
    };

    function onData(chunk: Buffer): void {
      wireBytes += chunk.length;
      if (wireBytes > limit) {
        fail(new BodyReadError("too_large", `request body exceeds the limit of ${limit} bytes`));
        return;
      }
      if (inflater === undefined) {
        addOutput(chunk);
      } else if (!inflater.write(chunk)) {
        // Let zlib catch up before reading more from the socket.
        req.pause();
        inflater.once("drain", () => {
          if (!settled) req.resume();
        });
      }
    }
    function onEnd(): void {
      if (inflater === undefined) succeed();
      else inflater.end();
    }
    function onAborted(): void {
      fail(new BodyReadError("aborted", "client closed the connection before the body was complete"));
    }
    function onClose(): void {
      if (!req.complete) onAborted();
    }
    function onError(err: Error): void {
      fail(new BodyReadError("aborted", `request stream failed: ${err.message}`));
    }

    if (coding !== "identity") {
      inflater = coding === "gzip" ? createGunzip() : createInflate();
      inflater.on("data", addOutput);
      inflater.on("end", succeed);
      inflater.on("error", (err: Error) => {
        fail(new BodyReadError("bad_encoding", `corrupt ${coding} body: ${err.message}`));
      });
    }
    req.on("data", onData);
    req.on("end", onEnd);
    req.on("aborted", onAborted);
    req.on("error", onError);
    req.on("close", onClose);
  });
}
