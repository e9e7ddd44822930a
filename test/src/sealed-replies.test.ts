// Sealed (X25519) replies end to end: a requester with no AWS identity gets credentials sealed to
// a key pair of its own, only where an access rule says `sealed_replies: allow`. Everything a
// hostile requester or a reader of the wire would try is here: another key, a swapped worker key,
// altered clear fields, low-order keys, a replay under another key, a sealed request where no rule
// permits it (refused before any AWS call), and sealed replies as a way around the KMS key policy.
import { after, before, test } from "node:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { generateKeyPairSync } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "nats";
import { WorkerStartError } from "@credvend/worker";
import assert from "node:assert/strict";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { CredvendClient, CredvendError, fromCredvend } from "@credvend/client";
import { aeadSeal, bindingData, EnvelopeOpenError, EnvelopeOpener, generateReplyKeyPair, openSealedReply as open, prepareSealedReplyKey, REPLY_BINDING_VERSION, sealingKeyFromPem, SealedReplyOpenError, type ReplyKeyPair, type SealedReplyInput } from "@credvend/envelope";
import { decodeCredentials, decodeRequest, encodeCredentials, encodeSuccessReply, replySubject, requestSubject, type EnvelopeView, type ReplyView } from "@credvend/protocol";
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
// The fleet's sealing key, as an operator makes it (openssl genpkey -algorithm X25519).
const keyDir = mkdtempSync(path.join(tmpdir(), "credvend-sealing-"));
const sealingKeyFile = path.join(keyDir, "sealing-key.pem");
const sealingPem = String(generateKeyPairSync("x25519").privateKey.export({ format: "pem", type: "pkcs8" }));
const sealing = sealingKeyFromPem(sealingPem);

before(async () => {
  writeFileSync(sealingKeyFile, sealingPem, { mode: 0o600 });
  h = await startHarness({ config, env: { CREDVEND_SEALING_KEY_FILE: sealingKeyFile } });
});
after(async () => {
  await h?.stop();
  rmSync(keyDir, { recursive: true, force: true });
});

/** Opens as a requester that pins the fleet's sealing key. */
function openSealedReply(envelope: SealedReplyInput, requestId: string, to: typeof recipient, pair: ReplyKeyPair): Uint8Array {
  return open(envelope, requestId, to, pair, sealing.publicKey);
}

async function counts() {
  const calls = await h.awsLocal.admin.calls();
  const total = (op: string) => calls[op]?.total ?? 0;
  return { assumeRole: total("sts:AssumeRole"), kms: total("kms:GenerateDataKey") + total("kms:Decrypt") };
}

function sealedClient(principal = onPrem): CredvendClient {
  return new CredvendClient({ nc: h.nc, tenant, principal, sealedReplies: { sealingPublicKey: Buffer.from(sealing.publicKey).toString("base64") } });
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

test("a request served with a KMS envelope does not open the way for the same request sealed", async () => {
  // The worker memoizes plans; the KMS request's plan must not stand in for the sealed one's rules.
  for (const [principal, template] of [["demo-app", "s3-tenant-read"], [onPrem, "s3-other-read"]] as const) {
    const kms = await h.client(tenant, principal).request({ template, params: { bucket: "acme-data" } });
    assert.match(kms.accessKeyId, /^ASIA/);
    const before = await counts();
    await assert.rejects(sealedClient(principal).request({ template, params: { bucket: "acme-data" } }),
      (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_SEALED_REPLY_NOT_ALLOWED", `${principal} / ${template}`);
    assert.deepEqual(await counts(), before, "no AssumeRole and no KMS call spent on the refusal");
  }
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
  assert.throws(() => new CredvendClient({ nc: h.nc, tenant, principal: onPrem, sealedReplies: { sealingPublicKey: sealing.publicKey }, kms: h.kmsFor(onPrem), replyKeyArn: REPLY_KEY_ARN }), /not both/);
  assert.throws(() => new CredvendClient({ nc: h.nc, tenant, principal: onPrem, sealedReplies: { sealingPublicKey: new Uint8Array(32) } }), /low-order/);
  assert.throws(() => new CredvendClient({ nc: h.nc, tenant, principal: onPrem, sealedReplies: { sealingPublicKey: "c2hvcnQ=" } }), /32 bytes/);
});

test("a forger who reads the request and reseals credentials of its own to the requester's key is ignored", async () => {
  // A process with broad NATS rights: it sees the request (and its public key) and answers first.
  const eve = await connect({ servers: h.natsUrl, name: "forger" });
  let forged = 0;
  const forgerKey = sealingKeyFromPem(generateKeyPairSync("x25519").privateKey.export({ format: "pem", type: "pkcs8" }));
  const sub = eve.subscribe(requestSubject(tenant, onPrem), {
    callback: (_err, msg) => {
      const request = decodeRequest(msg.data);
      const key = prepareSealedReplyKey(recipient, request.replyPublicKey, forgerKey);
      const clear = { expirationMs: Date.now() + 3600_000, assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/eve/x", accessKeyId: "ASIAFORGEDBYEVE00000", sourceIdentity: "", packedPolicySize: 0 };
      const plaintext = encodeCredentials({ accessKeyId: clear.accessKeyId, secretAccessKey: "eve", sessionToken: "eve", expirationMs: clear.expirationMs });
      const fields = { ...clear, kmsKeyId: "", encryptionContext: key.encryptionContext, senderPublicKey: key.senderPublicKey ?? new Uint8Array() };
      const { nonce, ciphertext } = aeadSeal(key.key.plaintext, plaintext, bindingData(request.requestId, fields));
      eve.publish(replySubject(tenant, onPrem, request.requestId), encodeSuccessReply(request.requestId, { ...fields, encryptedDataKey: new Uint8Array(), nonce, ciphertext, binding: REPLY_BINDING_VERSION }, Date.now()));
      forged += 1;
    },
  });
  await eve.flush();
  try {
    const creds = await sealedClient().request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
    assert.equal(forged, 1, "the forgery was sent");
    assert.notEqual(creds.accessKeyId, "ASIAFORGEDBYEVE00000");
    assert.match(creds.arn, /assumed-role\/credvend-demo\//);
  } finally {
    sub.unsubscribe();
    await eve.close();
  }
});

test("a worker without a sealing key refuses sealed requests, before any AWS call", async () => {
  const plain = await startHarness({ config });
  try {
    const before = (await plain.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;
    const client = new CredvendClient({ nc: plain.nc, tenant, principal: onPrem, sealedReplies: { sealingPublicKey: sealing.publicKey } });
    await assert.rejects(client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } }),
      (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_SEALED_REPLY_NOT_ALLOWED" && /CREDVEND_SEALING_KEY_FILE/.test(e.message));
    assert.equal((await plain.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0, before);
  } finally {
    await plain.stop();
  }
});

test("a worker whose sealing key file is missing or not X25519 does not start, and says which setting to fix", async () => {
  const wrong = path.join(keyDir, "ed25519.pem");
  writeFileSync(wrong, generateKeyPairSync("ed25519").privateKey.export({ format: "pem", type: "pkcs8" }));
  await assert.rejects(startHarness({ config, env: { CREDVEND_SEALING_KEY_FILE: wrong } }), (e: unknown) => e instanceof WorkerStartError && /CREDVEND_SEALING_KEY_FILE .* not X25519/.test(e.message));
  await assert.rejects(startHarness({ config, env: { CREDVEND_SEALING_KEY_FILE: path.join(keyDir, "absent.pem") } }), (e: unknown) => e instanceof WorkerStartError && /cannot read CREDVEND_SEALING_KEY_FILE/.test(e.message));
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
