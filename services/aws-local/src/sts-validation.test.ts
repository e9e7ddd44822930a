import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import {
  AssumeRoleCommand,
  GetFederationTokenCommand,
  GetSessionTokenCommand,
  type AssumeRoleCommandInput,
} from "@aws-sdk/client-sts";
import { sdkError, startQuiet, stsClient } from "./testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const DEMO = "arn:aws:iam::000000000000:role/credvend-demo";
const base: AssumeRoleCommandInput = { RoleArn: DEMO, RoleSessionName: "valid-session" };
const tags = (n: number) => Array.from({ length: n }, (_, i) => ({ Key: `k${i}`, Value: `v${i}` }));
const policyOf = (size: number) => {
  const doc = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "s3:GetObject", Resource: "arn:aws:s3:::b/" }] };
  const text = JSON.stringify(doc);
  return text.replace('"arn:aws:s3:::b/"', `"arn:aws:s3:::b/${"x".repeat(Math.max(0, size - text.length))}"`);
};

// [case, input overrides, expected code, message fragment]
const assumeRoleCases: [string, Partial<AssumeRoleCommandInput>, string, RegExp][] = [
  ["session name too short", { RoleSessionName: "a" }, "ValidationError", /at 'roleSessionName' failed to satisfy constraint: Member must have length greater than or equal to 2/],
  ["session name too long", { RoleSessionName: "a".repeat(65) }, "ValidationError", /roleSessionName.*less than or equal to 64/],
  ["session name bad characters", { RoleSessionName: "bad name!" }, "ValidationError", /Value 'bad name!' at 'roleSessionName'.*regular expression pattern/],
  ["duration below 900", { DurationSeconds: 899 }, "ValidationError", /durationSeconds.*greater than or equal to 900/],
  ["duration above 43200", { DurationSeconds: 43201 }, "ValidationError", /durationSeconds.*less than or equal to 43200/],
  ["external id too short", { ExternalId: "x" }, "ValidationError", /externalId.*greater than or equal to 2/],
  ["external id too long", { ExternalId: "x".repeat(1225) }, "ValidationError", /externalId.*less than or equal to 1224/],
  ["source identity too short", { SourceIdentity: "a" }, "ValidationError", /sourceIdentity/],
  ["source identity with aws: prefix", { SourceIdentity: "aws:me" }, "ValidationError", /sourceIdentity.*regular expression/],
  ["serial number too short", { SerialNumber: "ABC", TokenCode: "123456" }, "ValidationError", /serialNumber.*greater than or equal to 9/],
  ["token code not 6 digits", { SerialNumber: "GAHT12345678", TokenCode: "12345a" }, "ValidationError", /tokenCode/],
  ["51 tags", { Tags: tags(51) }, "ValidationError", /'tags'.*less than or equal to 50/],
  ["tag key too long", { Tags: [{ Key: "k".repeat(129), Value: "v" }] }, "ValidationError", /tags\.1\.member\.key/],
  ["tag value too long", { Tags: [{ Key: "k", Value: "v".repeat(257) }] }, "ValidationError", /tags\.1\.member\.value/],
  ["tag key bad characters", { Tags: [{ Key: "k*", Value: "v" }] }, "ValidationError", /tags\.1\.member\.key.*regular expression/],
  // Value is a required member of the Tag shape: a tag without one is refused, not taken as "".
  ["tag without a value", { Tags: [{ Key: "k" } as { Key: string; Value: string }] }, "ValidationError", /Value null at 'tags\.1\.member\.value' failed to satisfy constraint: Member must not be null/],
  ["role ARN with a control character", { RoleArn: `${DEMO}\u0001` }, "ValidationError", /at 'roleArn' failed to satisfy constraint: Member must satisfy regular expression pattern/],
  ["policy ARN with a control character", { PolicyArns: [{ arn: "arn:aws:iam::aws:policy/ReadOnly\u0001" }] }, "ValidationError", /policyArns\.1\.member\.arn.*regular expression pattern/],
  ["duplicate tag keys (case-insensitive)", { Tags: [{ Key: "Team", Value: "a" }, { Key: "team", Value: "b" }] }, "ValidationError", /Duplicate tag keys/],
  ["transitive key not among tags", { Tags: [{ Key: "a", Value: "b" }], TransitiveTagKeys: ["c"] }, "ValidationError", /transitive tag key 'c'/],
  ["11 policy ARNs", { PolicyArns: Array.from({ length: 11 }, (_, i) => ({ arn: `arn:aws:iam::aws:policy/P${i}xxxxxxxxxx` })) }, "ValidationError", /policyArns.*less than or equal to 10/],
  ["policy not JSON", { Policy: "{not json" }, "MalformedPolicyDocument", /not valid JSON/],
  ["policy without Statement", { Policy: '{"Version":"2012-10-17"}' }, "MalformedPolicyDocument", /Statement/],
  ["policy over 2048 characters", { Policy: policyOf(2049) }, "MalformedPolicyDocument", /2048/],
  [
    "packed size over 100%",
    { Tags: Array.from({ length: 50 }, (_, i) => ({ Key: `k${i}-${randomBytes(50).toString("hex")}`, Value: randomBytes(125).toString("hex") })) },
    "PackedPolicyTooLarge",
    /Packed size/,
  ],
  ["missing RoleSessionName", { RoleSessionName: undefined }, "ValidationError", /Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null/],
];

