// What a vend costs Redis, counted by Redis itself (MONITOR on a private redis-server): a fresh
// vend is one round trip before STS (every rate limit and the idempotency claim in one script)
// and one after (the completion), nothing else; a refusal by a limit consumes and claims nothing;
// replays are charged; a request refused before its claim is charged to the caller's buckets, and
// a caller over its limit is told so rather than the other refusal; a flood past a limit costs
// Redis one script per retry-after, not one per request.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startRedisServer, uniqueName, uniqueRequestId, type RedisServerHandle } from "@credvend/testkit";
import { Redis } from "ioredis";
import { s3ReadTemplate } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";
import { reason, refusal } from "./support/outcome.js";

// One tenant per test (each its own buckets), the dev seed's principal (its KMS identity opens its replies).
const [tenant, charged, replayer, junk, flooder] = ["rtt", "rtt-charged", "rtt-replay", "rtt-junk", "rtt-flood"].map((name) => uniqueName(name)) as [string, string, string, string, string];
const PRINCIPAL = "demo-app";
const PRINCIPAL_BURST = 3;
const STS_LATENCY_MS = 300;
// One request every 100 s after the burst: nothing refills during the test.
const config = `templates:
${s3ReadTemplate("s3-read")}${s3ReadTemplate("s3-limited")}${s3ReadTemplate("s3-refills")}
access:
  - tenants: ${JSON.stringify([tenant, charged, replayer, junk, flooder])}
    principals: ["${PRINCIPAL}"]
    templates: ["s3-read", "s3-limited", "s3-refills"]
rate_limits:
  per_principal: { per_second: 0.01, burst: ${PRINCIPAL_BURST} }
  per_tenant: { per_second: 1000, burst: 1000 }
  per_template:
    s3-limited: { per_second: 0.01, burst: 1 }
    # One more request every 2 s: the retry-after ends within the test, and a loaded machine
    # still sends the refused request and the 20 after it before the bucket has room again.
    s3-refills: { per_second: 0.5, burst: 1 }
`;
const params = { bucket: "acme-data" };

let server: RedisServerHandle;
let connection: Redis;
let monitor: Redis;
let marker: Redis;
let h: Harness;
/** Commands the worker sent (not those its scripts ran), with when Redis saw them. */
const seen: { ms: number; args: string[] }[] = [];
/**
 * What the guard sends on its own schedule, whatever the requests: Redis's clock (TIME) and its
 * server and memory INFO, at each connection and every 30 to 60 s. No vend's round trip.
 */
const HOUSEKEEPING = new Set(["time", "info"]);

before(async () => {
  server = await startRedisServer();
  h = await startHarness({ config, redisUrl: server.url });
  connection = new Redis(server.url, { connectionName: "rtt-test-monitor" });
  marker = new Redis(server.url, { connectionName: "rtt-test-marker" });
  monitor = await connection.monitor();
  monitor.on("monitor", (time: string, args: string[], source: string) => {
    const command = args[0]?.toLowerCase() ?? "";
    if (command === "echo" && args[1]?.startsWith(MARK)) {
      markersSeen.get(args[1])?.();
      return;
    }
    if (source !== "lua" && !HOUSEKEEPING.has(command)) seen.push({ ms: Number(time) * 1000, args });
  });
});
after(async () => {
  monitor?.disconnect();
  marker?.disconnect();
  connection?.disconnect();
  await h?.stop();
  await server?.stop();
});

const MARK = "rtt-mark:";
const markersSeen = new Map<string, () => void>();
let markers = 0;

/**
 * Everything Redis ran before this call has reached `seen` once it returns. MONITOR streams on
 * its own connection, so its events may trail a reply that came back over NATS (a loaded machine
 * has shown a previous vend's completion arriving after the next vend began): a marker command
 * sent now comes through the stream after all of them.
 */
async function caughtUp(): Promise<number> {
  const name = `${MARK}${(markers += 1)}`;
  const arrived = new Promise<void>((resolve) => markersSeen.set(name, resolve));
  await marker.echo(name);
  await arrived;
  markersSeen.delete(name);
  return seen.length;
}

/**
 * The commands Redis ran while `run` ran, and no others; with 100 ms after it, so work the worker
 * does after its reply is counted too.
 */
async function sentDuring(run: () => Promise<unknown>): Promise<{ ms: number; args: string[] }[]> {
  const from = await caughtUp();
  await run();
  await new Promise((resolve) => setTimeout(resolve, 100));
  return seen.slice(from, await caughtUp());
}

