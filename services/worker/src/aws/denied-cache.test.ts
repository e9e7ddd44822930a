import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import type { VendInput } from "@credvend/policy";
import { DeniedCache } from "./denied-cache.js";

const input = (o: Partial<VendInput> = {}): VendInput => ({ tenant: "acme", principal: "app", requestId: "req-00000001", template: "t", params: { b: "2", a: "1" }, ...o });
const denied = new CredvendError("CV_ERR_STS_ACCESS_DENIED", "STS refused the call");

test("the key is the request's content: not its request id or parameter order; a fresh MFA code or another principal is another key", () => {
  const key = DeniedCache.keyOf(input());
  assert.equal(DeniedCache.keyOf(input({ requestId: "req-00000002", params: { a: "1", b: "2" } })), key);
  assert.notEqual(DeniedCache.keyOf(input({ principal: "other" })), key);
  assert.notEqual(DeniedCache.keyOf(input({ mfa: { serialNumber: "s", tokenCode: "123456" } })), DeniedCache.keyOf(input({ mfa: { serialNumber: "s", tokenCode: "654321" } })));
  assert.ok(!key.includes("123456"));
});

test("a remembered refusal answers until its TTL, then is forgotten; the cache stays bounded", () => {
  let now = 1_000;
  const cache = new DeniedCache({ ttlMs: 500, maxEntries: 2, now: () => now });
  cache.remember("k", denied);
  assert.equal(cache.recall("k")?.reason, "CV_ERR_STS_ACCESS_DENIED");
  now += 500;
  assert.equal(cache.recall("k"), undefined);
  for (const k of ["a", "b", "c"]) cache.remember(k, denied);
  assert.equal(cache.size, 2);
  assert.equal(cache.recall("a"), undefined, "the oldest left first");
});
