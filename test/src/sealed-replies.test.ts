// Sealed (X25519) replies end to end: a requester with no AWS identity gets credentials sealed to
// a key pair of its own, only where an access rule says `sealed_replies: allow`. Everything a
// hostile requester or a reader of the wire would try is here: another key, a swapped worker key,
// altered clear fields, low-order keys, a replay under another key, a sealed request where no rule
// permits it (refused before any AWS call), and sealed replies as a way around the KMS key policy.
import { after, before, test } from "node:test";
import { writeFileSync } from "node:fs";
import assert from "node:assert/strict";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { CredvendClient, CredvendError, fromCredvend } from "@credvend/client";
import { EnvelopeOpenError, EnvelopeOpener, generateReplyKeyPair, openSealedReply, SealedReplyOpenError, type ReplyKeyPair } from "@credvend/envelope";
import { decodeCredentials, type EnvelopeView, type ReplyView } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { demoConfig, s3ReadTemplate } from "./support/config.js";
import { REGION, REPLY_KEY_ARN, startHarness, type Harness } from "./support/harness.js";
import { sendRequest } from "./support/raw.js";

const tenant = uniqueName("sealed");
// The on-premises job; also a dev-seed IAM user, so the tests can compare it with KMS envelopes.
const onPrem = "other-app";
const recipient = { tenant, principal: onPrem };
// other-app may have sealed replies for s3-tenant-read only; s3-other-read it may use with KMS.
const extraAccess = `  - name: onprem-sealed
    tenants: ["${tenant}"]
    principals: ["${onPrem}"]
    templates: ["s3-tenant-read"]
    params: { bucket: ["acme-data"] }
    sealed_replies: allow
  - name: onprem-kms-only
    tenants: ["${tenant}"]
    principals: ["${onPrem}"]
    templates: ["s3-other-read"]
`;
const config = demoConfig({ tenants: [tenant], extraTemplates: s3ReadTemplate("s3-other-read"), extraAccess });
let h: Harness;

before(async () => {
  h = await startHarness({ config });
});
after(async () => {
  await h?.stop();
});

async function counts() {
  const calls = await h.awsLocal.admin.calls();
  const total = (op: string) => calls[op]?.total ?? 0;
  return { assumeRole: total("sts:AssumeRole"), kms: total("kms:GenerateDataKey") + total("kms:Decrypt") };
}

function sealedClient(principal = onPrem): CredvendClient {
  return new CredvendClient({ nc: h.nc, tenant, principal, sealedReplies: true });
}

function envelopeOf(reply: ReplyView): EnvelopeView {
  if (reply.kind !== "credentials") assert.fail(`expected credentials, got ${reply.error.reason}: ${reply.error.message}`);
  return reply.envelope;
}

function refusalOf(reply: ReplyView): CredvendError {
  if (reply.kind !== "error") assert.fail("expected a refusal, got credentials");
  return reply.error;
}

async function sealedRequest(pair: ReplyKeyPair, requestId = uniqueRequestId(), principal = onPrem): Promise<{ requestId: string; reply: ReplyView }> {
  return { requestId, reply: await sendRequest(h.nc, tenant, principal, { requestId, replyPublicKey: pair.publicKey }) };
}

