import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ServerAuth } from "../../src/net/server-auth.ts";

const basicHeader = (user: string, password: string): string => `Basic ${Buffer.from(`${user}:${password}`, "utf8").toString("base64")}`;

describe("ServerAuth", () => {
  describe("check (bearer)", () => {
    const auth = new ServerAuth({ bearer_token: "s3cret" });
    it("accepts the token with any scheme case and surrounding spaces", () => {
      for (const h of ["Bearer s3cret", "bearer s3cret", "BEARER   s3cret  "]) assert.equal(auth.check(h), true, h);
    });
    it("refuses a missing, wrong, empty or basic-scheme credential", () => {
      for (const h of [undefined, "", "Bearer", "Bearer ", "Bearer s3cre", "Bearer s3crett", "Basic s3cret", "s3cret"]) assert.equal(auth.check(h), false, String(h));
    });
    it("challenges with the Bearer scheme", () => assert.equal(auth.challenge, 'Bearer realm="statset"'));
  });

  describe("check (basic)", () => {
    const auth = new ServerAuth({ basic: { username: "prom", password: "pa:ss wörd" } });
    it("accepts the RFC 7617 encoding of username:password, password colons included", () => {
      assert.equal(auth.check(basicHeader("prom", "pa:ss wörd")), true);
      assert.equal(auth.check(basicHeader("prom", "pa:ss wörd").replace("Basic", "basic")), true);
    });
    it("refuses a wrong user, a wrong password, garbage and the bearer scheme", () => {
      for (const h of [basicHeader("Prom", "pa:ss wörd"), basicHeader("prom", "pa:ss"), "Basic !!!", "Basic ", `Bearer ${Buffer.from("prom:pa:ss wörd").toString("base64")}`, undefined]) {
        assert.equal(auth.check(h), false, String(h));
      }
    });
    it("challenges with the Basic scheme and UTF-8", () => assert.equal(auth.challenge, 'Basic realm="statset", charset="UTF-8"'));
  });

  it("is absent without config", () => assert.equal(ServerAuth.of(undefined), undefined));
});