test("a fresh vend: one script before STS (every limit and the claim), one after (the completion), nothing else", async () => {
  const client = h.client(tenant, PRINCIPAL, { attempts: 1 });
  // The first vend loads the scripts (NOSCRIPT, then EVAL); count the second.
  await client.request({ template: "s3-read", params });
  await h.awsLocal.admin.setFaults({ latencyMs: { "sts:*": STS_LATENCY_MS } });
  try {
    const sent = await sentDuring(() => client.request({ template: "s3-read", params, requestId: uniqueRequestId() }));
    assert.deepEqual(sent.map((c) => c.args[0]?.toLowerCase()), ["evalsha", "evalsha"], JSON.stringify(sent.map((c) => c.args.slice(0, 3))));
    const [claim, completion] = sent.map((c) => c.args);
    const claimKeys = (claim ?? []).slice(3, 3 + Number(claim?.[2]));
    assert.ok(claimKeys.some((k) => k.startsWith(`credvend:idem:{${tenant}}:${PRINCIPAL}:`)), "the claim's record");
    assert.deepEqual(claimKeys.filter((k) => k.startsWith("credvend:rl:")).sort(), [`credvend:rl:{${tenant}}:${tenant}:principal:${PRINCIPAL}`, `credvend:rl:{${tenant}}:${tenant}:tenant`], "with the caller's limits");
    assert.equal(completion?.[2], "1", "the completion: one key");
    assert.equal(completion?.[3], claimKeys[0], "of the claimed record");
    const [first, second] = sent;
    assert.ok((second?.ms ?? 0) - (first?.ms ?? 0) >= STS_LATENCY_MS - 20, "STS (slowed down) ran between them");
  } finally {
    await h.awsLocal.admin.setFaults({});
  }
});

test("a refusal by a plan limit consumes none of the caller's buckets and claims nothing", async () => {
  const client = h.client(charged, PRINCIPAL, { attempts: 1 });
  const requestId = uniqueRequestId();
  assert.equal(await reason(client.request({ template: "s3-limited", params })), "served");
  const refused = await sentDuring(async () => assert.equal(await reason(client.request({ template: "s3-limited", params, requestId })), "CV_ERR_RATE_LIMITED"));
  assert.equal(refused.length, 1, `one round trip: ${JSON.stringify(refused.map((c) => c.args.slice(0, 3)))}`);
  // Had the refusal been charged to the principal, only one of these would pass.
  assert.equal(await reason(client.request({ template: "s3-read", params })), "served");
  assert.equal(await reason(client.request({ template: "s3-read", params })), "served");
  assert.equal(await reason(client.request({ template: "s3-read", params })), "CV_ERR_RATE_LIMITED");
  // The refused id was never claimed: once its template's bucket has room it would be served. Its
  // record must not exist now.
  const probe = new Redis(server.url);
  try {
    assert.equal(await probe.exists(`credvend:idem:{${charged}}:${PRINCIPAL}:${requestId}`), 0);
  } finally {
    probe.disconnect();
  }
});

test("replays are charged like any request", async () => {
  const client = h.client(replayer, PRINCIPAL, { attempts: 1 });
  const request = { template: "s3-read", params, requestId: uniqueRequestId() };
  const first = await client.request(request);
  const replay = await client.request(request);
  assert.equal(replay.accessKeyId, first.accessKeyId);
  assert.equal(await reason(client.request({ template: "s3-read", params })), "served");
  assert.equal(await reason(client.request(request)), "CV_ERR_RATE_LIMITED", "the third token went to the replay");
});

test("refused before the claim (not entitled): charged to the caller's buckets, and once they are spent the answer is RATE_LIMITED", async () => {
  const client = h.client(junk, PRINCIPAL, { attempts: 1 });
  for (let i = 0; i < PRINCIPAL_BURST; i += 1) {
    const sent = await sentDuring(async () => assert.equal(await reason(client.request({ template: "no-such-template", params: {} })), "CV_ERR_NOT_ENTITLED"));
    assert.equal(sent.length, 1, "one GCRA round trip, only on the refusal's path");
  }
  assert.equal(await reason(client.request({ template: "no-such-template", params: {} })), "CV_ERR_RATE_LIMITED");
  assert.equal(await reason(client.request({ template: "s3-read", params })), "CV_ERR_RATE_LIMITED");
});

test("a flood past a limit: after Redis refuses, the worker refuses by itself until the retry-after, then asks Redis again", async () => {
  const client = h.client(flooder, PRINCIPAL, { attempts: 1 });
  const request = () => client.request({ template: "s3-refills", params });
  // A fresh principal bucket: per_principal's burst is 3, and this test stays within it.
  assert.equal(await reason(request()), "served");
  const first = await sentDuring(async () => assert.equal((await refusal(request())).reason, "CV_ERR_RATE_LIMITED"));
  assert.equal(first.length, 1, "Redis refused it: one round trip");
  let lastRetryAfter = Infinity;
  const flood = await sentDuring(async () => {
    for (let i = 0; i < 20; i += 1) {
      const refused = await refusal(request());
      assert.equal(refused.reason, "CV_ERR_RATE_LIMITED");
      assert.ok((refused.retryAfterMs ?? 0) > 0 && (refused.retryAfterMs ?? 0) <= lastRetryAfter, "the wait left, shrinking");
      lastRetryAfter = refused.retryAfterMs ?? 0;
    }
  });
  assert.deepEqual(flood.map((c) => c.args[0]), [], "20 more refusals cost Redis nothing");
  // Past the retry-after the bucket has room again: Redis is asked, and the request is served.
  await new Promise((resolve) => setTimeout(resolve, lastRetryAfter + 50));
  const after = await sentDuring(async () => assert.equal(await reason(request()), "served"));
  assert.deepEqual(after.map((c) => c.args[0]?.toLowerCase()), ["evalsha", "evalsha"], "the claim and the completion");
});
