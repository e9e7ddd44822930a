import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { createRedis, waitReady } from "@credvend/guard";
import { CredvendError, encodeRequest, readReply, replySubject, type ReplyView } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { REGION, startHarness, type Harness } from "./support/harness.js";
import { sendRaw, sendRequest } from "./support/raw.js";

async function rejects(promise: Promise<unknown>, code: string, reason?: string): Promise<CredvendError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CredvendError, `expected a CredvendError, got ${String(error)}`);
    assert.equal(error.code, code, `${error.reason}: ${error.message}`);
    if (reason) assert.equal(error.reason, reason);
    return error;
  }
  assert.fail(`expected ${code}, but the request succeeded`);
}

describe("vending end to end (NATS, Redis, aws-local, unmodified AWS SDK)", () => {
  let h: Harness;
  const tenant = uniqueName("vend");
  const assumeRoleCalls = async () => (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.total ?? 0;

  before(async () => {
    h = await startHarness({ config: demoConfig({ tenants: [tenant] }) });
  });
  after(async () => {
    await h?.stop();
  });

  test("a full vend: the requester decrypts credentials of the template's role, scoped by the rendered policy", async () => {
    const creds = await h.client(tenant, "demo-app").request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
    assert.match(creds.accessKeyId, /^ASIA[A-Z2-7]{16}$/);
    assert.match(creds.arn, /^arn:aws:sts::000000000000:assumed-role\/credvend-demo\//);
    assert.ok(creds.expiration.getTime() > Date.now() + 800_000, "default duration of 900 s");

    const sts = new STSClient({ region: REGION, endpoint: h.awsLocal.endpoint, credentials: creds });
    const who = await sts.send(new GetCallerIdentityCommand({}));
    sts.destroy();
    assert.equal(who.Arn, creds.arn);

    const session = await h.awsLocal.admin.session(creds.accessKeyId);
    assert.ok(session, "aws-local knows the issued session");
    assert.deepEqual(session.sessionPolicy, {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: ["arn:aws:s3:::acme-data", `arn:aws:s3:::acme-data/${tenant}/*`] }],
    });
    const tags = session.sessionTags;
    assert.equal(tags["tenant"], tenant);
    assert.equal(tags["credvend-tenant"], tenant);
    assert.equal(tags["credvend-principal"], "demo-app");
    assert.equal(session.sourceIdentity, `${tenant}.demo-app`, "the principal qualified by its tenant");
  });

  test("a retry with the same request id gets the same reply and costs no second AssumeRole", async () => {
    const client = h.client(tenant, "demo-app");
    const requestId = uniqueRequestId();
    const before = await assumeRoleCalls();
    const first = await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });
    const second = await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });
    assert.equal(await assumeRoleCalls(), before + 1);
    assert.equal(first.replayed, false);
    assert.equal(second.replayed, true);
    assert.equal(second.accessKeyId, first.accessKeyId);
    assert.equal(second.secretAccessKey, first.secretAccessKey);
    // The stored reply lives no longer than its credentials (900 s here), not the 24 h default.
    const redis = createRedis(h.redisUrl);
    try {
      await waitReady(redis, 2000);
      const ttl = await redis.pttl(`credvend:idem:{${tenant}}:demo-app:${requestId}`);
      assert.ok(ttl > 0 && ttl <= first.expiration.getTime() - Date.now() + 1000, `record ttl ${ttl} ms`);
    } finally {
      redis.disconnect();
    }
  });

  test("50 concurrent duplicates of one request id cause exactly one AssumeRole, and each gets exactly one reply", async () => {
    const client = h.client(tenant, "demo-app", { timeoutMs: 10_000 });
    const requestId = uniqueRequestId();
    const before = await assumeRoleCalls();
    // Every client request of one id listens on the same reply subject, so count what the worker
    // sent there: one reply per request, exactly one of them issued, the others replays of it.
    const sent: ReplyView[] = [];
    const spy = h.nc.subscribe(replySubject(tenant, "demo-app", requestId), { callback: (_e, m) => sent.push(readReply(m.data)) });
    await h.nc.flush();
    const results = await Promise.all(Array.from({ length: 50 }, () => client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId })));
    for (let i = 0; i < 200 && sent.length < 50; i += 1) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    spy.unsubscribe();
    assert.equal(await assumeRoleCalls(), before + 1);
    assert.equal(new Set(results.map((r) => r.accessKeyId)).size, 1);
    assert.equal(sent.length, 50);
    assert.equal(sent.filter((r) => r.kind === "credentials" && !r.replayed).length, 1);
    assert.equal(sent.filter((r) => r.kind === "credentials" && r.replayed).length, 49);
  });

  test("the same request id with different content is refused", async () => {
    const client = h.client(tenant, "demo-app");
    const requestId = uniqueRequestId();
    await client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" }, requestId });
    const err = await rejects(client.request({ template: "s3-tenant-read", params: { bucket: "shared-data" }, requestId }), "INVALID_ARGUMENT", "CV_ERR_IDEMPOTENCY_KEY_REUSED");
    assert.match(err.message, /new request_id/);
  });

  test("an unknown template gets the same refusal as one the caller may not use (no template enumeration)", async () => {
    // "stranger" has no access rule at all; demo-app's rules name only the templates that exist.
    const stranger = h.client(tenant, "stranger", { kmsUser: "demo-app" });
    const missing = await rejects(stranger.request({ template: "no-such-template", params: {} }), "PERMISSION_DENIED", "CV_ERR_NOT_ENTITLED");
    const forbidden = await rejects(stranger.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } }), "PERMISSION_DENIED", "CV_ERR_NOT_ENTITLED");
    assert.equal(missing.message.replace('"no-such-template"', "<t>"), forbidden.message.replace('"s3-tenant-read"', "<t>"));
    await rejects(h.client(tenant, "demo-app").request({ template: "no-such-template", params: {} }), "PERMISSION_DENIED", "CV_ERR_NOT_ENTITLED");
  });

  test("a parameter outside its pattern is INVALID_ARGUMENT and names the parameter", async () => {
    const err = await rejects(h.client(tenant, "demo-app").request({ template: "s3-tenant-read", params: { bucket: "Bad_Bucket*" } }), "INVALID_ARGUMENT");
    assert.equal(err.field, "params.bucket");
  });

  test("a valid parameter value the caller's rule does not allow is PERMISSION_DENIED", async () => {
    await rejects(h.client(tenant, "demo-app").request({ template: "s3-tenant-read", params: { bucket: "other-bucket" } }), "PERMISSION_DENIED", "CV_ERR_PARAM_NOT_ALLOWED");
  });

  test("a principal with no access rule is PERMISSION_DENIED", async () => {
    await rejects(h.client(tenant, "stranger", { kmsUser: "demo-app" }).request({ template: "s3-tenant-read", params: { bucket: "acme-data" } }), "PERMISSION_DENIED", "CV_ERR_NOT_ENTITLED");
  });

  test("STS AccessDenied (role does not trust the call) is PERMISSION_DENIED", async () => {
    const before = await assumeRoleCalls();
    const err = await rejects(h.client(tenant, "demo-app").request({ template: "untrusted-role", params: {} }), "PERMISSION_DENIED", "CV_ERR_STS_ACCESS_DENIED");
    assert.match(err.message, /trust policy/);
    assert.equal(await assumeRoleCalls(), before + 1);
  });

  test("random bytes get INVALID_ARGUMENT and the worker keeps serving", async () => {
    for (const garbage of [Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), Uint8Array.from([0xff, 0xff, 0xff]), Uint8Array.from([0x07])]) {
      const reply = await sendRaw(h.nc, tenant, "demo-app", garbage);
      assert.equal(reply.kind, "error");
      if (reply.kind === "error") assert.equal(reply.error.code, "INVALID_ARGUMENT");
    }
    const creds = await h.client(tenant, "demo-app").request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
    assert.match(creds.accessKeyId, /^ASIA/);
  });

  test("a stale request (a replay) is refused without calling AWS", async () => {
    const before = await assumeRoleCalls();
    const reply = await sendRequest(h.nc, tenant, "demo-app", { clientTimeMs: Date.now() - 3_600_000 });
    assert.equal(reply.kind, "error");
    if (reply.kind === "error") {
      assert.equal(reply.error.code, "INVALID_ARGUMENT");
      assert.equal(reply.error.reason, "CV_ERR_REQUEST_STALE");
    }
    assert.equal(await assumeRoleCalls(), before);
  });

  test("a request past its deadline is DEADLINE_EXCEEDED without calling AWS", async () => {
    const before = await assumeRoleCalls();
    const reply = await sendRequest(h.nc, tenant, "demo-app", { deadlineMs: Date.now() - 1000 });
    assert.equal(reply.kind === "error" && reply.error.code, "DEADLINE_EXCEEDED");
    assert.equal(await assumeRoleCalls(), before);
  });

  test("missing request fields name the field to fix", async () => {
    const reply = await sendRaw(h.nc, tenant, "demo-app", encodeRequest({ template: "s3-tenant-read", clientTimeMs: Date.now() }));
    assert.equal(reply.kind, "error");
    if (reply.kind === "error") {
      assert.equal(reply.error.code, "INVALID_ARGUMENT");
      assert.equal(reply.error.field, "request_id");
    }
  });
});

