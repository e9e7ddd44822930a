// The data-key stage while the reply key is unusable: a key found disabled or gone refuses
// KMS-sealed replies before STS even when a cached data key would still seal them (nobody could
// open the reply); a DescribeKey that only failed to reach KMS refuses nothing; sealed replies
// (no KMS) are unaffected. KMS is never reached here: the cache already holds the data key.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { KMSClient } from "@aws-sdk/client-kms";
import { DataKeyCache, EnvelopeSealer, generateReplyKeyPair, sealingKeyFromPem } from "@credvend/envelope";
import { CredvendError } from "@credvend/protocol";
import { generateKeyPairSync } from "node:crypto";
import type { ReplyKeyReadiness } from "../aws/reply-key.js";
import type { Claimed, WorkerStageContext } from "../pipeline/types.js";
import { dataKeyStage } from "./data-key.js";

const KEY_ID = "arn:aws:kms:eu-west-1:000000000000:key/00000000-0000-4000-8000-000000000001";
const identity = { tenant: "acme", principal: "app" };
// Nothing listens there: a call that reached KMS would fail as unreachable.
const kms = new KMSClient({ region: "eu-west-1", endpoint: "http://127.0.0.1:9", credentials: { accessKeyId: "AKIADEVONLYTEST00001", secretAccessKey: "dev-only" }, maxAttempts: 1 });

async function stageWith(readiness: ReplyKeyReadiness) {
  const cache = new DataKeyCache({ maxAgeMs: 60_000, maxUses: 100, maxEntries: 10 });
  // The recipient's data key, cached as a reply before the key was disabled left it.
  await cache.take(`${KEY_ID}\u0000${identity.tenant}\u0000${identity.principal}`, async () => ({ plaintext: new Uint8Array(randomBytes(32)), encrypted: new Uint8Array(randomBytes(64)), keyId: KEY_ID }), { bytes: 0 });
  const sealer = new EnvelopeSealer({ kms, keyId: KEY_ID, cache });
  const sealing = sealingKeyFromPem(generateKeyPairSync("x25519").privateKey.export({ format: "pem", type: "pkcs8" }).toString());
  return dataKeyStage(sealer, sealing, () => readiness);
}

const ctx = { signal: new AbortController().signal } as unknown as WorkerStageContext;
const claimed = (o: Partial<Claimed> = {}) => ({ identity, ...o }) as unknown as Claimed;
const outcome = (p: Promise<unknown> | unknown) => Promise.resolve(p).then(() => "keyed", (e: unknown) => (e instanceof CredvendError ? e.reason : String(e)));

test("a reply key found disabled refuses KMS-sealed replies before STS, cached data key or not, and says what to fix", async () => {
  const stage = await stageWith({ state: "unusable", reason: "CV_ERR_KMS_DENIED", problem: "the reply key is Disabled; enable it" });
  await assert.rejects(Promise.resolve(stage.run(claimed(), ctx)), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_KMS_DENIED" && /is Disabled; enable it/.test(e.message));
  const deleted = await stageWith({ state: "unusable", reason: "CV_ERR_KMS_KEY_NOT_FOUND", problem: "no such key" });
  assert.equal(await outcome(deleted.run(claimed(), ctx)), "CV_ERR_KMS_KEY_NOT_FOUND");
});

test("a DescribeKey that only failed to reach KMS refuses nothing: the cached data key serves", async () => {
  const stage = await stageWith({ state: "unusable", reason: "CV_ERR_AWS_UNAVAILABLE", problem: "DescribeKey failed: KMS could not be reached" });
  assert.equal(await outcome(stage.run(claimed(), ctx)), "keyed");
  const ready = await stageWith({ state: "ready", keyArn: KEY_ID });
  assert.equal(await outcome(ready.run(claimed(), ctx)), "keyed");
});

test("a reply sealed to the requester's own key needs no reply key, usable or not", async () => {
  const stage = await stageWith({ state: "unusable", reason: "CV_ERR_KMS_DENIED", problem: "disabled" });
  assert.equal(await outcome(stage.run(claimed({ replyPublicKey: generateReplyKeyPair().publicKey } as Partial<Claimed>), ctx)), "keyed");
});