describe("STS validation, as AWS words it", () => {
  let local: Local;
  before(async () => {
    local = await startQuiet();
  });
  after(async () => local.stop());

  for (const [name, overrides, code, message] of assumeRoleCases) {
    it(`AssumeRole: ${name} -> ${code}`, async () => {
      const err = await sdkError(() => stsClient(local).send(new AssumeRoleCommand({ ...base, ...overrides })));
      assert.equal(err.name === "MalformedPolicyDocumentException" ? "MalformedPolicyDocument" : err.name === "PackedPolicyTooLargeException" ? "PackedPolicyTooLarge" : err.name, code);
      assert.equal(err.$metadata?.httpStatusCode, 400);
      assert.match(err.message, message);
    });
  }

  it("AssumeRole: a policy of exactly 2048 characters is accepted", async () => {
    const out = await stsClient(local).send(new AssumeRoleCommand({ ...base, Policy: policyOf(2048) }));
    assert.ok(out.Credentials);
  });

  it("AssumeRole: 50 short tags and 10 policy ARNs are accepted", async () => {
    const out = await stsClient(local).send(
      new AssumeRoleCommand({ ...base, Tags: tags(50), PolicyArns: Array.from({ length: 10 }, (_, i) => ({ arn: `arn:aws:iam::aws:policy/Policy${i}` })) }),
    );
    assert.ok((out.PackedPolicySize ?? 0) > 0 && (out.PackedPolicySize ?? 0) <= 100);
  });

  it("several failures are reported together", async () => {
    const err = await sdkError(() => stsClient(local).send(new AssumeRoleCommand({ ...base, RoleSessionName: "a", DurationSeconds: 1 })));
    assert.match(err.message, /^2 validation errors detected: /);
  });

  it("the token code is never echoed", async () => {
    const err = await sdkError(() =>
      stsClient(local).send(new AssumeRoleCommand({ ...base, SerialNumber: "GAHT12345678", TokenCode: "98765x" })),
    );
    assert.ok(!err.message.includes("98765x"));
  });

  it("GetSessionToken: DurationSeconds 900..129600", async () => {
    for (const DurationSeconds of [899, 129601]) {
      const err = await sdkError(() => stsClient(local).send(new GetSessionTokenCommand({ DurationSeconds })));
      assert.equal(err.name, "ValidationError");
    }
    const out = await stsClient(local).send(new GetSessionTokenCommand({ DurationSeconds: 129600 }));
    assert.ok(out.Credentials);
  });

  it("GetFederationToken: Name 2..32 and the same policy rules", async () => {
    for (const Name of ["a", "n".repeat(33), "bad name"]) {
      const err = await sdkError(() => stsClient(local).send(new GetFederationTokenCommand({ Name })));
      assert.equal(err.name, "ValidationError", Name);
      assert.match(err.message, /'name'/);
    }
    const err = await sdkError(() => stsClient(local).send(new GetFederationTokenCommand({ Name: "fed", Policy: "[]" })));
    assert.equal(err.name, "MalformedPolicyDocumentException");
    const untagged = await sdkError(() => stsClient(local).send(new GetFederationTokenCommand({ Name: "fed", Tags: [{ Key: "k" } as { Key: string; Value: string }] })));
    assert.equal(untagged.name, "ValidationError");
    assert.match(untagged.message, /tags\.1\.member\.value.*must not be null/);
  });

  it("a session policy must follow IAM's identity-policy grammar (MalformedPolicyDocument), on AssumeRole and GetFederationToken", async () => {
    const statement = (s: Record<string, unknown>) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "kms:Decrypt", Resource: "*", ...s }] });
    const broken: [string, string][] = [
      // A Deny without Resource was accepted and then silently never applied.
      ["no Resource", JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Deny", Action: "kms:Decrypt" }, { Effect: "Allow", Action: "*", Resource: "*" }] })],
      ["an action without a service prefix", statement({ Action: "Decrypt" })],
      ["a resource that is not an ARN", statement({ Resource: "key/abc" })],
      ["a Sid that is not alphanumeric", statement({ Sid: "not-alnum" })],
      ["a condition key without a service prefix", statement({ Condition: { StringEquals: { SourceIp: "10.0.0.1" } } })],
      ["repeated Sids", JSON.stringify({ Version: "2012-10-17", Statement: [{ Sid: "A", Effect: "Deny", Action: "*", Resource: "*" }, { Sid: "A", Effect: "Deny", Action: "*", Resource: "*" }] })],
    ];
    for (const [what, Policy] of broken) {
      for (const send of [() => stsClient(local).send(new AssumeRoleCommand({ ...base, Policy })), () => stsClient(local).send(new GetFederationTokenCommand({ Name: "fed", Policy }))]) {
        const err = await sdkError(send);
        assert.equal(err.name, "MalformedPolicyDocumentException", `${what}: ${err.message}`);
        assert.equal(err.$metadata?.httpStatusCode, 400);
      }
    }
    const fine = statement({ Sid: "Ok1", Condition: { StringEquals: { "kms:EncryptionContext:app": "x", "token.example.com/id/1:sub": "s" } } });
    assert.ok((await stsClient(local).send(new AssumeRoleCommand({ ...base, Policy: fine }))).Credentials);
  });

  it("GetFederationToken: its model caps Policy at 2048 characters (ValidationError, unlike AssumeRole's MalformedPolicyDocument)", async () => {
    const err = await sdkError(() => stsClient(local).send(new GetFederationTokenCommand({ Name: "fed", Policy: policyOf(2049) })));
    assert.equal(err.name, "ValidationError");
    assert.match(err.message, /Value at 'policy' failed to satisfy constraint: Member must have length less than or equal to 2048/);
    assert.ok(!err.message.includes("arn:aws:s3"), "the policy text is not echoed");
    const out = await stsClient(local).send(new GetFederationTokenCommand({ Name: "fed", Policy: policyOf(2048) }));
    assert.ok(out.Credentials);
  });
});
