// Hostile parameter values: every one is refused before rendering, for every parameter type.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { planRequest } from "./plan.js";
import type { AssumeRolePlan } from "./plan-types.js";
import { input, okConfig } from "./test-fixtures.js";
import { HOSTILE, INJECTION_CONFIG } from "./testing/injection-cases.js";

const config = okConfig(INJECTION_CONFIG);
const GOOD = { name: "report", prefix: "in/2026/", table: "arn:aws:dynamodb:eu-west-1:123456789012:table/orders", level: "read", port: "443" };

const TYPES: Record<string, string[]> = {
  name: [...HOSTILE, "a/b", "a:b"],
  prefix: [...HOSTILE, "/abs", "a//b", "./x", "a/./b", "a:b"],
  table: [...HOSTILE, "arn:aws:dynamodb:eu-west-1:123456789012:table/*", "arn:aws:dynamodb:eu-west-1:123456789012:*", "arn:aws:s3:::bucket", "arn:aws:dynamodb:eu-west-1:999999999999:table/x", "arn:aws:dynamodb:eu-west-1:123456789012:table/a,b", "arn:aws:dynamodb:eu-west-1:123456789012:table/a b"],
  level: [...HOSTILE, "READ", "read ", "admin"],
  port: [...HOSTILE, "0", "65536", "-1", "1e3", "0x1f", "01", "4.5", "+1", "99999999999999999999"],
};

for (const [param, values] of Object.entries(TYPES)) {
  test(`injection: ${values.length} hostile values for parameter ${param} are refused`, () => {
    for (const value of values) {
      assert.throws(
        () => planRequest(config, input({ template: "t", params: { ...GOOD, [param]: value } })),
        (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_PARAM_INVALID" && e.field === `params.${param}` && !/[\u0000-\u001f\u007f-\uffff]/.test(e.message),
        `value ${JSON.stringify(value)} for ${param} was not refused as PARAM_INVALID with a clean message`,
      );
    }
  });
}

test("injection: good values render exactly where the placeholders are", () => {
  const p = planRequest(config, input({ template: "t", params: GOOD })) as AssumeRolePlan;
  const doc = JSON.parse(p.policy ?? "");
  assert.equal(p.policy, JSON.stringify(doc), "minified");
  assert.deepEqual(doc.Statement[0].Resource, ["arn:aws:s3:::bucket/acme/report/in/2026/*"]);
  assert.deepEqual(doc.Statement[0].Condition, { StringEquals: { "aws:ResourceTag/level": "read", "aws:ResourceTag/port": "443" } });
  assert.deepEqual(doc.Statement[1].Resource, [GOOD.table]);
  assert.equal(doc.Statement.length, 2);
});

test("injection: a parameter named like an object key can not reach Object.prototype", () => {
  for (const name of ["__proto__", "constructor", "toString", "hasOwnProperty"]) {
    const params = JSON.parse(`{${JSON.stringify(name)}: "x", "name": "a", "prefix": "b", "table": ${JSON.stringify(GOOD.table)}, "level": "read", "port": "1"}`) as Record<string, string>;
    assert.throws(() => planRequest(config, input({ template: "t", params })), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_PARAM_UNKNOWN");
  }
});

test("injection: IAM policy variables in templates pass through untouched", () => {
  const c = okConfig(`
templates:
  t:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/r
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/\${aws:username}/\${aws:PrincipalTag/team}/*" }] }
access: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]
`);
  const p = planRequest(c, input({ template: "t" })) as AssumeRolePlan;
  assert.equal(JSON.parse(p.policy ?? "").Statement[0].Resource, "arn:aws:s3:::b/acme/${aws:username}/${aws:PrincipalTag/team}/*");
});