test("a requester with no AWS identity gets working credentials, and neither side calls KMS", async () => {
  const before = await counts();
  const creds = await sealedClient().request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
  const sts = new STSClient({ region: REGION, endpoint: h.awsLocal.endpoint, credentials: creds });
  try {
    const me = await sts.send(new GetCallerIdentityCommand({}));
    assert.match(me.Arn ?? "", /assumed-role\/credvend-demo\//);
  } finally {
    sts.destroy();
  }
  const after = await counts();
  assert.equal(after.assumeRole, before.assumeRole + 1);
  assert.equal(after.kms, before.kms, "no GenerateDataKey, no Decrypt");
  const provider = fromCredvend({ client: sealedClient(), template: "s3-tenant-read", params: { bucket: "acme-data" } });
  assert.match((await provider()).accessKeyId, /^ASIA/);
});

test("the reply opens with the requester's private key only", async () => {
  const pair = generateReplyKeyPair();
  const { requestId, reply } = await sealedRequest(pair);
  const envelope = envelopeOf(reply);
  assert.equal(envelope.encryptedDataKey.length, 0);
  assert.equal(envelope.kmsKeyId, "");
  assert.equal(envelope.senderPublicKey.length, 32);
  const creds = decodeCredentials(openSealedReply(envelope, requestId, recipient, pair));
  assert.equal(creds.accessKeyId, envelope.accessKeyId);

  const eve = generateReplyKeyPair();
  const refused = (e: unknown) => e instanceof SealedReplyOpenError;
  assert.throws(() => openSealedReply(envelope, requestId, recipient, eve), refused, "another private key");
  assert.throws(() => openSealedReply(envelope, requestId, recipient, { publicKey: pair.publicKey, privateKey: eve.privateKey }), refused, "another private key claiming the requester's public key");
  assert.throws(() => openSealedReply({ ...envelope, senderPublicKey: eve.publicKey }, requestId, recipient, pair), refused, "a swapped worker public key");
  assert.throws(() => openSealedReply({ ...envelope, expirationMs: envelope.expirationMs + 3600_000 }, requestId, recipient, pair), refused, "a changed clear expiry");
  assert.throws(() => openSealedReply({ ...envelope, assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/other/x" }, requestId, recipient, pair), refused, "a changed clear role");
  assert.throws(() => openSealedReply(envelope, uniqueRequestId(), recipient, pair), refused, "another request id");
  assert.throws(() => openSealedReply(envelope, requestId, { tenant, principal: "demo-app" }, pair), refused, "another recipient");
});

test("a sealed request where no rule permits it is refused, before any AWS call", async () => {
  const before = await counts();
  // demo-app's rule has no sealed_replies; other-app's rules for s3-other-read has none either.
  await assert.rejects(sealedClient("demo-app").request({ template: "s3-tenant-read", params: { bucket: "acme-data" } }),
    (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_SEALED_REPLY_NOT_ALLOWED" && e.code === "PERMISSION_DENIED" && e.field === "reply_public_key");
  await assert.rejects(sealedClient().request({ template: "s3-other-read", params: { bucket: "acme-data" } }),
    (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_SEALED_REPLY_NOT_ALLOWED");
  assert.deepEqual(await counts(), before, "no AssumeRole and no KMS call spent on a refusal");
  // The same requests with KMS envelopes are served: the permission is only about how replies are sealed.
  const kms = await h.client(tenant, onPrem).request({ template: "s3-other-read", params: { bucket: "acme-data" } });
  assert.match(kms.accessKeyId, /^ASIA/);
});

test("low-order, all-zero and mis-sized public keys are refused before any AWS call", async () => {
  const before = await counts();
  const bad = [new Uint8Array(32), Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 1 : 0)), Buffer.from("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800", "hex"), new Uint8Array(31), new Uint8Array(64)];
  for (const key of bad) {
    const error = refusalOf(await sendRequest(h.nc, tenant, onPrem, { replyPublicKey: key }));
    assert.equal(error.reason, "CV_ERR_REQUEST_FIELD", Buffer.from(key).toString("hex"));
    assert.equal(error.field, "reply_public_key");
  }
  assert.deepEqual(await counts(), before);
});

test("a replay is the stored reply, still sealed to the original key; another key under the same id is refused", async () => {
  const pair = generateReplyKeyPair();
  const first = await sealedRequest(pair);
  const before = await counts();
  const again = await sealedRequest(pair, first.requestId);
  assert.equal(again.reply.replayed, true);
  const replayed = envelopeOf(again.reply);
  assert.deepEqual(Buffer.from(replayed.ciphertext), Buffer.from(envelopeOf(first.reply).ciphertext), "the stored reply, not a new sealing");
  assert.equal(decodeCredentials(openSealedReply(replayed, first.requestId, recipient, pair)).accessKeyId, replayed.accessKeyId);

  const eve = generateReplyKeyPair();
  assert.throws(() => openSealedReply(replayed, first.requestId, recipient, eve), SealedReplyOpenError);
  // Someone who learns the request id and sends the same request with a key of their own gets no resealing.
  assert.equal(refusalOf((await sealedRequest(eve, first.requestId)).reply).reason, "CV_ERR_IDEMPOTENCY_KEY_REUSED");
  // Nor does dropping the key turn the stored success into a KMS envelope for the caller.
  assert.equal(refusalOf(await sendRequest(h.nc, tenant, onPrem, { requestId: first.requestId })).reason, "CV_ERR_IDEMPOTENCY_KEY_REUSED");
  assert.equal((await counts()).assumeRole, before.assumeRole, "replays and refusals cost no AssumeRole");
});

test("a KMS opener refuses a sealed reply and a sealed opener refuses a KMS envelope", async () => {
  const pair = generateReplyKeyPair();
  const sealed = await sealedRequest(pair);
  const opener = new EnvelopeOpener({ kms: h.kmsFor(onPrem), recipient, keyArn: REPLY_KEY_ARN });
  await assert.rejects(opener.open(envelopeOf(sealed.reply), sealed.requestId), EnvelopeOpenError);
  const kmsRequestId = uniqueRequestId();
  const kms = await sendRequest(h.nc, tenant, onPrem, { requestId: kmsRequestId, template: "s3-other-read" });
  assert.throws(() => openSealedReply(envelopeOf(kms), kmsRequestId, recipient, pair), /KMS envelope/);
  assert.ok((await opener.open(envelopeOf(kms), kmsRequestId)).length > 0, "the KMS envelope itself opens with KMS");
});

test("a client is either sealed or KMS, never both", () => {
  assert.throws(() => new CredvendClient({ nc: h.nc, tenant, principal: onPrem, sealedReplies: true, kms: h.kmsFor(onPrem), replyKeyArn: REPLY_KEY_ARN }), /not both/);
});

// Last: it changes the access rules.
test("once the rule no longer permits sealed replies, even a stored one is not replayed", async () => {
  const pair = generateReplyKeyPair();
  const first = await sealedRequest(pair);
  envelopeOf(first.reply);
  writeFileSync(h.configFile, config.replace("    sealed_replies: allow\n", ""));
  h.vendor.reload();
  assert.equal(h.vendor.worker.stats().config.lastRefusal, undefined);
  assert.equal(refusalOf((await sealedRequest(pair, first.requestId)).reply).reason, "CV_ERR_SEALED_REPLY_NOT_ALLOWED");
});
