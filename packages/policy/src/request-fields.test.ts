// The request's own bounds have one home (limits.ts) and one check (checkRequestFields), which the
// worker's validate stage and planRequest both run: a dry run refuses exactly what a worker does.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { checkRequestFields, type VendInput } from "./plan-inputs.js";
import { planRequest } from "./plan.js";
import { MAX_PARAM_NAME_CHARS, MAX_PARAM_VALUE_CHARS, MAX_REQUEST_PARAMS, MAX_TEMPLATE_NAME_CHARS, REQUEST_DURATION_RANGE } from "./limits.js";
import { DEMO, input, okConfig } from "./test-fixtures.js";

const config = okConfig(DEMO);
const ok = (o: Partial<VendInput>): VendInput => input({ template: "s3-tenant-read", params: { bucket: "acme-data" }, ...o });
const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`p${i}`, "x"]));

const refused: [string, Partial<VendInput>, string, string][] = [
  ["no request id", { requestId: "" }, "CV_ERR_REQUEST_FIELD", "request_id"],
  ["short request id", { requestId: "abc" }, "CV_ERR_REQUEST_FIELD", "request_id"],
  ["no template", { template: "" }, "CV_ERR_REQUEST_FIELD", "template"],
  ["template too long", { template: "t".repeat(MAX_TEMPLATE_NAME_CHARS + 1) }, "CV_ERR_REQUEST_FIELD", "template"],
  ["too many params", { params: many(MAX_REQUEST_PARAMS + 1) }, "CV_ERR_REQUEST_FIELD", "params"],
  ["param name too long", { params: { ["n".repeat(MAX_PARAM_NAME_CHARS + 1)]: "x" } }, "CV_ERR_REQUEST_FIELD", "params"],
  ["param value too long", { params: { bucket: "b".repeat(MAX_PARAM_VALUE_CHARS + 1) } }, "CV_ERR_REQUEST_FIELD", "params.bucket"],
  ["duration below STS", { durationSeconds: REQUEST_DURATION_RANGE.min - 1 }, "CV_ERR_DURATION_INVALID", "duration_seconds"],
  ["duration above STS", { durationSeconds: REQUEST_DURATION_RANGE.max + 1 }, "CV_ERR_DURATION_INVALID", "duration_seconds"],
  ["fractional duration", { durationSeconds: 1000.5 }, "CV_ERR_DURATION_INVALID", "duration_seconds"],
  ["on_behalf_of not a tenant name", { onBehalfOf: "Cust A" }, "CV_ERR_REQUEST_FIELD", "on_behalf_of"],
];

for (const [name, o, reason, field] of refused) {
  test(`request fields: ${name} is refused alike by the validate check and by planRequest`, () => {
    const is = (e: unknown) => e instanceof CredvendError && e.reason === reason && e.field === field;
    assert.throws(() => checkRequestFields(ok(o)), is);
    assert.throws(() => planRequest(config, ok(o)), is);
  });
}

test("request fields: the bounds themselves pass", () => {
  for (const o of [{}, { durationSeconds: 0 }, { durationSeconds: REQUEST_DURATION_RANGE.max }, { params: many(MAX_REQUEST_PARAMS) }, { onBehalfOf: "" }, { template: "t".repeat(MAX_TEMPLATE_NAME_CHARS) }]) {
    assert.doesNotThrow(() => checkRequestFields(ok(o)), JSON.stringify(o).slice(0, 80));
  }
  assert.deepEqual(REQUEST_DURATION_RANGE, { min: 900, max: 129_600 });
});
