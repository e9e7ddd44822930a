// Replies can not be forged. Whoever may publish on a requester's reply subject (a rogue process
// with broad NATS rights, a misconfigured account) publishes forged replies there, for real, over
// real NATS, sealed with real aws-local KMS keys; the client must ignore each one and take the
// genuine reply that follows, or, when none follows, fail with what it refused.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { DEV_ACCOUNT_ID, DEV_REPLY_KEY_ALIAS, DEV_SEED, devCredentials, startAwsLocal, type AwsLocal, type Seed } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { aeadSeal, bindingData, encryptionContextFor, EnvelopeSealer, REPLY_BINDING_VERSION, type IssuedClearFields } from "@credvend/envelope";
import {
  CredvendError, decodeRequest, encodeCredentials, encodeErrorReply, encodeSuccessReply, messages, type EncryptedCredentialsInit, replySubject, replyWildcard, requestSubject,
} from "@credvend/protocol";
import { startNatsServer, uniqueName, uniqueRequestId, type NatsServerHandle } from "@credvend/testkit";
import { connect, type Msg, type NatsConnection } from "nats";
import { createServer } from "node:net";
import { demoConfig } from "./support/config.js";
import { REGION, REPLY_KEY_ARN, startHarness, type Harness } from "./support/harness.js";

const ATTACKER_KEY_ID = "a77ac4e2-0000-4000-8000-00000000f0f0";
const ATTACKER_KEY_ARN = `arn:aws:kms:${REGION}:${DEV_ACCOUNT_ID}:key/${ATTACKER_KEY_ID}`;
const user = (name: string) => `arn:aws:iam::${DEV_ACCOUNT_ID}:user/${name}`;

/**
 * The dev seed plus a key the attacker (other-app) controls, whose policy lets the victim
 * (demo-app) decrypt: a requester that trusted whatever key a reply names would open it.
 */
const attackerKey: Seed["kms_keys"][number] = {
  id: ATTACKER_KEY_ID,
  aliases: ["alias/attacker"],
  enabled: true,
  policy: {
    Version: "2012-10-17",
    Statement: [
      { Effect: "Allow", Principal: { AWS: user("other-app") }, Action: ["kms:GenerateDataKey"], Resource: "*" },
      { Effect: "Allow", Principal: { AWS: user("demo-app") }, Action: "kms:Decrypt", Resource: "*" },
    ],
  },
};
const seedWithAttackerKey: Seed = { ...DEV_SEED, kms_keys: [...DEV_SEED.kms_keys, attackerKey] };

const HOUR_MS = 3_600_000;
const GENUINE_KEY = "ASIAGENUINEGENUINE01";

interface Plain { readonly accessKeyId: string; readonly expirationMs: number }

