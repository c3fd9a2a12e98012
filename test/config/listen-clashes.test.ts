import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { listenClashes } from "../../src/config/listen-clashes.ts";

const at = (path: string, endpoint: string) => ({ path, endpoint });

describe("listenClashes", () => {
  it("names the later of two servers on one host and port, with the earlier one", () => {
    assert.deepStrictEqual(listenClashes([at("a", "127.0.0.1:9000"), at("b", "127.0.0.1:9000")]), [
      { path: "b", message: "127.0.0.1:9000 is also the endpoint of a (127.0.0.1:9000): two servers cannot bind one port" },
    ]);
  });

  it("treats a wildcard host as every address, IPv4 and IPv6 alike", () => {
    assert.equal(listenClashes([at("a", "0.0.0.0:9000"), at("b", "localhost:9000")]).length, 1);
    assert.equal(listenClashes([at("a", "[::1]:9000"), at("b", "[::]:9000")]).length, 1);
    assert.equal(listenClashes([at("a", ":9000"), at("b", "10.0.0.1:9000")]).length, 1);
  });

  it("lets different hosts, different ports and port 0 coexist", () => {
    assert.deepStrictEqual(listenClashes([at("a", "127.0.0.1:9000"), at("b", "127.0.0.2:9000"), at("c", "127.0.0.1:9001"), at("d", "127.0.0.1:0"), at("e", "127.0.0.1:0")]), []);
  });
});
