import { test } from "node:test";
import assert from "node:assert/strict";
import { Coalescer } from "./coalescer.js";

const caller = { tenant: "t", principal: "p" };

test("duplicates of a held request wait for it; its settlement hands them over once", () => {
  const c = new Coalescer<string>(10);
  const peeked = { requestId: "req-00001", fingerprint: "fp" };
  assert.equal(c.join(caller, peeked, "first"), "lead");
  assert.equal(c.join(caller, peeked, "dup1"), "wait");
  assert.equal(c.join(caller, peeked, "dup2"), "wait");
  assert.equal(c.join({ tenant: "t", principal: "other" }, peeked, "x"), "lead", "another principal's id is another request");
  assert.equal(c.waiting, 2);
  assert.deepEqual(c.settle(caller, "req-00001"), ["dup1", "dup2"]);
  assert.deepEqual(c.settle(caller, "req-00001"), []);
  assert.equal(c.waiting, 0);
  assert.equal(c.join(caller, peeked, "later"), "lead", "after settlement a copy leads again");
});

test("same id with other content does not wait, and waiting is capped per principal", () => {
  const c = new Coalescer<string>(1);
  c.join(caller, { requestId: "req-00001", fingerprint: "fp" }, "first");
  assert.equal(c.join(caller, { requestId: "req-00001", fingerprint: "other" }, "x"), "full");
  assert.equal(c.join(caller, { requestId: "req-00001", fingerprint: "fp" }, "dup"), "wait");
  assert.equal(c.join(caller, { requestId: "req-00001", fingerprint: "fp" }, "dup2"), "full");
});
