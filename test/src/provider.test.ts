// fromCredvend, the AWS SDK credential provider, end to end: real NATS, Redis, worker and
// aws-local, the unmodified STS client signing with what the provider returns.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { CredentialCache, CredvendError, fromCredvend, type CredvendProvider } from "@credvend/client";
import { requestSubject } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import { demoConfig, s3ReadTemplate } from "./support/config.js";
import { REGION, REPLY_KEY_ARN, startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("prov");
let h: Harness;
const MIN = 60_000;

before(async () => {
  const config = demoConfig({ tenants: [tenant], extraTemplates: s3ReadTemplate("s3-other-read") })
    .replace('templates: ["s3-tenant-read"]', 'templates: ["s3-tenant-read", "s3-other-read"]');
  h = await startHarness({ config });
});
after(async () => {
  await h?.stop();
});

const assumeRoleCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;

/** Counts the requests that reach NATS for (tenant, principal), next to the vendor's own subscription. */
async function requestCounter(principal = "demo-app") {
  let seen = 0;
  const sub = h.nc.subscribe(requestSubject(tenant, principal), { callback: () => { seen += 1; } });
  await h.nc.flush();
  return { get seen() { return seen; }, stop: () => sub.unsubscribe() };
}

/** The provider's clock, as far ahead of the wall as aws-local's emulated one, and moved with it. */
async function movableClock() {
  let skewMs = (await h.awsLocal.admin.clock()).offsetMs;
  return {
    now: () => Date.now() + skewMs,
    async advance(ms: number) {
      skewMs += ms;
      await h.awsLocal.admin.advanceClock(ms / 1000);
    },
  };
}

async function callerArn(provider: CredvendProvider): Promise<string> {
  const sts = new STSClient({ region: REGION, endpoint: h.awsLocal.endpoint, credentials: provider });
  try {
    return (await sts.send(new GetCallerIdentityCommand({}))).Arn ?? "";
  } finally {
    sts.destroy();
  }
}

test("the unmodified STS client signs with the provider's credentials; it refreshes before expiry, not after", async () => {
  const clock = await movableClock();
  const provider = fromCredvend({ client: h.client(tenant, "demo-app"), template: "s3-tenant-read", params: { bucket: "acme-data" }, refreshJitterMs: 0, now: clock.now });
  const startCalls = await assumeRoleCalls();
  const first = await provider();
  assert.match(await callerArn(provider), /^arn:aws:sts::000000000000:assumed-role\/credvend-demo\//);
  assert.ok(first.expiration.getTime() - clock.now() > 14 * MIN, "a 900 s credential");

  await clock.advance(9 * MIN); // 6 min left: the 5 min margin is not reached
  assert.equal((await provider()).accessKeyId, first.accessKeyId);
  assert.equal(await assumeRoleCalls(), startCalls + 1);

  await clock.advance(2 * MIN); // 4 min left: refreshed before it expires
  const second = await provider();
  assert.notEqual(second.accessKeyId, first.accessKeyId);
  assert.ok(second.expiration.getTime() - clock.now() > 14 * MIN);
  assert.equal(await assumeRoleCalls(), startCalls + 2);
  assert.match(await callerArn(provider), /assumed-role\/credvend-demo\//);
});

test("one request for a hundred concurrent callers", async () => {
  const counter = await requestCounter();
  const startCalls = await assumeRoleCalls();
  const provider = fromCredvend({ client: h.client(tenant, "demo-app"), template: "s3-tenant-read", params: { bucket: "acme-data" } });
  const all = await Promise.all(Array.from({ length: 100 }, () => provider()));
  assert.equal(new Set(all.map((c) => c.accessKeyId)).size, 1);
  await h.nc.flush();
  counter.stop();
  assert.equal(counter.seen, 1, "one request on NATS");
  assert.equal(await assumeRoleCalls(), startCalls + 1, "one AssumeRole");
});

test("providers sharing a cache share only identical requests by the same client", async () => {
  const cache = new CredentialCache();
  const demo = h.client(tenant, "demo-app");
  const acme = fromCredvend({ client: demo, cache, template: "s3-tenant-read", params: { bucket: "acme-data" } });
  const acmeAgain = fromCredvend({ client: demo, cache, template: "s3-tenant-read", params: { bucket: "acme-data" } });
  const shared = fromCredvend({ client: demo, cache, template: "s3-tenant-read", params: { bucket: "shared-data" } });
  const longer = fromCredvend({ client: demo, cache, template: "s3-tenant-read", params: { bucket: "acme-data" }, durationSeconds: 1800 });
  const otherTemplate = fromCredvend({ client: demo, cache, template: "s3-other-read", params: { bucket: "acme-data" } });
  const otherPrincipal = fromCredvend({ client: h.client(tenant, "other-app"), cache, template: "s3-tenant-read", params: { bucket: "acme-data" } });
  const otherClient = fromCredvend({ client: h.client(tenant, "demo-app"), cache, template: "s3-tenant-read", params: { bucket: "acme-data" } });

  const [a, a2, s, l, t, p, c] = await Promise.all([acme(), acmeAgain(), shared(), longer(), otherTemplate(), otherPrincipal(), otherClient()]);
  assert.ok(a && a2 && s && l && t && p && c);
  assert.equal(a2.accessKeyId, a.accessKeyId, "identical request, same client: one credential");
  const distinct = [a, s, l, t, p, c].map((x) => x.accessKeyId);
  assert.equal(new Set(distinct).size, distinct.length, "everything else has a credential of its own");

  const view = async (id: string) => h.awsLocal.admin.session(id);
  assert.match(JSON.stringify((await view(a.accessKeyId))?.sessionPolicy), /acme-data/);
  assert.match(JSON.stringify((await view(s.accessKeyId))?.sessionPolicy), /shared-data/);
  const lifetime = async (id: string) => { const v = await view(id); return v ? v.expiresAtMs - v.issuedAtMs : 0; };
  assert.equal(await lifetime(l.accessKeyId), 1800_000);
  assert.equal(await lifetime(a.accessKeyId), 900_000);
  assert.match((await view(p.accessKeyId))?.roleSessionName ?? "", /other-app/);
});

test("never an expired credential: a failed refresh serves the cached one while it lasts, then throws the typed error", async () => {
  const clock = await movableClock();
  const provider = fromCredvend({ client: h.client(tenant, "other-app", { attempts: 1 }), template: "s3-tenant-read", params: { bucket: "shared-data" }, refreshJitterMs: 0, now: clock.now });
  const first = await provider();
  await h.awsLocal.admin.setFaults({ errors: [{ operation: "sts:AssumeRole", code: "AccessDenied", status: 403, count: 1000, message: "injected" }] });
  try {
    await clock.advance(11 * MIN); // 4 min left: the refresh is due, and STS refuses it
    assert.equal((await provider()).accessKeyId, first.accessKeyId, "the cached credential, still valid");
    await clock.advance(4 * MIN); // expired now
    await assert.rejects(provider(), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_STS_ACCESS_DENIED" && e.code === "PERMISSION_DENIED");
  } finally {
    await h.awsLocal.admin.setFaults({});
  }
});

test("refusals surface as CredvendError and nothing else is tried", async () => {
  const provider = fromCredvend({ client: h.client(tenant, "demo-app"), template: "s3-tenant-read", params: { bucket: "not-allowed" } });
  await assert.rejects(provider(), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_PARAM_NOT_ALLOWED" && e.field === "params.bucket");
  // The SDK client given this provider fails with the same error instead of looking elsewhere
  // (environment, profiles, instance metadata) for credentials.
  await assert.rejects(callerArn(provider), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_PARAM_NOT_ALLOWED");
});

test("options that make a client: given what a client needs, or refused with what to fix", async () => {
  const provider = fromCredvend({
    client: { nc: h.nc, tenant, principal: "demo-app", kms: h.kmsFor("demo-app"), replyKeyArn: REPLY_KEY_ARN },
    template: "s3-other-read",
    params: { bucket: "acme-data" },
  });
  assert.match((await provider()).accessKeyId, /^ASIA/);
  assert.throws(() => fromCredvend({ client: { nc: h.nc, tenant, principal: "demo-app" }, template: "s3-other-read" }), /kms and replyKeyArn are required/);
});
