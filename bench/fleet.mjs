// The fleet-shape scenarios of `npm run bench` (bench/README.md): aws-local with injected latency,
// P principals over T tenants, reuse and single flight across two workers, retries of one request
// id, rate-limited tenants, a flood beside a quiet principal, 2,000 in flight. Same run, same
// aws-local as the baselines they are compared with. Returns plain data (into `out.fleet`).
import { GenerateDataKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { DEV_ACCOUNT_ID, DEV_REPLY_KEY_ID, devCredentials } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { STS_CLIENT_OPTIONS } from "@credvend/worker";
import { uniqueRequestId } from "@credvend/testkit";
import { LIMITED_TEMPLATE } from "./fleet-seed.mjs";
import { runLoad } from "./measure.mjs";
import { memoryOf, registerStop } from "./procs.mjs";
import { runSoak } from "./soak.mjs";
import { PARAMS, REGION, RENDERED_POLICY, REUSE_TEMPLATE, ROLE_ARN, TEMPLATE } from "./topology.mjs";

/** The direct SDK phase that is the idle floor of one STS call (ceilings.mjs reads it by name). */
export const DIRECT_ASSUME_ALONE = "AWS SDK direct: AssumeRole alone";

export const FLEET_DURATIONS = {
  full: { direct: 5, warmSeconds: 30, warmSecond: 4, unique: 8, identicalRounds: 3, reuse: 5, dedupe: 3, limited: 5, victim: 3, flood: 4, memory: 8 },
  quick: { direct: 1, warmSeconds: 10, warmSecond: 1, unique: 1.5, identicalRounds: 1, reuse: 1, dedupe: 1, limited: 1, victim: 1, flood: 1.5, memory: 2 },
};
/**
 * Redis cost per refusal, from INFO commandstats (commands inside Lua scripts count by name): the
 * vends served in the same window are subtracted at the per-vend cost measured in `vendPhase`.
 * The limiter's GCRA (packages/guard/lua/gcra-lib.lua, run by gcra.lua and, before its claim, by
 * idem-claim-limited.lua) reads each of its keys with GET and stores it back with SET, so SETs up
 * to the GETs are its own; any other write (HSET, PEXPIRE, DEL, ...: the idempotency claim's,
 * packages/guard/lua/idem-claim-lib.lua) would be a claim or a stored refusal.
 */
function refusalCost(redis, served, refused, vendPhase) {
  const perVend = (name) => (vendPhase.redis.commands[name] ?? 0) / Math.max(1, vendPhase.calls);
  const perRefusal = {};
  for (const [name, n] of Object.entries(redis.commands)) perRefusal[name] = Math.max(0, (n - served * perVend(name)) / Math.max(1, refused));
  const limiterScripts = perRefusal.evalsha ?? 0;
  const otherWrites = Object.entries(perRefusal).filter(([name]) => WRITE_COMMANDS.has(name) && name !== "set").reduce((a, [, v]) => a + v, 0) + Math.max(0, (perRefusal.set ?? 0) - (perRefusal.get ?? 0));
  return {
    redisCommandsPerRefusal: Object.values(perRefusal).reduce((a, b) => a + b, 0),
    redisByCommandPerRefusal: perRefusal,
    limiterScriptsPerRefusal: limiterScripts,
    writesBeyondLimiterPerRefusal: otherWrites,
    vendRedisCommands: vendPhase.redis.total / Math.max(1, vendPhase.calls),
  };
}

/** Redis commands that change data (what a refusal must not do beyond the limiter's own state). */
const WRITE_COMMANDS = new Set(["set", "setex", "psetex", "setnx", "hset", "hsetnx", "hmset", "hdel", "del", "unlink", "expire", "pexpire", "pexpireat", "incr", "incrby", "decr", "lpush", "rpush", "sadd", "zadd", "xadd", "getdel", "getex"]);
const REPLY_KEY_ARN = `arn:aws:kms:${REGION}:${DEV_ACCOUNT_ID}:key/${DEV_REPLY_KEY_ID}`;

/**
 * @param {object} ctx  from vend.mjs: nc, aws, phase(group, opts), check(name, ok, detail),
 *   finding(name, ok, detail) (a measured property, reported but not failing the run),
 *   population, latency {stsMs, kmsMs}, identical (requests per round), startSecondWorker(), d (FLEET_DURATIONS entry), log,
 *   soakSeconds (0: no soak), workerPids() ({name, pid} of each worker running)
 */
export async function runFleet(ctx) {
  const { nc, aws, phase, check, finding, population, latency, d, log } = ctx;
  const fleet = { latency, principals: population.members.length, tenants: population.tenants.length, identical: [], notes: [] };

  // One client per principal, each with its own KMS identity (it can open only its own replies).
  const clients = new Map();
  const clientOf = (m) => {
    let c = clients.get(m.principal);
    if (c === undefined) {
      const kms = new KMSClient({ region: REGION, endpoint: aws.endpoint, credentials: m.credentials, maxAttempts: 1 });
      registerStop(`bench KMS client ${m.principal}`, async () => kms.destroy());
      c = new CredvendClient({ nc, tenant: m.tenant, principal: m.principal, kms, replyKeyArn: REPLY_KEY_ARN, attempts: 1, timeoutMs: 20_000 });
      clients.set(m.principal, c);
    }
    return c;
  };
  const members = population.members;
  const memberAt = (i) => members[i % members.length];
  const fresh = (template) => async (i) => {
    const creds = await clientOf(memberAt(i)).request({ template, params: PARAMS, requestId: uniqueRequestId() });
    if (creds.replayed) throw new Error("a fresh request id was answered as a replay");
  };

  // ---- latency on: every STS and KMS call now waits like a real one ----
  await aws.admin.setFaults({ latencyMs: { "sts:*": latency.stsMs, "kms:*": latency.kmsMs } });
  log(`aws-local latency: STS ${latency.stsMs} ms, KMS ${latency.kmsMs} ms`);

  // ---- baseline: a service calling AWS itself (AssumeRole + GenerateDataKey per request) ----
  const sts = new STSClient({ region: REGION, endpoint: aws.endpoint, credentials: devCredentials("credvend-vendor"), maxAttempts: 1, ...STS_CLIENT_OPTIONS });
  const kms = new KMSClient({ region: REGION, endpoint: aws.endpoint, credentials: devCredentials("credvend-vendor"), maxAttempts: 1 });
  registerStop("bench direct SDK clients", async () => {
    sts.destroy();
    kms.destroy();
  });
  const direct = async (i) => {
    const m = memberAt(i);
    await sts.send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: `bench-${i}`, DurationSeconds: 900, Policy: RENDERED_POLICY, Tags: [{ Key: "tenant", Value: m.tenant }] }));
    await kms.send(new GenerateDataKeyCommand({ KeyId: REPLY_KEY_ARN, KeySpec: "AES_256", EncryptionContext: { "credvend:tenant": m.tenant, "credvend:principal": m.principal } }));
  };
  await runLoad({ name: "warm-up", concurrency: 16, seconds: 0.5, call: direct });
  for (const c of [64, 256]) await phase("direct", { name: "AWS SDK direct: AssumeRole + GenerateDataKey", concurrency: c, seconds: d.direct, call: direct });
  // The idle floor of an STS call here (the SDK's and aws-local's own time on top of the injected
  // latency), beside which the quiet principal's p50 shows what credvend itself adds at 1 in flight.
  const directAssume = async (i) => {
    const m = memberAt(i);
    await sts.send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: `bench-${i}`, DurationSeconds: 900, Policy: RENDERED_POLICY, Tags: [{ Key: "tenant", Value: m.tenant }] }));
  };
  await phase("direct", { name: DIRECT_ASSUME_ALONE, concurrency: 1, seconds: d.victim, call: directAssume });

  // ---- warm the fleet: one vend per principal, so each recipient has its data key (and the
  // client its key) as in a running fleet; what that costs is reported too ----
  // A warm-up, not a measurement of failures: a vend refused for a transient reason (a loaded
  // machine can outlast the worker's Redis timeout) is asked again, so every principal is warm.
  const warmCall = async (i) => {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await fresh(TEMPLATE)(i);
      } catch (err) {
        if (attempt >= 5 || err?.retryable !== true) throw err;
      }
    }
  };
  const warm = await phase("fleet-warm", { name: "fleet warm-up: first vend of every principal (transient refusals asked again)", concurrency: 256, seconds: d.warmSeconds, maxCalls: members.length, call: warmCall });
  finding("every principal got its first vend (data key generated per recipient, client decrypts per principal)", warm.calls === members.length, `${warm.calls}/${members.length}`);

  // ---- unique requests over P x T, one worker ----
  const unique64 = await phase("unique-1w", { name: "unique requests over P×T, one worker", concurrency: 64, seconds: d.unique, call: fresh(TEMPLATE) });
  const unique256 = await phase("unique-1w", { name: "unique requests over P×T, one worker", concurrency: 256, seconds: d.unique, call: fresh(TEMPLATE) });

  // ---- a second worker joins the queue group ----
  await ctx.startSecondWorker();
  // Measured once it is warm, as the first worker was: its JIT, sockets and the data keys it leases
  // from the first worker (one GenerateDataKey per recipient for the fleet) are in place.
  const warmSecond = await phase("unique-2w", { name: "two workers warm-up: unique requests over P×T, the second worker just started", concurrency: 256, seconds: d.warmSecond, call: fresh(TEMPLATE) });
  fleet.secondWorkerWarmUp = { vends: warmSecond.calls, generateDataKey: warmSecond.aws["kms:GenerateDataKey"]?.total ?? 0 };
  finding("a second worker seals with the data keys the first generated (GenerateDataKey at most once per recipient per window for the fleet)", fleet.secondWorkerWarmUp.generateDataKey === 0,
    `${fleet.secondWorkerWarmUp.generateDataKey} GenerateDataKey in ${warmSecond.calls} vends over ${members.length} recipients`);
  const unique256two = await phase("unique-2w", { name: "unique requests over P×T, two workers", concurrency: 256, seconds: d.unique, call: fresh(TEMPLATE) });

  // ---- 1,000 identical requests at once (reuse template), two workers, cold reuse cache ----
  // Each round uses a principal that has never asked for the reuse template: nothing is cached.
  for (let round = 0; round < d.identicalRounds; round += 1) {
    const m = members[members.length - 1 - round];
    const client = clientOf(m);
    const before = await aws.admin.calls();
    const t0 = performance.now();
    const results = await Promise.allSettled(Array.from({ length: ctx.identical }, () => client.request({ template: REUSE_TEMPLATE, params: PARAMS, requestId: uniqueRequestId() })));
    const ms = performance.now() - t0;
    const after = await aws.admin.calls();
    const ok = results.filter((r) => r.status === "fulfilled");
    const keys = new Set(ok.map((r) => r.value.accessKeyId));
    const assumeRole = (after["sts:AssumeRole"]?.total ?? 0) - (before["sts:AssumeRole"]?.total ?? 0);
    const gdk = (after["kms:GenerateDataKey"]?.total ?? 0) - (before["kms:GenerateDataKey"]?.total ?? 0);
    const failed = results.filter((r) => r.status === "rejected").map((r) => r.reason?.reason ?? r.reason?.message ?? String(r.reason));
    fleet.identical.push({ principal: m.principal, requests: ctx.identical, ok: ok.length, distinctCredentials: keys.size, assumeRole, generateDataKey: gdk, ms, failed: [...new Set(failed)].slice(0, 3) });
    log(`identical round ${round + 1}: ${ctx.identical} requests, ${assumeRole} AssumeRole, ${keys.size} distinct credentials, ${ms.toFixed(0)} ms`);
  }
  // A finding, not a check: on a loaded machine a burst of 1,000 can outlast a worker's Redis timeout.
  finding(`${ctx.identical} concurrent identical requests all served`, fleet.identical.every((r) => r.ok === r.requests), JSON.stringify(fleet.identical.map((r) => r.failed)));

  // ---- identical requests under new ids, closed loop: the reuse path (no AWS call at all) ----
  const reuseMember = members[members.length - 1];
  const reuse64 = await phase("fleet-reuse", {
    name: "identical requests with reuse (new request id), two workers",
    concurrency: 64,
    seconds: d.reuse,
    call: async () => {
      const creds = await clientOf(reuseMember).request({ template: REUSE_TEMPLATE, params: PARAMS, requestId: uniqueRequestId() });
      if (creds.replayed) throw new Error("a fresh request id was answered as a replay");
    },
  });

  // ---- retries of one request id: 256 at once on a cold id, then a closed loop ----
  {
    const m = members[1];
    const id = uniqueRequestId();
    const before = await aws.admin.calls();
    const burst = await Promise.allSettled(Array.from({ length: 256 }, () => clientOf(m).request({ template: TEMPLATE, params: PARAMS, requestId: id })));
    const keys = new Set(burst.filter((r) => r.status === "fulfilled").map((r) => r.value.accessKeyId));
    const dedupe = await phase("dedupe", {
      name: "retries of one request id (replays), two workers",
      concurrency: 64,
      seconds: d.dedupe,
      call: async () => {
        const creds = await clientOf(m).request({ template: TEMPLATE, params: PARAMS, requestId: id });
        if (!creds.replayed) throw new Error("a repeated request id was not answered as a replay");
      },
    });
    const after = await aws.admin.calls();
    const assumeRole = (after["sts:AssumeRole"]?.total ?? 0) - (before["sts:AssumeRole"]?.total ?? 0);
    fleet.dedupe = { concurrentSameId: 256, served: burst.filter((r) => r.status === "fulfilled").length, distinctCredentials: keys.size, assumeRole, replays: dedupe.calls };
    check("256 concurrent copies of one request id, then replays across two workers: one AssumeRole, one set of credentials", assumeRole === 1 && keys.size === 1, `${assumeRole} AssumeRole, ${keys.size} distinct`);
  }

  // ---- many tenants under rate limits: refusals must cost only the limiter ----
  {
    let refused = 0;
    let served = 0;
    const limited = await phase("limited", {
      name: `rate-limited template over ${population.tenants.length} tenants (${LIMITED_TEMPLATE})`,
      concurrency: 64,
      seconds: d.limited,
      call: async (i) => {
        try {
          await fresh(LIMITED_TEMPLATE)(i);
          served += 1;
        } catch (err) {
          if (err?.reason !== "CV_ERR_RATE_LIMITED") throw err;
          refused += 1;
        }
      },
    });
    const assumeRole = limited.aws["sts:AssumeRole"]?.total ?? 0;
    const cost = refusalCost(limited.redis, served, refused, unique256);
    fleet.limited = { served, refused, refusalsPerSecond: refused / limited.seconds, assumeRole, ...cost, reason: limited.errorKinds };
    check("rate-limit refusals call no AWS (AssumeRole calls = vends served)", assumeRole === served, `${assumeRole} AssumeRole, ${served} served, ${refused} refused`);
  }

  // ---- a flood from one principal while another measures its latency ----
  {
    const victim = members[2];
    const attacker = members[3];
    const victimCall = async () => {
      await clientOf(victim).request({ template: TEMPLATE, params: PARAMS, requestId: uniqueRequestId() });
    };
    const alone = await phase("victim", { name: `quiet principal alone (${victim.tenant}/${victim.principal})`, concurrency: 1, seconds: d.victim, call: victimCall });
    const floods = {};
    for (const [label, template] of [["fresh vends", TEMPLATE], ["rate-limited template", LIMITED_TEMPLATE]]) {
      const flood = runLoad({
        name: "flood",
        concurrency: 256,
        seconds: d.flood,
        call: () => clientOf(attacker).request({ template, params: PARAMS, requestId: uniqueRequestId() }),
      });
      const during = await phase("victim", { name: `quiet principal during a flood of ${label} from ${attacker.tenant}/${attacker.principal}`, concurrency: 1, seconds: d.flood - 0.5, call: victimCall });
      const f = await flood;
      floods[label] = { floodRate: f.rate, floodServed: f.calls, floodRefused: f.errors, floodErrorKinds: f.errorKinds, victimP50: during.p50, victimP99: during.p99 };
      if (template === LIMITED_TEMPLATE) {
        // Nearly every answer here is a refusal (one principal, its tenant's limit long spent): the
        // cleanest measure of what a refusal costs Redis. The quiet principal's vends are subtracted.
        const refused = f.errorKinds.CV_ERR_RATE_LIMITED ?? 0;
        const cost = refusalCost(during.redis, f.calls + during.calls, refused, unique256);
        fleet.refusalCost = { refused, vendsSubtracted: f.calls + during.calls, ...cost };
        finding("rate-limit refusals write nothing to Redis beyond the limiter (< 0.01 other writes per refusal)", refused > 0 && cost.writesBeyondLimiterPerRefusal < 0.01,
          `${cost.writesBeyondLimiterPerRefusal.toFixed(3)} other writes per refusal; per refusal: ${Object.entries(cost.redisByCommandPerRefusal).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(", ")}`);
      }
    }
    fleet.flood = { aloneP50: alone.p50, aloneP99: alone.p99, floods };
  }

  // ---- 2,000 in flight: memory must stay bounded ----
  const memory = await phase("memory", { name: "unique requests over P×T, two workers", concurrency: 2000, seconds: d.memory, call: fresh(TEMPLATE) });
  fleet.memory = { inFlight: 2000, vends: memory.calls, errors: memory.errors };

  // ---- opt-in soak: is memory flat over minutes? ----
  if (ctx.soakSeconds > 0) fleet.soak = await runSoak({ phase, call: fresh(TEMPLATE), workerPids: ctx.workerPids, seconds: ctx.soakSeconds, log });

  await aws.admin.setFaults({});
  fleet.clients = clients.size;
  // The profiled worker's load, after the measured phases (vend.mjs).
  return { fleet, unique64, unique256, unique256two, reuse64, freshCall: fresh(TEMPLATE) };
}