describe("rate limits", () => {
  let h: Harness;
  const tenant = uniqueName("rl");
  before(async () => {
    h = await startHarness({ config: demoConfig({ tenants: [tenant], perPrincipal: { perSecond: 1, burst: 2 } }) });
  });
  after(async () => {
    await h?.stop();
  });

  test("exceeding the per-principal limit is RESOURCE_EXHAUSTED with a retry-after", async () => {
    const client = h.client(tenant, "demo-app", { attempts: 1 });
    const outcomes = await Promise.allSettled(Array.from({ length: 6 }, () => client.request({ template: "s3-tenant-read", params: { bucket: "acme-data" } })));
    const refused = outcomes.filter((o): o is PromiseRejectedResult => o.status === "rejected").map((o) => o.reason as CredvendError);
    assert.ok(outcomes.filter((o) => o.status === "fulfilled").length >= 2, "the burst is served");
    assert.ok(refused.length >= 3, `expected refusals, got ${refused.length}`);
    for (const err of refused) {
      assert.equal(err.code, "RESOURCE_EXHAUSTED");
      assert.equal(err.reason, "CV_ERR_RATE_LIMITED");
      assert.ok((err.retryAfterMs ?? 0) > 0 && (err.retryAfterMs ?? 0) <= 1000, `retry after ${err.retryAfterMs}`);
    }
    // Another principal of the same tenant has its own budget.
    const other = await h.client(tenant, "other-app").request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });
    assert.match(other.accessKeyId, /^ASIA/);
  });
});
