import { test } from "node:test";
import assert from "node:assert/strict";
import { formatTable } from "./table.js";

test("columns are as wide as their widest cell, two spaces apart", () => {
  assert.deepEqual(formatTable(["ID", "SERVED", "CONFIG"], [["w-1", "12", "file:1"], ["worker-22", "3", "kv:7"]]), [
    "ID         SERVED  CONFIG",
    "w-1        12      file:1",
    "worker-22  3       kv:7",
  ]);
  assert.deepEqual(formatTable(["A", "B"], []), ["A  B"]);
});
