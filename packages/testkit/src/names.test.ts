import assert from "node:assert/strict";
import { test } from "node:test";
import { NAME_PATTERN, REQUEST_ID_PATTERN } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "./names.js";

test("uniqueName returns valid, distinct names for any prefix", () => {
  const prefixes = ["t", "tenant", "Acme Corp!", "--x", "", "_", "a".repeat(200), "ünïcode", "UPPER_case-1"];
  const seen = new Set<string>();
  for (const prefix of prefixes) {
    for (let i = 0; i < 200; i += 1) {
      const name = uniqueName(prefix);
      assert.match(name, NAME_PATTERN, `prefix ${JSON.stringify(prefix)} gave ${name}`);
      assert.ok(!seen.has(name), `duplicate ${name}`);
      seen.add(name);
    }
  }
  assert.ok(uniqueName("acme").startsWith("acme-"));
});

test("uniqueRequestId matches REQUEST_ID_PATTERN and does not repeat", () => {
  const ids = new Set(Array.from({ length: 1000 }, () => uniqueRequestId()));
  assert.equal(ids.size, 1000);
  for (const id of ids) assert.match(id, REQUEST_ID_PATTERN);
});
