// Sealing and opening through KMS (aws-local, the unmodified KMS client), including data-key
// rotation under concurrency: every envelope must open, whatever the cache did meanwhile.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KMSClient } from "@aws-sdk/client-kms";
import { DEV_ACCOUNT_ID, DEV_REPLY_KEY_ID, devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { DataKeyCache, EnvelopeOpener, EnvelopeSealer, type IssuedClearFields, type Recipient } from "@credvend/envelope";

const recipient = { tenant: "acme", principal: "demo-app" };
const clear: IssuedClearFields = { expirationMs: Date.now() + 3_600_000, assumedRoleArn: "arn:aws:sts::000000000000:assumed-role/r/s", accessKeyId: "ASIAEXAMPLE", sourceIdentity: "", packedPolicySize: 1 };
const opener = (kms: KMSClient, who: Recipient = recipient) =>
  new EnvelopeOpener({ kms, recipient: who, keyArn: `arn:aws:kms:${local.region}:${DEV_ACCOUNT_ID}:key/${DEV_REPLY_KEY_ID}` });
let local: AwsLocal;
let vendorKms: KMSClient;
let demoKms: KMSClient;

before(async () => {
  local = await startAwsLocal({ port: 0, logger: () => undefined });
  vendorKms = new KMSClient({ region: local.region, endpoint: local.endpoint, credentials: devCredentials("credvend-vendor") });
  demoKms = new KMSClient({ region: local.region, endpoint: local.endpoint, credentials: devCredentials("demo-app") });
});
after(async () => {
  vendorKms?.destroy();
  demoKms?.destroy();
  await local?.stop();
});

test("concurrent seals across data-key rotations all open", async () => {
  const sealer = new EnvelopeSealer({ kms: vendorKms, keyId: "alias/credvend-replies", cache: new DataKeyCache({ maxAgeMs: 60_000, maxUses: 3, maxEntries: 10 }) });
  const opened0 = opener(demoKms);
  const text = (i: number) => new TextEncoder().encode(`credentials ${i}`);
  // Waves of concurrent seals: cache hits are in flight when another seal evicts the key.
  const sealed = [];
  for (let wave = 0; wave < 12; wave += 1) {
    sealed.push(...await Promise.all(Array.from({ length: 5 }, (_, j) => sealer.seal(recipient, `request-${wave * 5 + j}`, clear, text(wave * 5 + j)))));
  }
  const opened = await Promise.all(sealed.map((envelope, i) => opened0.open(envelope, `request-${i}`)));
  opened.forEach((plain, i) => assert.equal(new TextDecoder().decode(plain), `credentials ${i}`));
  const calls = await local.admin.calls();
  assert.ok((calls["kms:GenerateDataKey"]?.total ?? 0) >= 12, "keys rotated every 3 uses");
});

test("an envelope opens only with its own request id and only for its recipient", async () => {
  const sealer = new EnvelopeSealer({ kms: vendorKms, keyId: "alias/credvend-replies" });
  const envelope = await sealer.seal(recipient, "request-a", clear, new TextEncoder().encode("x"));
  const own = opener(demoKms);
  await assert.rejects(own.open(envelope, "request-b"), /failed authentication/);
  const otherOpener = opener(demoKms, { tenant: "acme", principal: "other-app" });
  await assert.rejects(otherOpener.open(envelope, "request-a"), /not for tenant 'acme' principal 'other-app'/);
});

test("one caller's abort does not fail other callers sharing its GenerateDataKey call", async () => {
  await local.admin.setFaults({ latencyMs: { "kms:GenerateDataKey": 150 } });
  try {
    const sealer = new EnvelopeSealer({ kms: vendorKms, keyId: "alias/credvend-replies", cache: new DataKeyCache({ maxAgeMs: 60_000, maxUses: 100, maxEntries: 10 }) });
    const impatient = new AbortController();
    const first = sealer.seal(recipient, "request-1", clear, new TextEncoder().encode("a"), impatient.signal);
    const second = sealer.seal(recipient, "request-2", clear, new TextEncoder().encode("b"), new AbortController().signal);
    setTimeout(() => impatient.abort(new Error("first request's deadline")), 20);
    await assert.rejects(first, /first request's deadline/);
    const opened = await opener(demoKms).open(await second, "request-2");
    assert.equal(new TextDecoder().decode(opened), "b");
  } finally {
    await local.admin.setFaults({});
  }
});

test("one caller's abort does not fail other callers sharing the opener's Decrypt call", async () => {
  const sealer = new EnvelopeSealer({ kms: vendorKms, keyId: "alias/credvend-replies", cache: new DataKeyCache({ maxAgeMs: 60_000, maxUses: 100, maxEntries: 10 }) });
  const a = await sealer.seal(recipient, "request-a", clear, new TextEncoder().encode("a"));
  const b = await sealer.seal(recipient, "request-b", clear, new TextEncoder().encode("b"));
  assert.deepEqual(a.encryptedDataKey, b.encryptedDataKey, "one cached data key");
  await local.admin.setFaults({ latencyMs: { "kms:Decrypt": 150 } });
  try {
    const own = opener(demoKms);
    const impatient = new AbortController();
    const first = own.open(a, "request-a", impatient.signal);
    const second = own.open(b, "request-b");
    setTimeout(() => impatient.abort(new Error("caller gave up")), 20);
    await assert.rejects(first, /caller gave up/);
    assert.equal(new TextDecoder().decode(await second), "b");
  } finally {
    await local.admin.setFaults({});
  }
});
