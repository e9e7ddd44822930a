import { test } from "node:test";
import assert from "node:assert/strict";
import { oneTemplate, problemsOf } from "./test-fixtures.js";

const S3_READ = `    params: { bucket: { pattern: "[a-z0-9-]+", max_length: 40 } }
    policy: { Statement: [{ Effect: Allow, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::{{bucket}}/{{tenant}}/*"] }] }`;

function policy(statement: string, params = `    params: { bucket: { max_length: 40 } }`): string {
  return `${params}\n    policy: { Statement: [${statement}] }`;
}

interface Case {
  name: string;
  yaml: string;
  /** Expected error: path and a fragment of the message. Omit for a clean template. */
  error?: [path: string, fragment: string];
  warning?: [path: string, fragment: string];
  options?: { vendorUsesRoleCredentials?: boolean };
}

const cases: Case[] = [
  { name: "least-privilege template is clean", yaml: oneTemplate(S3_READ) },
  { name: "Action *", yaml: oneTemplate(policy(`{ Effect: Allow, Action: "*", Resource: "arn:aws:s3:::{{bucket}}" }`)), error: ["templates.t.policy.Statement[0].Action", "wildcard action"] },
  { name: "Action s3:*", yaml: oneTemplate(policy(`{ Effect: Allow, Action: ["s3:GetObject", "s3:*"], Resource: "arn:aws:s3:::{{bucket}}" }`)), error: ["templates.t.policy.Statement[0].Action[1]", "wildcard action \"s3:*\""] },
  { name: "s3:Get* is a warning", yaml: oneTemplate(policy(`{ Effect: Allow, Action: ["s3:Get*"], Resource: "arn:aws:s3:::{{bucket}}" }`)), warning: ["templates.t.policy.Statement[0].Action[0]", "wildcard"] },
  { name: "Resource *", yaml: oneTemplate(policy(`{ Effect: Allow, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::{{bucket}}", "*"] }`)), error: ["templates.t.policy.Statement[0].Resource[1]", "wildcard resource"] },
  { name: "Resource arn:aws:s3:::*", yaml: oneTemplate(policy(`{ Effect: Allow, Action: ["s3:GetObject"], Resource: "arn:aws:s3:::*" }`, `    params: { bucket: { max_length: 40 } }\n    tags: { b: "{{bucket}}" }`)), error: ["templates.t.policy.Statement[0].Resource", "every resource"] },
  { name: "wildcard right after a variable", yaml: oneTemplate(policy(`{ Effect: Allow, Action: ["s3:GetObject"], Resource: "arn:aws:s3:::{{bucket}}*" }`)), error: ["templates.t.policy.Statement[0].Resource", "right after a variable"] },
  { name: "allow_wildcards permits them", yaml: oneTemplate(`    allow_wildcards: true\n${policy(`{ Effect: Allow, Action: "s3:*", Resource: ["arn:aws:s3:::{{bucket}}", "*"] }`)}`) },
  { name: "Deny with * is fine", yaml: oneTemplate(policy(`{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::{{bucket}}/*" }, { Effect: Deny, Action: "*", Resource: "*" }`)) },
  { name: "Allow + NotAction", yaml: oneTemplate(policy(`{ Effect: Allow, NotAction: "iam:*", Resource: "arn:aws:s3:::{{bucket}}" }`)), error: ["templates.t.policy.Statement[0].NotAction", "Allow with NotAction"] },
  { name: "Allow + NotResource", yaml: oneTemplate(policy(`{ Effect: Allow, Action: "s3:GetObject", NotResource: "arn:aws:s3:::{{bucket}}" }`)), error: ["templates.t.policy.Statement[0].NotResource", "Allow with NotResource"] },
  { name: "Principal is not a session-policy key", yaml: oneTemplate(policy(`{ Effect: Allow, Principal: "*", Action: "s3:GetObject", Resource: "arn:aws:s3:::{{bucket}}" }`)), error: ["templates.t.policy.Statement[0].Principal", "unknown key \"Principal\""] },
  { name: "unknown variable", yaml: oneTemplate(policy(`{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::{{bucket}}/{{tenantt}}/x" }`)), error: ["templates.t.policy.Statement[0].Resource", "unknown variable {{tenantt}}"] },
  { name: "malformed placeholder", yaml: oneTemplate(policy(`{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::{{bucket}}/{{ten ant}}/x" }`)), error: ["templates.t.policy.Statement[0].Resource", "malformed placeholder"] },
  { name: "IAM variables pass", yaml: oneTemplate(policy(`{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::{{bucket}}/\${aws:username}/x" }`)) },
  { name: "unused parameter", yaml: oneTemplate(`${S3_READ}\n    params: { bucket: { max_length: 40 }, unused: { max_length: 4 } }`.replace(/    params: \{ bucket: \{ pattern[^\n]*\n/, "")), warning: ["templates.t.params.unused", "never used"] },
  { name: "worst-case size over 2048", yaml: oneTemplate(policy(`{ Effect: Allow, Action: "s3:GetObject", Resource: ["arn:aws:s3:::{{bucket}}/a", "arn:aws:s3:::{{bucket}}/b", "arn:aws:s3:::{{bucket}}/c"] }`, `    params: { bucket: { max_length: 700 } }`)), error: ["templates.t.policy", "worst-case rendered policy"] },
  { name: "default string max_length counts", yaml: oneTemplate(policy(Array.from({ length: 16 }, (_, i) => `{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::{{bucket}}/${i}" }`).join(", "), `    params: { bucket: {} }`)), error: ["templates.t.policy", "max_length"] },
  { name: "more than 10 policy ARNs", yaml: oneTemplate(`${S3_READ}\n    policy_arns: [${Array.from({ length: 11 }, (_, i) => `"arn:aws:iam::aws:policy/P${i}"`).join(", ")}]`), error: ["templates.t.policy_arns", "at most 10"] },
  { name: "malformed policy ARN", yaml: oneTemplate(`${S3_READ}\n    policy_arns: ["arn:aws:iam::aws:role/x"]`), error: ["templates.t.policy_arns[0]", "managed policy ARN"] },
  { name: "too many tags", yaml: oneTemplate(`${S3_READ}\n    tags: { ${Array.from({ length: 48 }, (_, i) => `k${i}: v`).join(", ")} }`), error: ["templates.t.tags", "STS allows 50"] },
  { name: "tag key with aws: prefix", yaml: oneTemplate(`${S3_READ}\n    tags: { "aws:foo": x }`), error: ['templates.t.tags["aws:foo"]', "reserved by AWS"] },
  { name: "tag keys differing in case", yaml: oneTemplate(`${S3_READ}\n    tags: { Env: a, env: b }`), error: ["templates.t.tags.env", "case-insensitive"] },
  { name: "tag key with bad characters", yaml: oneTemplate(`${S3_READ}\n    tags: { "a*b": x }`), error: ['templates.t.tags["a*b"]', "tag key"] },
  { name: "tag value with bad characters", yaml: oneTemplate(`${S3_READ}\n    tags: { a: "x;y" }`), error: ["templates.t.tags.a", "tag value"] },
  { name: "tag value too long at worst case", yaml: oneTemplate(`${S3_READ}\n    params: { bucket: { max_length: 40 }, long: { max_length: 300 } }\n    tags: { a: "{{long}}", b: "{{bucket}}" }`.replace(/    params: \{ bucket: \{ pattern[^\n]*\n/, "")), error: ["templates.t.tags.a", "STS allows 256"] },
  { name: "credvend- tags are reserved", yaml: oneTemplate(`${S3_READ}\n    tags: { credvend-tenant: x }`), error: ["templates.t.tags.credvend-tenant", "set by credvend"] },
  { name: "transitive key must be a tag", yaml: oneTemplate(`${S3_READ}\n    tags: { team: x }\n    transitive_tag_keys: [team, credvend-tenant, nope]`), error: ["templates.t.transitive_tag_keys[2]", "not a session tag"] },
  { name: "duration below STS minimum", yaml: oneTemplate(`${S3_READ}\n    duration: { default: 600 }`), error: ["templates.t.duration.default", "900-43200"] },
  { name: "assume_role over 12 h", yaml: oneTemplate(`${S3_READ}\n    duration: { max: 50000 }`), error: ["templates.t.duration.max", "900-43200"] },
  { name: "default above max", yaml: oneTemplate(`${S3_READ}\n    duration: { default: 3600, max: 1800 }`), error: ["templates.t.duration.default", "above max"] },
  { name: "role chaining caps at 1 h", yaml: oneTemplate(`${S3_READ}\n    duration: { max: 7200 }`), options: { vendorUsesRoleCredentials: true }, error: ["templates.t.duration.max", "role chaining"] },
  { name: "malformed role ARN", yaml: oneTemplate(S3_READ).replace("arn:aws:iam::123456789012:role/r", "arn:aws:iam::12345:role/r"), error: ["templates.t.role_arn", "not a role ARN"] },
  { name: "role ARN with variables", yaml: oneTemplate(S3_READ).replace("arn:aws:iam::123456789012:role/r", "arn:aws:iam::123456789012:role/{{tenant}}"), error: ["templates.t.role_arn", "can not use variables"] },
  { name: "bad default value", yaml: oneTemplate(`${S3_READ}\n    params: { bucket: { pattern: "[a-z]+", default: "ABC" } }`.replace(/    params: \{ bucket: \{ pattern: "\[a-z0-9-\][^\n]*\n/, "")), error: ["templates.t.params.bucket.default", "does not match the pattern"] },
  { name: "param named like a built-in", yaml: oneTemplate(`${S3_READ}\n    params: { bucket: { max_length: 40 }, tenant: { max_length: 4 } }`.replace(/    params: \{ bucket: \{ pattern[^\n]*\n/, "")), error: ["templates.t.params.tenant", "built-in"] },
  { name: "optional param needs a default", yaml: oneTemplate(`${S3_READ}\n    params: { bucket: { max_length: 40, required: false } }`.replace(/    params: \{ bucket: \{ pattern[^\n]*\n/, "")), error: ["templates.t.params.bucket", "needs a default"] },
  { name: "tags on web_identity", yaml: oneTemplate(S3_READ).replace("kind: assume_role", "kind: web_identity").replace(S3_READ, `${S3_READ}\n    tags: { a: b }`), error: ["templates.t.tags", "web_identity templates can not use tags"] },
  { name: "session_token with policy", yaml: oneTemplate(S3_READ).replace("kind: assume_role\n    role_arn: arn:aws:iam::123456789012:role/r", "kind: session_token\n    credential_source: { profile: p }"), error: ["templates.t.policy", "session_token templates can not use policy"] },
  { name: "session_token allows 36 h", yaml: `templates:\n  t: { kind: session_token, credential_source: { profile: p }, duration: { max: 129600 } }\naccess: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]` },
  { name: "federation_token without policy", yaml: `templates:\n  t: { kind: federation_token, credential_source: { profile: p } }\naccess: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]`, error: ["templates.t", "no permissions"] },
  { name: "session_token without its own credential source", yaml: `templates:\n  t: { kind: session_token }\naccess: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]`, error: ["templates.t", "credential_source"] },
  { name: "federation_token without its own credential source", yaml: `templates:\n  t: { kind: federation_token, policy_arns: ["arn:aws:iam::aws:policy/ReadOnlyAccess"] }\naccess: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]`, error: ["templates.t", "worker's own identity"] },
  { name: "session_token with its own credential source on role credentials", yaml: `templates:\n  t: { kind: session_token, credential_source: { profile: vend-user } }\naccess: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]`, options: { vendorUsesRoleCredentials: true } },
  { name: "assume_role without role_arn", yaml: oneTemplate(S3_READ).replace("    role_arn: arn:aws:iam::123456789012:role/r\n", ""), error: ["templates.t", "need role_arn"] },
  { name: "non-Latin-1 policy text", yaml: oneTemplate(policy(`{ Sid: "Ünïcødé→", Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::{{bucket}}/x" }`)), error: ["templates.t.policy.Statement[0].Sid", "characters STS refuses"] },
  { name: "variable in a policy key", yaml: oneTemplate(policy(`{ Effect: Allow, Action: "s3:GetObject", Resource: "arn:aws:s3:::{{bucket}}/x", Condition: { StringEquals: { "{{bucket}}": "x" } } }`)), error: ['templates.t.policy.Statement[0].Condition.StringEquals["{{bucket}}"]', "never in keys"] },
  { name: "external id with bad characters", yaml: oneTemplate(`${S3_READ}\n    external_id: "ext id;{{tenant}}"`), error: ["templates.t.external_id", "external id"] },
  { name: "reuse with request_id", yaml: oneTemplate(`${S3_READ}\n    tags: { r: "{{request_id}}" }\n    reuse: { min_remaining_seconds: 300 }`), error: ["templates.t.reuse", "request_id"] },
];

for (const c of cases) {
  test(`lint: ${c.name}`, () => {
    const problems = problemsOf(c.yaml, c.options);
    const errors = problems.filter((p) => p.severity === "error");
    const show = () => problems.map((p) => `${p.severity} ${p.path}: ${p.message}`).join("\n");
    if (c.error === undefined) {
      assert.deepEqual(errors, [], show());
    } else {
      const [path, fragment] = c.error;
      assert.ok(errors.some((p) => p.path === path && p.message.includes(fragment)), `expected error at ${path} ~ ${fragment}, got:\n${show()}`);
    }
    if (c.warning !== undefined) {
      const [path, fragment] = c.warning;
      assert.ok(problems.some((p) => p.severity === "warning" && p.path === path && p.message.includes(fragment)), `expected warning at ${path} ~ ${fragment}, got:\n${show()}`);
    }
  });
}

test("lint: problems name their template", () => {
  const problems = problemsOf(oneTemplate(policy(`{ Effect: Allow, Action: "*", Resource: "arn:aws:s3:::{{bucket}}" }`)));
  assert.ok(problems.every((p) => !p.path.startsWith("templates.") || p.template === "t"));
});