describe("forged replies on the reply subject (scripted responder, real NATS and KMS)", () => {
  let nats: NatsServerHandle;
  let local: AwsLocal;
  let nc: NatsConnection;
  let vendorSealer: EnvelopeSealer;
  let attackerKms: KMSClient;
  const kmsClients: KMSClient[] = [];
  const kmsAs = (name: string) => {
    const kms = new KMSClient({ region: REGION, endpoint: local.endpoint, credentials: devCredentials(name) });
    kmsClients.push(kms);
    return kms;
  };

  before(async () => {
    nats = await startNatsServer({ jetstream: false });
    local = await startAwsLocal({ port: 0, region: REGION, seed: seedWithAttackerKey, logger: () => undefined });
    nc = await connect({ servers: nats.url });
    vendorSealer = new EnvelopeSealer({ kms: kmsAs("credvend-vendor"), keyId: DEV_REPLY_KEY_ALIAS });
    attackerKms = kmsAs("other-app");
  });
  after(async () => {
    for (const k of kmsClients) k.destroy();
    await nc?.close();
    await local?.stop();
    await nats?.stop();
  });

  const clear = (plain: Plain, extra: Partial<IssuedClearFields> = {}): IssuedClearFields => ({
    expirationMs: plain.expirationMs,
    assumedRoleArn: `arn:aws:sts::${DEV_ACCOUNT_ID}:assumed-role/credvend-demo/genuine`,
    accessKeyId: plain.accessKeyId,
    sourceIdentity: "",
    packedPolicySize: 3,
    ...extra,
  });
  const credentials = (plain: Plain) => encodeCredentials({ ...plain, secretAccessKey: "secret", sessionToken: "token" });

  /** A reply as the worker makes it: sealed under the reply key with the vendor's identity. */
  async function sealedReply(tenant: string, requestId: string, plain: Plain, clearExtra: Partial<IssuedClearFields> = {}): Promise<Uint8Array> {
    const sealed = await vendorSealer.seal({ tenant, principal: "demo-app" }, requestId, clear(plain, clearExtra), credentials(plain));
    return encodeSuccessReply(requestId, sealed, Date.now());
  }
  const genuine = (tenant: string, requestId: string) => sealedReply(tenant, requestId, { accessKeyId: GENUINE_KEY, expirationMs: Date.now() + HOUR_MS });

  /** Edits a field of an encoded reply's envelope, as anyone on the wire can. */
  function rewrite(reply: Uint8Array, edit: (c: EncryptedCredentialsInit) => void): Uint8Array {
    const decoded = messages.CredentialReply.decode(reply);
    if (!decoded.credentials) throw new Error("not a credentials reply");
    edit(decoded.credentials);
    return messages.CredentialReply.encode(decoded).finish();
  }

  /**
   * Answers every request of `tenant` with `forged` replies first, then (unless `noGenuine`) the
   * genuine one, all on the requester's reply subject from one connection, so they arrive in order.
   */
  async function responder(tenant: string, forged: (requestId: string) => Promise<Uint8Array[]>, noGenuine = false) {
    const published = { forged: 0, genuine: 0 };
    const sub = nc.subscribe(requestSubject(tenant, "demo-app"), {
      callback: (_err, msg: Msg) => {
        const requestId = decodeRequest(msg.data).requestId;
        const subject = replySubject(tenant, "demo-app", requestId);
        void (async () => {
          for (const bytes of await forged(requestId)) {
            nc.publish(subject, bytes);
            published.forged += 1;
          }
          if (!noGenuine) {
            nc.publish(subject, await genuine(tenant, requestId));
            published.genuine += 1;
          }
        })();
      },
    });
    await nc.flush();
    return { published, stop: () => sub.unsubscribe() };
  }

  const clientFor = (tenant: string, o: { timeoutMs?: number; attempts?: number } = {}) =>
    new CredvendClient({ nc, tenant, principal: "demo-app", kms: kmsAs("demo-app"), replyKeyArn: REPLY_KEY_ARN, timeoutMs: o.timeoutMs ?? 3000, attempts: o.attempts ?? 1 });

  /** The forged replies are published first; the client must return the genuine credentials. */
  async function assertIgnored(forged: (tenant: string, requestId: string) => Promise<Uint8Array[]>): Promise<void> {
    const tenant = uniqueName("forge");
    const r = await responder(tenant, (id) => forged(tenant, id));
    try {
      const creds = await clientFor(tenant).request({ template: "t" });
      assert.equal(creds.accessKeyId, GENUINE_KEY, "the client took the genuine reply");
      assert.match(creds.arn, /assumed-role\/credvend-demo\/genuine$/);
      assert.ok(r.published.forged > 0 && r.published.genuine === 1);
    } finally {
      r.stop();
    }
  }

  /** The attacker's own data key under its own KMS key, for the victim's encryption context. */
  async function attackerEnvelope(tenant: string, requestId: string, claimedKeyArn: string): Promise<Uint8Array> {
    const context = encryptionContextFor({ tenant, principal: "demo-app" });
    const dk = await attackerKms.send(new GenerateDataKeyCommand({ KeyId: "alias/attacker", KeySpec: "AES_256", EncryptionContext: context }));
    assert.equal(dk.KeyId, ATTACKER_KEY_ARN);
    const plain = { accessKeyId: "ASIAATTACKERSKEY0001", expirationMs: Date.now() + HOUR_MS };
    const fields = { ...clear(plain), kmsKeyId: claimedKeyArn, encryptionContext: context };
    // The attacker holds the data key, so it can bind any clear fields it likes: only KMS's key
    // check can tell this envelope from the worker's.
    const { nonce, ciphertext } = aeadSeal(dk.Plaintext ?? new Uint8Array(), credentials(plain), bindingData(requestId, fields));
    return encodeSuccessReply(requestId, { ...fields, encryptedDataKey: dk.CiphertextBlob, nonce, ciphertext, binding: REPLY_BINDING_VERSION }, Date.now());
  }

  test("an envelope sealed under another KMS key (one the requester may decrypt) is refused", async () => {
    await assertIgnored(async (tenant, id) => [await attackerEnvelope(tenant, id, ATTACKER_KEY_ARN)]);
  });

  test("an envelope under another key that claims the pinned key id is refused by KMS's own key check", async () => {
    await assertIgnored(async (tenant, id) => [await attackerEnvelope(tenant, id, REPLY_KEY_ARN)]);
  });

  test("already-expired credentials, sealed under the real reply key, are refused", async () => {
    await assertIgnored(async (tenant, id) => [await sealedReply(tenant, id, { accessKeyId: "ASIAEXPIREDEXPIRED01", expirationMs: Date.now() - 1000 })]);
  });

  test("a clear access_key_id that differs from the sealed one is refused", async () => {
    await assertIgnored(async (tenant, id) => [
      // Sealed that way (the clear field is bound, the sealed credentials say otherwise) ...
      await sealedReply(tenant, id, { accessKeyId: "ASIASEALEDSEALED0001", expirationMs: Date.now() + HOUR_MS }, { accessKeyId: "ASIACLEARCLEAR000001" }),
      // ... and changed on the wire after sealing.
      rewrite(await sealedReply(tenant, id, { accessKeyId: "ASIASEALEDSEALED0002", expirationMs: Date.now() + HOUR_MS }), (c) => { c.accessKeyId = "ASIACLEARCLEAR000002"; }),
    ]);
  });

  test("a forged assumed_role_arn (or any other clear field) on a sealed reply is refused", async () => {
    const edits: ((c: EncryptedCredentialsInit) => void)[] = [
      (c) => { c.assumedRoleArn = `arn:aws:sts::${DEV_ACCOUNT_ID}:assumed-role/admin/forged`; },
      (c) => { c.sourceIdentity = "forged"; },
      (c) => { c.expirationMs = Date.now() + 48 * HOUR_MS; },
      (c) => { c.packedPolicySize = 99; },
      (c) => { c.binding = 0; },
    ];
    await assertIgnored(async (tenant, id) => Promise.all(edits.map(async (edit) => rewrite(await genuine(tenant, id), edit))));
  });

  test("error replies with an empty or another request id, and junk, are ignored", async () => {
    const denial = new CredvendError("CV_ERR_NOT_ENTITLED", "forged refusal");
    await assertIgnored(async (tenant) => [
      encodeErrorReply("", denial, Date.now()),
      encodeErrorReply(uniqueRequestId(), denial, Date.now()),
      await genuine(tenant, uniqueRequestId()),
      Uint8Array.from([0x0a, 0xff, 0xff]),
    ]);
  });

  test("with only forged replies the client waits out its timeout and reports what it refused", async () => {
    const tenant = uniqueName("forge");
    const r = await responder(tenant, async (id) => [await attackerEnvelope(tenant, id, ATTACKER_KEY_ARN)], true);
    const decrypts = async () => (await local.admin.calls())["kms:Decrypt"]?.total ?? 0;
    const decryptsBefore = await decrypts();
    try {
      const started = Date.now();
      await assert.rejects(clientFor(tenant, { timeoutMs: 400, attempts: 2 }).request({ template: "t" }), (error: unknown) => {
        assert.ok(error instanceof CredvendError, String(error));
        assert.equal(error.reason, "CV_ERR_CLIENT_DECRYPT", error.message);
        assert.match(error.message, new RegExp(`sealed under KMS key '${ATTACKER_KEY_ARN}'; this client accepts only its reply key`));
        assert.match(error.message, /2 replies refused in all/);
        return true;
      });
      assert.ok(Date.now() - started >= 800, "did not give up on the first forged reply");
      assert.equal(r.published.forged, 2, "one forged reply per attempt");
      assert.equal(await decrypts(), decryptsBefore, "refused before any KMS call");
    } finally {
      r.stop();
    }
  });
});

