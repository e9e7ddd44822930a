// Identity comes from the subject only, and NATS (with credvend's generated authorization
// block) enforces it; replies are readable by their requester only.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { DecryptCommand } from "@aws-sdk/client-kms";
import { devCredentials } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { natsAuthorization, parseConfig } from "@credvend/policy";
import { CredvendError, encodeRequest, readReply, replySubject, replyWildcard, requestSubject } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { connect, type NatsConnection } from "nats";
import { randomBytes } from "node:crypto";
import { demoConfig } from "./support/config.js";
import { REPLY_KEY_ARN, startHarness, type Harness } from "./support/harness.js";

const password = () => randomBytes(12).toString("base64url");

describe("identity from the subject, enforced by nats-server with the generated authorization block", () => {
  const tenant = uniqueName("id");
  const otherTenant = uniqueName("id-other");
  const yaml = demoConfig({ tenants: [tenant, otherTenant] });
  const vendor = { user: "credvend-vendor", password: password() };
  const demo = { user: "demo-app-user", password: password(), tenant, principal: "demo-app" };
  const other = { user: "other-app-user", password: password(), tenant, principal: "other-app" };
  let h: Harness;
  let demoNc: NatsConnection;
  let otherNc: NatsConnection;

  before(async () => {
    const parsed = parseConfig(yaml);
    assert.ok(parsed.ok, "test config is valid");
    const natsConfig = natsAuthorization(parsed.config, { vendor, identities: [demo, other] });
    h = await startHarness({ config: yaml, natsConfig, vendorNats: vendor });
    demoNc = await connect({ servers: h.natsUrl, user: demo.user, pass: demo.password });
    otherNc = await connect({ servers: h.natsUrl, user: other.user, pass: other.password });
  });
  after(async () => {
    await demoNc?.close();
    await otherNc?.close();
    await h?.stop();
  });

  test("a requester is served on its own subject", async () => {
    const creds = await h.client(tenant, "demo-app", { nc: demoNc }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
    assert.match(creds.arn, /assumed-role\/credvend-demo\//);
  });

  test("a requester cannot publish on another principal's request subject", async () => {
    const servedBefore = h.vendor.worker.stats();
    const client = new CredvendClient({ nc: demoNc, tenant, principal: "other-app", kms: h.kmsFor("demo-app"), replyKeyArn: REPLY_KEY_ARN, timeoutMs: 500, attempts: 1 });
    await assert.rejects(client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } }), (error: unknown) => {
      assert.ok(error instanceof CredvendError);
      // NATS refuses the reply subscription (another principal's) and the publish: told at once, not retried.
      assert.equal(error.reason, "CV_ERR_CLIENT_NATS_DENIED", `${error.code}: ${error.message}`);
      return true;
    });
    const servedAfter = h.vendor.worker.stats();
    assert.equal(servedAfter.served + servedAfter.failed, servedBefore.served + servedBefore.failed, "the vendor never saw the request");
  });

  test("a requester cannot subscribe to another principal's replies", async () => {
    const sub = demoNc.subscribe(replyWildcard(tenant, "other-app"));
    const closed = await Promise.race([sub.closed.then(() => "closed"), new Promise((r) => setTimeout(() => r("open"), 1000))]);
    // nats-server answers a forbidden SUB with a permissions violation, which closes the subscription.
    assert.equal(closed, "closed");
  });

  test("a reply subject in the payload's reply field cannot redirect a reply to another principal", async () => {
    const received: string[] = [];
    const spy = otherNc.subscribe(replyWildcard(tenant, "other-app"), { callback: (_e, m) => received.push(m.subject) });
    await otherNc.flush();
    const requestId = uniqueRequestId();
    const own = demoNc.subscribe(replySubject(tenant, "demo-app", requestId), { max: 1 });
    const payload = encodeRequest({ requestId, template: "s3-tenant-read", params: { bucket: "acme-data" }, clientTimeMs: Date.now() });
    demoNc.publish(requestSubject(tenant, "demo-app"), payload, { reply: replySubject(tenant, "other-app", requestId) });
    for await (const m of own) {
      assert.equal(readReply(m.data).kind, "credentials");
    }
    await new Promise((r) => setTimeout(r, 200));
    spy.unsubscribe();
    assert.deepEqual(received, []);
  });

  test("acting for another tenant without a rule is PERMISSION_DENIED", async () => {
    const client = h.client(tenant, "demo-app", { nc: demoNc });
    await assert.rejects(client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, onBehalfOf: otherTenant }), (error: unknown) => {
      assert.ok(error instanceof CredvendError);
      assert.equal(error.code, "PERMISSION_DENIED");
      return true;
    });
  });

  test("one requester cannot KMS-decrypt another's reply", async () => {
    const requestId = uniqueRequestId();
    const payload = encodeRequest({ requestId, template: "s3-tenant-read", params: { bucket: "acme-data" }, clientTimeMs: Date.now() });
    const msg = await demoNc.request(requestSubject(tenant, "demo-app"), payload, { timeout: 5000, noMux: true, reply: replySubject(tenant, "demo-app", requestId) });
    const reply = readReply(msg.data);
    assert.equal(reply.kind, "credentials");
    if (reply.kind !== "credentials") return;
    const { envelope } = reply;
    const otherKms = h.kmsFor("other-app");
    // With the true context, the key policy refuses other-app (context names demo-app, not ${aws:username}).
    await assert.rejects(otherKms.send(new DecryptCommand({ CiphertextBlob: envelope.encryptedDataKey, EncryptionContext: { ...envelope.encryptionContext } })), { name: "AccessDeniedException" });
    // With its own name in the context, the ciphertext does not authenticate.
    await assert.rejects(otherKms.send(new DecryptCommand({ CiphertextBlob: envelope.encryptedDataKey, EncryptionContext: { ...envelope.encryptionContext, "credvend:principal": "other-app" } })), { name: "InvalidCiphertextException" });
    // The rightful requester can.
    const demoKms = h.kmsFor("demo-app");
    const out = await demoKms.send(new DecryptCommand({ CiphertextBlob: envelope.encryptedDataKey, EncryptionContext: { ...envelope.encryptionContext } }));
    assert.equal(out.Plaintext?.length, 32);
    assert.ok(devCredentials("other-app").accessKeyId !== devCredentials("demo-app").accessKeyId);
  });
});
