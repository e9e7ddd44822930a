import { test } from "node:test";
import assert from "node:assert/strict";
import { closest, didYouMean, editDistance, nearby } from "./suggest.js";

test("edit distance counts insertions, deletions and substitutions, ignoring case", () => {
  assert.equal(editDistance("status", "status"), 0);
  assert.equal(editDistance("statsu", "status"), 2);
  assert.equal(editDistance("stats", "status"), 1);
  assert.equal(editDistance("Request", "request"), 0);
  assert.equal(editDistance("", "abc"), 3);
});

test("closest suggests only a candidate near enough to be the evident intent", () => {
  const commands = ["dev", "worker", "request", "status", "templates", "config"];
  assert.equal(closest("reqest", commands), "request");
  assert.equal(closest("statsu", commands), "status");
  assert.equal(closest("tempaltes", commands), "templates");
  assert.equal(closest("frobnicate", commands), undefined);
  // Short words allow one edit only: "x" is not a typo of "dev".
  assert.equal(closest("x", commands), undefined);
  assert.equal(closest("de", commands), "dev");
  assert.equal(closest("request", commands), undefined, "an exact name needs no suggestion");
  assert.equal(closest("a".repeat(500), ["a".repeat(499)]), undefined, "long input is not compared");
});

test("didYouMean quotes the suggestion, or says nothing", () => {
  assert.equal(didYouMean("s3-tenant-reed", ["s3-tenant-read"]), '; did you mean "s3-tenant-read"?');
  assert.equal(didYouMean("zzz", ["s3-tenant-read"]), "");
});

test("nearby lists every close candidate, nearest first", () => {
  assert.deepEqual(nearby("s3-read", ["s3-reader", "s3-read2", "ec2-admin", "s3-reed"]), ["s3-read2", "s3-reed", "s3-reader"]);
  assert.deepEqual(nearby("", ["a"]), []);
});
