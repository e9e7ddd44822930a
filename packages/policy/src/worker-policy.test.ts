import { test } from "node:test";
import assert from "node:assert/strict";
import { credentialSourcePolicyFor, credentialSources, workerPolicyFor } from "./worker-policy.js";
import { requesterPolicyFor } from "./requester-policy.js";
import { okConfig } from "./test-fixtures.js";

const KEY = "arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";

// Every kind, two templates on one role, one role without source identity.
const CONFIG = okConfig(`
templates:
  read:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/app
  read-again:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/app
    duration: { default: 1800 }
  quiet:
    kind: assume_role
    role_arn: arn:aws:iam::210987654321:role/other-account
    source_identity: false
  web: { kind: web_identity, role_arn: "arn:aws:iam::123456789012:role/web", web_identity: { issuers: ["https://idp.example.com"], audiences: [web-app] } }
  sa: { kind: saml, role_arn: "arn:aws:iam::123456789012:role/saml", saml_provider_arn: "arn:aws:iam::123456789012:saml-provider/corp" }
  st: { kind: session_token, credential_source: { profile: vend-st } }
  ft:
    kind: federation_token
    credential_source: { profile: vend-ft }
    policy: { Statement: { Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/x" } }
  ft-fixed:
    kind: federation_token
    credential_source: { profile: vend-ft }
    federation_name: reporting
    policy: { Statement: { Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/x" } }
access: [{ tenants: [acme], principals: ["*"], templates: ["*"] }]
`);

test("worker policy: exactly the assume_role roles, source identity only where sent, and the reply key", () => {
  assert.deepEqual(workerPolicyFor(CONFIG, { replyKeyArn: KEY }), {
    Version: "2012-10-17",
    Statement: [
      { Sid: "SealRepliesWithTheReplyKey", Effect: "Allow", Action: ["kms:DescribeKey", "kms:GenerateDataKey"], Resource: [KEY] },
      {
        Sid: "AssumeTemplateRoles", Effect: "Allow", Action: ["sts:AssumeRole", "sts:TagSession"],
        Resource: ["arn:aws:iam::123456789012:role/app", "arn:aws:iam::210987654321:role/other-account"],
      },
      { Sid: "SetSourceIdentityOnTemplateRoles", Effect: "Allow", Action: ["sts:SetSourceIdentity"], Resource: ["arn:aws:iam::123456789012:role/app"] },
    ],
  });
});

test("worker policy: the web identity, SAML and profile-signed roles are not in it", () => {
  const text = JSON.stringify(workerPolicyFor(CONFIG, { replyKeyArn: KEY }));
  for (const absent of ["role/web", "role/saml", "GetFederationToken", "GetSessionToken", "AssumeRoleWith", "kms:Decrypt", "\"iam:", "*"]) {
    assert.ok(!text.includes(absent), `${absent} in ${text}`);
  }
});

test("worker policy: a config of only federated templates needs only the reply key", () => {
  const config = okConfig(`
templates:
  web: { kind: web_identity, role_arn: "arn:aws:iam::123456789012:role/web", web_identity: { issuers: ["https://idp.example.com"], audiences: [a] } }
access: [{ tenants: [acme], principals: ["*"], templates: ["*"] }]
`);
  assert.deepEqual(workerPolicyFor(config, { replyKeyArn: KEY }).Statement.map((s) => s.Sid), ["SealRepliesWithTheReplyKey"]);
});

test("worker policy: the reply key must be a key ARN", () => {
  for (const bad of ["alias/credvend-replies", "arn:aws:kms:eu-west-1:123456789012:alias/credvend-replies", "1234abcd-12ab-34cd-56ef-1234567890ab", `${KEY}*`]) {
    assert.throws(() => workerPolicyFor(CONFIG, { replyKeyArn: bad }), /is not a KMS key ARN/, bad);
  }
});

test("credential sources: federation tokens need GetFederationToken and TagSession; session tokens need nothing", () => {
  assert.deepEqual([...credentialSources(CONFIG)], [["vend-st", ["st"]], ["vend-ft", ["ft", "ft-fixed"]]]);
  assert.equal(credentialSourcePolicyFor(CONFIG, "vend-st"), undefined);
  assert.deepEqual(credentialSourcePolicyFor(CONFIG, "vend-ft", { partition: "aws" }), {
    Version: "2012-10-17",
    Statement: [{
      Sid: "GetFederationTokens", Effect: "Allow", Action: ["sts:GetFederationToken", "sts:TagSession"],
      Resource: ["arn:aws:sts::*:federated-user/*", "arn:aws:sts::*:federated-user/reporting"],
    }],
  });
  assert.throws(() => credentialSourcePolicyFor(CONFIG, "nope"), /no template names credential_source profile "nope"/);
});

test("requester policy: Decrypt on the reply key only under its own encryption context", () => {
  const context = { "credvend:tenant": "acme", "credvend:principal": "${aws:username}" };
  assert.deepEqual(requesterPolicyFor({ replyKeyArn: KEY, encryptionContext: context }), {
    Version: "2012-10-17",
    Statement: [{
      Sid: "OpenOwnCredvendReplies", Effect: "Allow", Action: ["kms:Decrypt"], Resource: [KEY],
      Condition: { StringEquals: { "kms:EncryptionContext:credvend:tenant": "acme", "kms:EncryptionContext:credvend:principal": "${aws:username}" } },
    }],
  });
  // A value that could widen the grant (a wildcard, another operator's syntax) is refused.
  for (const bad of ["*", "acme*", "", "${aws:username", "Acme"]) {
    assert.throws(() => requesterPolicyFor({ replyKeyArn: KEY, encryptionContext: { ...context, "credvend:tenant": bad } }), /neither a name/, bad);
  }
  assert.throws(() => requesterPolicyFor({ replyKeyArn: KEY, encryptionContext: {} }), /empty/);
});
