// STS request members newer than the rest of the emulator, which it once ignored (and so accepted
// anything): AssumeRole's ProvidedContexts and every credential-issuing call's MinimumSessionTokenSize.
// - ProvidedContexts carries trusted context assertions "signed and encrypted by Amazon Web Services
//   STS" (STS API Reference, AssumeRole; model: 1-5 entries, ContextAssertion 4-2048). aws-local issues
//   none, so none can verify: InvalidContextAssertion 400 ("malformed, has expired, or does not match a
//   trusted context provider"), never a silent success.
// - MinimumSessionTokenSize: "STS increases the session token to at least this size ... The value must
//   not exceed 4,096 bytes" (model documentation in @aws-sdk/client-sts).
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { AssumeRoleCommand, GetCallerIdentityCommand, GetSessionTokenCommand } from "@aws-sdk/client-sts";
import { sdkError, startQuiet, stsClient } from "./testing/harness.js";

const DEMO = "arn:aws:iam::000000000000:role/credvend-demo";
const IDENTITY_CENTER = "arn:aws:iam::aws:contextProvider/IdentityCenter";

describe("AssumeRole ProvidedContexts and MinimumSessionTokenSize", () => {
  let local: Awaited<ReturnType<typeof startQuiet>>;
  before(async () => {
    local = await startQuiet();
  });
  after(async () => local.stop());

  it("a context assertion aws-local never issued is InvalidContextAssertion 400, and is not echoed", async () => {
    const secret = "forged-context-assertion-value";
    const error = await sdkError(() =>
      stsClient(local).send(new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "ctx", ProvidedContexts: [{ ProviderArn: IDENTITY_CENTER, ContextAssertion: secret }] })),
    );
    assert.equal(error.name, "InvalidContextAssertionException");
    assert.equal(error.$metadata?.httpStatusCode, 400);
    assert.ok(!error.message.includes(secret), error.message);
  });

  it("more than 5 contexts, or an assertion outside 4..2048, is a ValidationError that does not echo it", async () => {
    const six = Array.from({ length: 6 }, () => ({ ProviderArn: IDENTITY_CENTER, ContextAssertion: "abcd" }));
    const many = await sdkError(() => stsClient(local).send(new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "ctx", ProvidedContexts: six })));
    assert.equal(many.name, "ValidationError");
    assert.match(many.message, /providedContexts.*less than or equal to 5/);
    const short = await sdkError(() =>
      stsClient(local).send(new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "ctx", ProvidedContexts: [{ ProviderArn: IDENTITY_CENTER, ContextAssertion: "zq7" }] })),
    );
    assert.equal(short.name, "ValidationError");
    assert.match(short.message, /contextAssertion.*greater than or equal to 4/);
    assert.ok(!short.message.includes("zq7"), short.message);
  });

  it("MinimumSessionTokenSize above 4096 (or negative) is a ValidationError", async () => {
    for (const size of [4097, -1]) {
      const error = await sdkError(() => stsClient(local).send(new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "size", MinimumSessionTokenSize: size })));
      assert.equal(error.name, "ValidationError", String(size));
      assert.match(error.message, /minimumSessionTokenSize/);
    }
    const gst = await sdkError(() => stsClient(local).send(new GetSessionTokenCommand({ MinimumSessionTokenSize: 5000 })));
    assert.equal(gst.name, "ValidationError");
  });

  it("MinimumSessionTokenSize makes the session token at least that long, and it still works", async () => {
    const out = await stsClient(local).send(new AssumeRoleCommand({ RoleArn: DEMO, RoleSessionName: "size", MinimumSessionTokenSize: 2000 }));
    const c = out.Credentials;
    assert.ok((c?.SessionToken ?? "").length >= 2000, `token length ${c?.SessionToken?.length}`);
    const me = await stsClient(local, { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" }).send(
      new GetCallerIdentityCommand({}),
    );
    assert.equal(me.Arn, out.AssumedRoleUser?.Arn);
    const session = await stsClient(local).send(new GetSessionTokenCommand({ MinimumSessionTokenSize: 4096 }));
    assert.ok((session.Credentials?.SessionToken ?? "").length >= 4096);
  });
});
