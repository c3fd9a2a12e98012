import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { createServer, request } from "node:http";
import type { IncomingMessage } from "node:http";
import { BodyBufferPool } from "../../../src/receivers/otlp/body-pool.ts";
import { readBody } from "../../../src/receivers/otlp/read-body.ts";

describe("BodyBufferPool", () => {
  describe("acquire", () => {
    it("hands a released buffer out again when it is large enough, else a new one", () => {
      const pool = new BodyBufferPool(1 << 20, 1 << 22);
      const a = pool.acquire(100_000);
      assert.ok(a !== undefined && a.length >= 100_000);
      pool.release(a.subarray(0, 100_000));
      assert.equal(pool.pooledBytes, a.length);
      assert.equal(pool.acquire(90_000), a, "a view of the buffer released it");
      assert.equal(pool.pooledBytes, 0);
      pool.release(a);
      const bigger = pool.acquire(a.length + 1);
      assert.ok(bigger !== undefined && bigger !== a && bigger.length > a.length);
    });

    it("refuses sizes above maxBufferBytes", () => {
      const pool = new BodyBufferPool(1000, 10_000);
      assert.equal(pool.acquire(1001), undefined);
      assert.ok((pool.acquire(1000)?.length ?? 0) >= 1000);
    });
  });

  describe("release", () => {
    it("ignores foreign buffers and double releases, and keeps at most maxPooledBytes", () => {
      const pool = new BodyBufferPool(1 << 20, 200_000);
      pool.release(Buffer.alloc(10));
      assert.equal(pool.pooledBytes, 0);
      const a = pool.acquire(100_000) as Buffer;
      const b = pool.acquire(100_000) as Buffer;
      pool.release(a);
      pool.release(a);
      assert.equal(pool.pooledBytes, a.length);
      pool.release(b);
      assert.equal(pool.pooledBytes, a.length, "over the bound: left to the GC");
    });

    it("rejects invalid bounds at construction", () => {
      assert.throws(() => new BodyBufferPool(0), /maxBufferBytes/);
      assert.throws(() => new BodyBufferPool(10, -1), /maxPooledBytes/);
    });
  });
});

describe("readBody", () => {
  describe("with a pool", () => {
    it("assembles each request's body in a pooled buffer, reused by the next request without stale bytes", async () => {
      const pool = new BodyBufferPool();
      const bodies: Buffer[] = [];
      const memories: ArrayBufferLike[] = [];
      const server = createServer((req: IncomingMessage, res) => {
        readBody(req, "identity", 1 << 20, pool).then(
          (body) => {
            bodies.push(Buffer.from(body));
            memories.push(body.buffer);
            pool.release(body);
            res.end("ok");
          },
          (err: Error) => {
            res.statusCode = 500;
            res.end(err.message);
          },
        );
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as { port: number }).port;
      const post = (body: Buffer): Promise<number> =>
        new Promise((resolve, reject) => {
          const req = request({ host: "127.0.0.1", port, method: "POST", headers: { "content-length": body.length } }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
          });
          req.on("error", reject);
          // Several writes, so the body arrives in several chunks.
          for (let at = 0; at < body.length; at += 20_000) req.write(body.subarray(at, at + 20_000));
          req.end();
        });
      try {
        const first = Buffer.alloc(150_000, 7);
        const second = Buffer.alloc(120_000, 9);
        second[0] = 1;
        assert.equal(await post(first), 200);
        assert.equal(await post(second), 200);
        assert.deepEqual(bodies[0], first);
        assert.deepEqual(bodies[1], second, "exactly the second body, nothing of the first left over");
        assert.equal(memories[0], memories[1], "the second request reused the first one's buffer");
      } finally {
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    });
  });
});
