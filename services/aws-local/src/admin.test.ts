import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { AssumeRoleCommand, GetCallerIdentityCommand } from "@aws-sdk/client-sts";
import { DescribeKeyCommand } from "@aws-sdk/client-kms";
import { AdminRequestError } from "./admin/client.js";
import { ADMIN_TOKEN_HEADER } from "./admin/guard.js";
import { kmsClient, rawRequest, sdkError, startQuiet, stsClient } from "./testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;

describe("faults and the admin path", () => {
  let local: Local;
  before(async () => {
    local = await startQuiet();
  });
  after(async () => local.stop());
  beforeEach(async () => local.admin.reset());

  it("an injected Throttling error is retried by the SDK, and both attempts are counted", async () => {
    await local.admin.setFaults({ errors: [{ operation: "sts:GetCallerIdentity", code: "Throttling", status: 400, count: 1, message: "Rate exceeded" }] });
    const out = await stsClient(local, "credvend-vendor", 3).send(new GetCallerIdentityCommand({}));
    assert.equal(out.$metadata.attempts, 2);
    const calls = await local.admin.calls();
    assert.deepEqual(calls["sts:GetCallerIdentity"], { total: 2, ok: 1, failed: 1, errors: { Throttling: 1 } });
    const state = await local.admin.faults();
    assert.equal(state.errors[0]?.remaining, 0);
  });

  it("a token-bucket throttle answers Throttling (STS) / ThrottlingException (KMS) once the burst is spent", async () => {
    await local.admin.setFaults({ throttle: { "sts:*": { ratePerSecond: 0.01, burst: 2 }, "kms:DescribeKey": { ratePerSecond: 0.01, burst: 1 } } });
    const sts = stsClient(local);
    await sts.send(new GetCallerIdentityCommand({}));
    await sts.send(new GetCallerIdentityCommand({}));
    const err = await sdkError(() => sts.send(new GetCallerIdentityCommand({})));
    assert.equal(err.name, "Throttling");
    assert.equal(err.message, "Rate exceeded");
    assert.equal(err.$metadata?.httpStatusCode, 400);
    const kms = kmsClient(local);
    await kms.send(new DescribeKeyCommand({ KeyId: "alias/credvend-replies" }));
    const kerr = await sdkError(() => kms.send(new DescribeKeyCommand({ KeyId: "alias/credvend-replies" })));
    assert.equal(kerr.name, "ThrottlingException");
  });

  it("latency is added per operation; injected 5xx errors are retried as transient", async () => {
    await local.admin.setFaults({
      latencyMs: { "sts:GetCallerIdentity": 150 },
      errors: [{ operation: "sts:AssumeRole", code: "InternalFailure", status: 500, count: 1 }],
    });
    const t0 = Date.now();
    await stsClient(local).send(new GetCallerIdentityCommand({}));
    assert.ok(Date.now() - t0 >= 140);
    const out = await stsClient(local, "credvend-vendor", 2).send(
      new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/credvend-demo", RoleSessionName: "retry" }),
    );
    assert.equal(out.$metadata.attempts, 2);
  });

  it("faults can be set at start-up", async () => {
    const other = await startQuiet({ faults: { errors: [{ operation: "*", code: "ServiceUnavailable", status: 503, count: 1 }] } });
    try {
      const err = await sdkError(() => stsClient(other).send(new GetCallerIdentityCommand({})));
      assert.equal(err.name, "ServiceUnavailable");
      assert.equal(err.$metadata?.httpStatusCode, 503);
    } finally {
      await other.stop();
    }
  });

  it("bad fault configs are rejected with what to fix", async () => {
    await assert.rejects(
      () => local.admin.setFaults({ latencyMs: { "sts:AssumeRole": -1 } }),
      (err: unknown) => err instanceof AdminRequestError && err.status === 400 && /latencyMs\["sts:AssumeRole"\]/.test(err.message),
    );
    await assert.rejects(() => startQuiet({ faults: { errors: [{ operation: "x", code: "Y", status: 200 }] } }), /status must be 400..599/);
  });

  it("clock: advance, set and read; reset clears sessions, counts, faults and the clock", async () => {
    const before = await local.admin.clock();
    const moved = await local.admin.advanceClock(7200);
    assert.ok(moved.offsetMs >= 7_200_000 - 1000 && moved.nowMs - before.nowMs >= 7_199_000);
    const pinned = await local.admin.setClock(Date.UTC(2030, 0, 1));
    assert.ok(Math.abs(pinned.nowMs - Date.UTC(2030, 0, 1)) < 1000);
    const out = await stsClient(local).send(
      new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/credvend-demo", RoleSessionName: "future" }),
    );
    assert.equal(out.Credentials?.Expiration?.getUTCFullYear(), 2030);
    await local.admin.setFaults({ latencyMs: { "*": 1 } });
    await local.admin.reset();
    assert.equal(await local.admin.session(out.Credentials?.AccessKeyId ?? ""), undefined);
    assert.deepEqual(await local.admin.calls(), {});
    assert.deepEqual((await local.admin.faults()).latencyMs, {});
    assert.equal((await local.admin.clock()).offsetMs, 0);
  });

  it("unknown admin routes and bad bodies are JSON errors", async () => {
    const token = { [ADMIN_TOKEN_HEADER]: local.adminToken };
    const r = await rawRequest(local, { method: "GET", path: "/_aws-local/nope", headers: token });
    assert.equal(r.status, 404);
    assert.match(JSON.parse(r.text).error, /unknown admin route/);
    const c = await rawRequest(local, { path: "/_aws-local/clock", body: "{bad", headers: token });
    assert.equal(c.status, 400);
    const health = await local.admin.health();
    assert.equal(health.accountId, "000000000000");
    assert.equal(health.emulator, "aws-local");
  });
});
