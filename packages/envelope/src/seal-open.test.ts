// Sealing and opening through KMS (aws-local, the unmodified KMS client), including data-key
// rotation under concurrency: every envelope must open, whatever the cache did meanwhile.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KMSClient } from "@aws-sdk/client-kms";
import { devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { DataKeyCache } from "./data-key-cache.js";
import { EnvelopeOpener } from "./open.js";
import { EnvelopeSealer } from "./seal.js";

const recipient = { tenant: "acme", principal: "demo-app" };
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
  const opener = new EnvelopeOpener(demoKms, recipient);
  const text = (i: number) => new TextEncoder().encode(`credentials ${i}`);
  // Waves of concurrent seals: cache hits are in flight when another seal evicts the key.
  const sealed = [];
  for (let wave = 0; wave < 12; wave += 1) {
    sealed.push(...await Promise.all(Array.from({ length: 5 }, (_, j) => sealer.seal(recipient, `request-${wave * 5 + j}`, text(wave * 5 + j)))));
  }
  const opened = await Promise.all(sealed.map((envelope, i) => opener.open(envelope, `request-${i}`)));
  opened.forEach((plain, i) => assert.equal(new TextDecoder().decode(plain), `credentials ${i}`));
  const calls = await local.admin.calls();
  assert.ok((calls["kms:GenerateDataKey"]?.total ?? 0) >= 12, "keys rotated every 3 uses");
});

test("an envelope opens only with its own request id and only for its recipient", async () => {
  const sealer = new EnvelopeSealer({ kms: vendorKms, keyId: "alias/credvend-replies" });
  const envelope = await sealer.seal(recipient, "request-a", new TextEncoder().encode("x"));
  const opener = new EnvelopeOpener(demoKms, recipient);
  await assert.rejects(opener.open(envelope, "request-b"), /failed authentication/);
  const otherOpener = new EnvelopeOpener(demoKms, { tenant: "acme", principal: "other-app" });
  await assert.rejects(otherOpener.open(envelope, "request-a"), /not for tenant 'acme' principal 'other-app'/);
});