describe("forged replies racing the real worker, and the requester's KMS down", () => {
  let h: Harness;
  let attacker: NatsConnection;
  const tenant = uniqueName("forge");

  before(async () => {
    h = await startHarness({ config: demoConfig({ tenants: [tenant] }) });
    attacker = await connect({ servers: h.natsUrl, name: "attacker" });
  });
  after(async () => {
    await attacker?.close();
    await h?.stop();
  });

  test("forged replies published as soon as a request is seen do not displace the worker's reply", async () => {
    const client = h.client(tenant, "demo-app", { attempts: 1 });
    // A genuine reply to an earlier request, replayed with this request's id.
    let stale: Uint8Array | undefined;
    const capture = attacker.subscribe(replyWildcard(tenant, "demo-app"), { callback: (_e, m) => { stale ??= m.data; } });
    await attacker.flush();
    const earlier = await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
    await attacker.flush();
    capture.unsubscribe();
    let forged = 0;
    assert.ok(stale, "captured a genuine reply");
    const sub = attacker.subscribe(requestSubject(tenant, "demo-app"), {
      callback: (_err, msg) => {
        const requestId = decodeRequest(msg.data).requestId;
        const subject = replySubject(tenant, "demo-app", requestId);
        const replayed = messages.CredentialReply.decode(stale as Uint8Array);
        replayed.requestId = requestId;
        for (const bytes of [
          encodeErrorReply("", new CredvendError("CV_ERR_NOT_ENTITLED", "forged"), Date.now()),
          encodeErrorReply(uniqueRequestId(), new CredvendError("CV_ERR_NOT_ENTITLED", "forged"), Date.now()),
          messages.CredentialReply.encode(replayed).finish(),
        ]) {
          attacker.publish(subject, bytes);
          forged += 1;
        }
      },
    });
    await attacker.flush();
    try {
      const creds = await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
      assert.notEqual(creds.accessKeyId, earlier.accessKeyId, "not the replayed credentials");
      assert.match(creds.accessKeyId, /^ASIA/);
      assert.match(creds.arn, /assumed-role\/credvend-demo\//);
      assert.equal(forged, 3);
    } finally {
      sub.unsubscribe();
    }
  });

  test("an STS error whose message echoes a token-like input reaches the requester without it", async () => {
    const tokenLike = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJkZW1vIn0.FwoGZXIvYXdzEJrSESSIONTOKENLIKE";
    await h.awsLocal.admin.setFaults({ errors: [{ operation: "sts:AssumeRole", code: "ValidationError", status: 400, message: `1 validation error detected: Value '${tokenLike}' at 'webIdentityToken' failed to satisfy constraint` }] });
    try {
      await assert.rejects(h.client(tenant, "demo-app", { attempts: 1 }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" } }), (error: unknown) => {
        assert.ok(error instanceof CredvendError, String(error));
        assert.equal(error.reason, "CV_ERR_STS_REJECTED_INPUT", error.message);
        assert.match(error.message, /STS rejected the AssumeRole request the template produced \(ValidationError\)/);
        assert.doesNotMatch(error.message, /eyJhbGciOi|FwoGZXIvYXdz|validation error detected/);
        return true;
      });
    } finally {
      await h.awsLocal.admin.setFaults({});
    }
  });

  test("an unreachable KMS on the requester's side is retryable UNAVAILABLE, and the retry costs no STS call", async () => {
    const closedPort = await new Promise<number>((resolve) => {
      const server = createServer();
      server.listen(0, "127.0.0.1", () => {
        const address = server.address();
        server.close(() => resolve(typeof address === "object" && address ? address.port : 0));
      });
    });
    const kms = new KMSClient({ region: REGION, endpoint: `http://127.0.0.1:${closedPort}`, credentials: devCredentials("demo-app"), maxAttempts: 1 });
    const before = (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;
    try {
      const client = new CredvendClient({ nc: h.nc, tenant, principal: "demo-app", kms, replyKeyArn: REPLY_KEY_ARN, timeoutMs: 2000, attempts: 2 });
      await assert.rejects(client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } }), (error: unknown) => {
        assert.ok(error instanceof CredvendError, String(error));
        assert.equal(error.code, "UNAVAILABLE", `${error.reason}: ${error.message}`);
        assert.equal(error.reason, "CV_ERR_AWS_UNAVAILABLE");
        assert.equal(error.retryable, true);
        assert.match(error.message, /requester's KMS could not decrypt the reply/);
        return true;
      });
    } finally {
      kms.destroy();
    }
    const after = (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;
    assert.equal(after - before, 1, "the second attempt was served from the idempotency record");
  });
});
