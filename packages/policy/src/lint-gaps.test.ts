// Lint gaps a careless operator falls into. Each config here loaded before, and each one
// would have vended more than its author meant.
import { test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { planRequest } from "./plan.js";
import { parseConfig } from "./config.js";
import { input, okConfig, oneTemplate, problemsOf } from "./test-fixtures.js";

const errorsOf = (yaml: string) => problemsOf(yaml).filter((p) => p.severity === "error");
const show = (yaml: string) => problemsOf(yaml).map((p) => `${p.severity} ${p.path}: ${p.message}`).join("\n");

function assertError(yaml: string, path: string, ...fragments: string[]): void {
  assert.ok(errorsOf(yaml).some((p) => p.path === path && fragments.every((f) => p.message.includes(f))), `expected error at ${path} ~ ${fragments.join(" & ")}, got:\n${show(yaml)}`);
}

// Two templates under one glob; only one declares `bucket`. The rule's bucket constraint once
// applied to s3-read and silently not to s3-any, which then issued any tenant's bucket.
const UNEVEN = `
templates:
  s3-read:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/r
    params: { bucket: { max_length: 63 } }
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::{{bucket}}/{{tenant}}/*" }] }
  s3-any:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/r
    params: { name: { max_length: 63 } }
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::{{name}}/*" }] }
access:
  - name: acme-own-bucket
    tenants: [acme]
    principals: ["*"]
    templates: ["s3-*"]
    params: { bucket: [acme-data] }
`;

test("lint gap: an access-rule constraint on a parameter a matched template lacks is refused, naming rule, template and parameter", () => {
  assertError(UNEVEN, "access[0].params.bucket", "acme-own-bucket", "s3-any", "\"bucket\"");
  // A deny written the same way would refuse the template outright: a warning, not silence.
  const deny = UNEVEN.replace("  - name: acme-own-bucket", "  - { name: deny-secret, effect: deny, tenants: [\"*\"], principals: [\"*\"], templates: [\"*\"], params: { bucket: [secret] } }\n  - name: acme-own-bucket")
    .replace('templates: ["s3-*"]\n    params: { bucket: [acme-data] }', "templates: [s3-read]\n    params: { bucket: [acme-data] }");
  assert.ok(problemsOf(deny).some((p) => p.severity === "warning" && p.path === "access[0].params.bucket" && p.message.includes("s3-any")), show(deny));
});

test("lint gap: entitlement fails closed when such a rule slips past lint", () => {
  // Build the config the way a worker would have accepted it before: lint off is not possible, so
  // take the parsed value and check planRequest directly on a rule whose constraint cannot apply.
  const ok = okConfig(UNEVEN.replace('templates: ["s3-*"]', "templates: [s3-read]"));
  const config = { ...ok, access: [{ ...ok.access?.[0], templates: ["s3-*"] }] } as typeof ok;
  assert.throws(() => planRequest(config, input({ tenant: "acme", template: "s3-any", params: { name: "other-tenant-bucket" } })),
    (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_PARAM_NOT_ALLOWED" && e.field === "params.bucket");
  // The template that declares it is still served.
  assert.equal(planRequest(config, input({ tenant: "acme", template: "s3-read", params: { bucket: "acme-data" } })).template, "s3-read");
});

const PREFIX_POLICY = (resource: string, type = "s3_prefix") => oneTemplate(`    params: { prefix: { type: ${type}, max_length: 40 } }
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "${resource}" }] }`);

test("lint gap: a variable at the start of a bucket name followed by a wildcard", () => {
  // "acme" would reach every bucket whose name starts with it (acme-corp-data of tenant acme-corp).
  assertError(PREFIX_POLICY("arn:aws:s3:::{{prefix}}*"), "templates.t.policy.Statement[0].Resource", "bucket", "{{prefix}}");
  assertError(PREFIX_POLICY("arn:aws:s3:::data-{{prefix}}*"), "templates.t.policy.Statement[0].Resource", "bucket");
  assertError(PREFIX_POLICY("arn:aws:s3:::{{prefix}}*", "string"), "templates.t.policy.Statement[0].Resource", "wildcard");
  // After the bucket name and its '/', an s3_prefix followed by '*' is what the type is for.
  assert.deepEqual(errorsOf(PREFIX_POLICY("arn:aws:s3:::bucket/{{tenant}}/{{prefix}}*")), []);
  assert.deepEqual(errorsOf(PREFIX_POLICY("arn:aws:s3:::bucket/{{prefix}}*")), []);
  // In a condition on s3:prefix the value is a key prefix already: "{{prefix}}*" is fine there.
  const listing = oneTemplate(`    params: { prefix: { type: s3_prefix, max_length: 40 } }
    policy: { Statement: [{ Effect: Allow, Action: s3:ListBucket, Resource: "arn:aws:s3:::bucket", Condition: { StringLike: { "s3:prefix": "{{tenant}}/{{prefix}}*" } } }] }`);
  assert.deepEqual(errorsOf(listing), []);
});

test("lint gap: an unconstrained arn parameter used as a whole Resource", () => {
  const arn = (spec: string) => oneTemplate(`    params: { table: { type: arn${spec} } }
    policy: { Statement: [{ Effect: Allow, Action: dynamodb:GetItem, Resource: "{{table}}" }] }`);
  assertError(arn(""), "templates.t.policy.Statement[0].Resource", "{{table}}", "any account");
  assertError(arn(", service: dynamodb"), "templates.t.policy.Statement[0].Resource", "account");
  assert.deepEqual(errorsOf(arn(", service: dynamodb, account: \"123456789012\"")), []);
  assert.deepEqual(errorsOf(arn(", pattern: \"arn:aws:dynamodb:eu-west-1:123456789012:table/acme-.*\"")), []);
});

test("lint gap: on_behalf_of that matches every tenant", () => {
  const rule = (globs: string) => oneTemplate(`    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/*" }] }`)
    + `  - { tenants: [platform], principals: [backend], templates: [t], on_behalf_of: ${globs} }\n`;
  assertError(rule('["*"]'), "access[1].on_behalf_of[0]", "every tenant");
  assertError(rule('["cust-*", "?*"]'), "access[1].on_behalf_of[1]", "every tenant");
  assert.deepEqual(errorsOf(rule('["cust-*"]')), []);
});

test("lint gap: session_token / federation_token without a credential source of their own", () => {
  const st = `templates:\n  t: { kind: session_token }\naccess: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]`;
  assertError(st, "templates.t", "credential_source", "worker's own identity");
  const ft = `templates:\n  t: { kind: federation_token, policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }\naccess: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]`;
  assertError(ft, "templates.t", "credential_source");
  assert.ok(parseConfig(st.replace("kind: session_token", "kind: session_token, credential_source: { profile: vend-st }")).ok);
  // And a role template can not name one (the worker's identity is what assumes roles).
  assertError(oneTemplate("    credential_source: { profile: p }"), "templates.t.credential_source", "can not use credential_source");
});

test("lint gap: session tag keys and values starting with aws: (issue 10)", () => {
  const tags = (t: string, params = "") => oneTemplate(`${params}    policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"]\n    tags: ${t}`);
  assertError(tags('{ "aws:team": x }'), 'templates.t.tags["aws:team"]', "aws:");
  assertError(tags('{ team: "aws:x" }'), "templates.t.tags.team", "aws:");
  assertError(tags('{ team: "AWS:x" }'), "templates.t.tags.team", "aws:");
  const env = "    params: { env: { type: enum, values: [dev, \"aws:prod\"] } }\n";
  assertError(tags('{ env: "{{env}}" }', env), "templates.t.tags.env", "aws:");
  // A tenant named "aws" renders "{{tenant}}:x" to "aws:x"; a literal prefix rules it out.
  assertError(tags('{ home: "{{tenant}}:x" }'), "templates.t.tags.home", "aws:");
  assert.deepEqual(errorsOf(tags('{ home: "t-{{tenant}}:x", env: "{{env}}" }', "    params: { env: { type: enum, values: [dev, prod] } }\n")), []);
  assert.deepEqual(errorsOf(tags('{ team: "x-aws:y" }')), []);
});
