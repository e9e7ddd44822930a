// The dev seed's reply key delegates to IAM (its statements name the account root), as on AWS: a
// requester whose IAM policy lacks kms:Decrypt cannot open its reply, and the worker without
// kms:GenerateDataKey in IAM cannot seal. Decrypt is bound to both context keys.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DecryptCommand, GenerateDataKeyCommand } from "@aws-sdk/client-kms";
import { DEV_REPLY_KEY_ALIAS, DEV_SEED, DEV_TENANT_BOUND_TENANT } from "../dev-seed.js";
import { statementsOf } from "../iam/evaluate.js";
import type { Seed } from "../seed/schema.js";
import { kmsClient, sdkError, startQuiet, TEST_REGION } from "../testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;

/** The dev seed with one user's IAM policies replaced. */
function withPolicies(user: string, policies: Seed["users"][number]["policies"]): Seed {
  return { ...DEV_SEED, users: DEV_SEED.users.map((u) => (u.name === user ? { ...u, policies } : u)) };
}

async function sealFor(local: Local, tenant: string, principal: string): Promise<Uint8Array> {
  const dk = await kmsClient(local, "credvend-vendor").send(
    new GenerateDataKeyCommand({ KeyId: DEV_REPLY_KEY_ALIAS, KeySpec: "AES_256", EncryptionContext: { "credvend:tenant": tenant, "credvend:principal": principal } }),
  );
  return dk.CiphertextBlob ?? new Uint8Array();
}

const open = (local: Local, user: string, blob: Uint8Array, tenant: string, principal: string) =>
  kmsClient(local, user).send(new DecryptCommand({ CiphertextBlob: blob, EncryptionContext: { "credvend:tenant": tenant, "credvend:principal": principal } }));

describe("dev seed reply key: key policy delegates to IAM", () => {
  const started: Local[] = [];
  const start = async (seed: Seed = DEV_SEED) => {
    const local = await startQuiet({ seed, region: TEST_REGION });
    started.push(local);
    return local;
  };
  let dev: Local;
  before(async () => {
    dev = await start();
  });
  after(async () => Promise.all(started.map((l) => l.stop())));

  it("with the dev seed's IAM policies, the vendor seals and demo-app opens its own reply", async () => {
    const blob = await sealFor(dev, "any-tenant", "demo-app");
    assert.equal((await open(dev, "demo-app", blob, "any-tenant", "demo-app")).Plaintext?.length, 32);
  });

  it("demo-app without kms:Decrypt in IAM cannot open its reply, though the key policy's statement matches", async () => {
    const local = await start(withPolicies("demo-app", []));
    const blob = await sealFor(local, "acme", "demo-app");
    const err = await sdkError(() => open(local, "demo-app", blob, "acme", "demo-app"));
    assert.equal(err.name, "AccessDeniedException");
    assert.match(err.message, /no identity-based policy allows the kms:Decrypt action/);
  });

  it("the worker without kms:GenerateDataKey in IAM cannot seal", async () => {
    const vendor = DEV_SEED.users.find((u) => u.name === "credvend-vendor");
    const withoutSeal = (vendor?.policies ?? []).map((p) => ({
      ...p,
      document: { ...p.document, Statement: statementsOf(p.document).filter((s) => s.Sid !== "SealReplies") },
    }));
    const local = await start(withPolicies("credvend-vendor", withoutSeal));
    const err = await sdkError(() => sealFor(local, "acme", "demo-app"));
    assert.equal(err.name, "AccessDeniedException");
  });

  it("a tenant-bound requester opens replies for its own tenant only: both context keys are bound", async () => {
    const own = await sealFor(dev, DEV_TENANT_BOUND_TENANT, "acme-app");
    assert.equal((await open(dev, "acme-app", own, DEV_TENANT_BOUND_TENANT, "acme-app")).Plaintext?.length, 32);
    const otherTenant = await sealFor(dev, "globex", "acme-app");
    const err = await sdkError(() => open(dev, "acme-app", otherTenant, "globex", "acme-app"));
    assert.equal(err.name, "AccessDeniedException");
  });

  it("no requester opens another principal's reply, and a reply without a tenant opens for no one", async () => {
    const blob = await sealFor(dev, "acme", "demo-app");
    assert.equal((await sdkError(() => open(dev, "other-app", blob, "acme", "demo-app"))).name, "AccessDeniedException");
    const noTenant = await kmsClient(dev, "credvend-vendor").send(
      new GenerateDataKeyCommand({ KeyId: DEV_REPLY_KEY_ALIAS, KeySpec: "AES_256", EncryptionContext: { "credvend:principal": "demo-app" } }),
    );
    const err = await sdkError(() =>
      kmsClient(dev, "demo-app").send(new DecryptCommand({ CiphertextBlob: noTenant.CiphertextBlob, EncryptionContext: { "credvend:principal": "demo-app" } })),
    );
    assert.equal(err.name, "AccessDeniedException");
  });
});
