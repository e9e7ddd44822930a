// The scenarios of `npm run bench` (see bench/README.md). Returns plain data; report.mjs formats it.
import { KMSClient } from "@aws-sdk/client-kms";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DEV_ACCOUNT_ID, DEV_REPLY_KEY_ID, devCredentials, signHeaders } from "@credvend/aws-local";
import { CredvendClient } from "@credvend/client";
import { STS_CLIENT_OPTIONS } from "@credvend/worker";
import { freePort, metricSum, uniqueRequestId } from "@credvend/testkit";
import { connect } from "nats";
import { randomBytes } from "node:crypto";
import { Agent, request } from "node:http";
import { fileURLToPath } from "node:url";
import { runLoad } from "./measure.mjs";
import { cpuSecondsOf, machineBusySeconds, memoryOf, nodeFlagsOf, registerStop, spawnNode, waitUntil } from "./procs.mjs";
import os from "node:os";
import { PARAMS, PRINCIPAL, REGION, RENDERED_POLICY, REUSE_TEMPLATE, ROLE_ARN, TEMPLATE, TENANT, benchTempDir, startAwsLocalChild, startServers, startWorkerChild } from "./topology.mjs";
import { FLEET_DURATIONS, runFleet } from "./fleet.mjs";
import { fleetPopulation, fleetSeed } from "./fleet-seed.mjs";
import { summarizeProfileDir } from "./cpu-profile.mjs";
import { computeRatios } from "./ratios.mjs";
import { computeCeilings } from "./ceilings.mjs";
import { measureCredentialProcess } from "./credential-process.mjs";
import { redisDelta, redisStats } from "./redis-stats.mjs";
import fs from "node:fs";
import path from "node:path";

/** Seconds per measured phase. The full run stays around a minute of load; --quick around 15 s. */
const DURATIONS = {
  full: { natsWarm: 0.5, nats: 3, stsWarm: 1, stsAssume: 5, stsGci: 4, stsRaw: 4, e2eWarm: 2, e2eSerial: 5, e2e: 10, replaySerial: 3, replay: 5 },
  quick: { natsWarm: 0.3, nats: 1, stsWarm: 0.3, stsAssume: 1, stsGci: 1, stsRaw: 1, e2eWarm: 0.5, e2eSerial: 1, e2e: 1.5, replaySerial: 0.5, replay: 1 },
};
const ECHO_SUBJECT = "bench.echo";
const ECHO_BYTES = 128;

/** Fleet shape by default; --quick shrinks it so the smoke run stays short. */
export const FLEET_DEFAULTS = {
  full: { principals: 1000, tenants: 50, stsMs: 30, kmsMs: 5, identical: 1000 },
  quick: { principals: 100, tenants: 10, stsMs: 30, kmsMs: 5, identical: 1000 },
};

export async function runVendBench({ quick = false, fleet: fleetOptions = {}, soakSeconds = 0, log = (line) => process.stderr.write(`bench: ${line}\n`) } = {}) {
  const d = quick ? DURATIONS.quick : DURATIONS.full;
  const shape = { ...(quick ? FLEET_DEFAULTS.quick : FLEET_DEFAULTS.full), ...fleetOptions };
  const out = { quick, shape, phases: [], memory: {}, checks: [], findings: [], startup: { loadavg: os.loadavg() } };

  // ---- topology ----
  const t0 = performance.now();
  const { nats, redis, natsPid, redisPid } = await startServers(log);
  const population = fleetPopulation(shape.principals, shape.tenants);
  const tmp = benchTempDir();
  const seedFile = path.join(tmp, "fleet-seed.yaml");
  fs.writeFileSync(seedFile, fleetSeed(population));
  const aws = await startAwsLocalChild(log, { seedFile });
  const worker = startWorkerChild({ natsUrl: nats.url, redisUrl: redis.url, awsEndpoint: aws.endpoint, population, httpPort: await freePort() });
  log(`worker       pid ${worker.pid}`);
  const stats = redisStats(redis.url);
  registerStop("bench Redis stats connection", () => stats.close());

  const nc = await connect({ servers: nats.url, name: "credvend-bench-client" });
  registerStop("bench NATS connection", () => nc.close());
  const kms = new KMSClient({ region: REGION, endpoint: aws.endpoint, credentials: devCredentials(PRINCIPAL), maxAttempts: 1 });
  registerStop("bench KMS client", async () => kms.destroy());
  // One attempt and a generous timeout: every failure is counted instead of retried away.
  const client = new CredvendClient({ nc, tenant: TENANT, principal: PRINCIPAL, kms, replyKeyArn: `arn:aws:kms:${REGION}:${DEV_ACCOUNT_ID}:key/${DEV_REPLY_KEY_ID}`, attempts: 1, timeoutMs: 10_000 });
  const vend = (requestId) => client.request({ template: TEMPLATE, params: PARAMS, requestId });

  // Ready = a first request is served end to end (polled: no fixed sleeps).
  const first = await waitUntil("the first vend through the worker", () => vend(uniqueRequestId()), { proc: worker, timeoutMs: 30_000, intervalMs: 100 });
  out.startup.readyMs = performance.now() - t0;
  // The vended credentials must be real: aws-local must know them as the template's role session.
  const probe = new STSClient({ region: REGION, endpoint: aws.endpoint, credentials: first, maxAttempts: 1 });
  const who = await probe.send(new GetCallerIdentityCommand({}));
  probe.destroy();
  check(out, "vended credentials authenticate as the role session", (who.Arn ?? "").includes(":assumed-role/credvend-demo/"), who.Arn);
  out.memory.workerReady = memoryOf(worker.pid);
  // The heap flags `credvend worker` gave itself (services/cli/src/worker-heap.ts), or the operator's.
  out.workerNodeFlags = nodeFlagsOf(worker.pid);
  out.memory.awsLocalReady = memoryOf(aws.proc.pid);
  log(`stack ready in ${out.startup.readyMs.toFixed(0)} ms`);

  const pids = { worker: worker.pid, "aws-local": aws.proc.pid, "nats-server": natsPid, "redis-server": redisPid };
  const phase = async (group, opts) => {
    log(`${group}: ${opts.name}, ${opts.concurrency} in flight, ${opts.seconds} s`);
    const cpu0 = cpuSnapshot(pids);
    const [calls0, redis0] = await Promise.all([aws.admin.calls(), stats.snapshot()]);
    const r = await runLoad(opts);
    const cpu1 = cpuSnapshot(pids);
    const [calls1, redis1] = await Promise.all([aws.admin.calls(), stats.snapshot()]);
    r.group = group;
    r.cpu = Object.fromEntries(Object.keys(cpu1).map((k) => [k, cpu1[k] - cpu0[k]]));
    r.cpuMsPerOp = Object.fromEntries(Object.entries(r.cpu).filter(([k]) => k !== "machine").map(([k, v]) => [k, (1000 * v) / Math.max(1, r.calls)]));
    r.aws = callDelta(calls0, calls1);
    r.redis = redisDelta(redis0, redis1);
    r.loadavg1 = os.loadavg()[0];
    out.phases.push(r);
    if (r.errors > 0) log(`  ${r.errors} errors: ${JSON.stringify(r.errorKinds)}; first of each: ${JSON.stringify(r.errorSamples)}`);
    return r;
  };

  // ---- 1. raw NATS request/reply ----
  const responder = spawnNode("nats-responder", [fileURLToPath(new URL("./nats-responder.mjs", import.meta.url)), nats.url, ECHO_SUBJECT]);
  pids["nats-responder"] = responder.pid;
  await waitUntil("the NATS responder", () => responder.tail().includes("responder ready"), { proc: responder });
  const payload = randomBytes(ECHO_BYTES);
  const echo = async () => {
    const msg = await nc.request(ECHO_SUBJECT, payload, { timeout: 5000 });
    if (msg.data.length !== ECHO_BYTES) throw new Error(`echo returned ${msg.data.length} bytes`);
  };
  await runLoad({ name: "warm-up", concurrency: 64, seconds: d.natsWarm, call: echo });
  await phase("nats", { name: "NATS request/reply, 128 B echo", concurrency: 1, seconds: d.nats, call: echo });
  await phase("nats", { name: "NATS request/reply, 128 B echo", concurrency: 64, seconds: d.nats, call: echo });
  await responder.stop();
  delete pids["nats-responder"];

  // ---- 2. direct STS with the unmodified SDK, as credvend-vendor ----
  // Configured as the worker configures its own (STS_CLIENT_OPTIONS), so "the SDK alone" is what a
  // vend's STS call costs the worker, not an SDK set up differently.
  const sts = new STSClient({ region: REGION, endpoint: aws.endpoint, credentials: devCredentials("credvend-vendor"), maxAttempts: 1, ...STS_CLIENT_OPTIONS });
  registerStop("bench STS client", async () => sts.destroy());
  const gci = () => sts.send(new GetCallerIdentityCommand({}));
  await runLoad({ name: "warm-up", concurrency: 32, seconds: d.stsWarm, call: gci });
  await phase("sts", {
    name: "STS AssumeRole (AWS SDK, session policy + tag)",
    concurrency: 32,
    seconds: d.stsAssume,
    call: (i) =>
      sts.send(new AssumeRoleCommand({ RoleArn: ROLE_ARN, RoleSessionName: `bench-${i}`, DurationSeconds: 900, Policy: RENDERED_POLICY, Tags: [{ Key: "tenant", Value: TENANT }] })),
  });
  await phase("sts", { name: "STS GetCallerIdentity (AWS SDK)", concurrency: 32, seconds: d.stsGci, call: gci });
  const raw = rawSignedReplayer(aws.endpoint, "Action=GetCallerIdentity&Version=2011-06-15");
  registerStop("raw HTTP agent", async () => raw.close());
  await raw.call(); // fails loudly if the signature is refused
  await phase("sts", { name: "STS GetCallerIdentity (pre-signed, raw HTTP)", concurrency: 32, seconds: d.stsRaw, call: raw.call });
  raw.close();
  const rawAssume = rawSignedReplayer(aws.endpoint, `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(ROLE_ARN)}&RoleSessionName=bench-raw&DurationSeconds=900`);
  registerStop("raw HTTP agent (AssumeRole)", async () => rawAssume.close());
  await rawAssume.call();
  await phase("sts", { name: "STS AssumeRole (pre-signed, raw HTTP)", concurrency: 32, seconds: d.stsRaw, call: rawAssume.call });
  rawAssume.close();
  sts.destroy();

  // ---- 3. credvend end to end, a new request id per vend ----
  const fresh = async () => {
    const creds = await vend(uniqueRequestId());
    if (creds.replayed) throw new Error("a fresh request id was answered as a replay");
  };
  await runLoad({ name: "warm-up", concurrency: 64, seconds: d.e2eWarm, call: fresh });
  await phase("vend", { name: "credvend vend (new request id)", concurrency: 1, seconds: d.e2eSerial, call: fresh });
  await phase("vend", { name: "credvend vend (new request id)", concurrency: 64, seconds: d.e2e, call: fresh });
  // ---- 3b. the same vends from a template with `reuse:` (fresh credentials shared) ----
  const reused = async () => {
    const creds = await client.request({ template: REUSE_TEMPLATE, params: PARAMS, requestId: uniqueRequestId() });
    if (creds.replayed) throw new Error("a fresh request id was answered as a replay");
  };
  await phase("reuse", { name: "credvend vend, template with reuse (new request id)", concurrency: 64, seconds: d.e2eSerial, call: reused });
  out.memory.workerAfterVend = memoryOf(worker.pid);
  out.memory.awsLocalAfterVend = memoryOf(aws.proc.pid);

  // ---- 4. idempotent replay: one request id, served once, then repeated ----
  const callsBeforeReplay = await aws.admin.calls();
  const replayId = uniqueRequestId();
  const original = await vend(replayId);
  check(out, "the replayed request id was first served fresh", original.replayed === false);
  const again = async () => {
    const creds = await vend(replayId);
    if (!creds.replayed) throw new Error("a repeated request id was not answered as a replay");
    if (creds.accessKeyId !== original.accessKeyId) throw new Error("a replay returned different credentials");
  };
  await phase("replay", { name: "credvend replay (same request id)", concurrency: 1, seconds: d.replaySerial, call: again });
  await phase("replay", { name: "credvend replay (same request id)", concurrency: 64, seconds: d.replay, call: again });
  const replayCalls = callDelta(callsBeforeReplay, await aws.admin.calls());
  out.replayAssumeRole = replayCalls["sts:AssumeRole"]?.total ?? 0;
  check(out, "AssumeRole calls for one request id (original + all replays) = 1", out.replayAssumeRole === 1, String(out.replayAssumeRole));
  out.memory.workerAfterReplay = memoryOf(worker.pid);
  out.memory.awsLocalAfterReplay = memoryOf(aws.proc.pid);

  // ---- 5. fleet shape: injected latency, P x T principals, two workers ----
  const profileDir = path.join(tmp, "cpu-profile");
  let workerB;
  const fleetResult = await runFleet({
    nc,
    aws,
    population,
    latency: { stsMs: shape.stsMs, kmsMs: shape.kmsMs },
    identical: shape.identical,
    d: quick ? FLEET_DURATIONS.quick : FLEET_DURATIONS.full,
    log,
    phase,
    check: (name, ok, detail) => check(out, name, ok, detail),
    finding: (name, ok, detail) => out.findings.push({ name, ok: Boolean(ok), detail }),
    soakSeconds,
    workerPids: () => [{ name: "worker", pid: worker.pid }, ...(workerB ? [{ name: "worker-b", pid: workerB.pid }] : [])],
    // Neither measured worker is profiled (a profiler's cost would skew one against two workers);
    // a third one is, alone, after the measured phases.
    async startSecondWorker() {
      workerB = startWorkerChild({ name: "worker-b", natsUrl: nats.url, redisUrl: redis.url, awsEndpoint: aws.endpoint, population, httpPort: await freePort() });
      pids["worker-b"] = workerB.pid;
      log(`worker-b     pid ${workerB.pid}`);
      const client = new CredvendClient({ nc, tenant: TENANT, principal: PRINCIPAL, kms, replyKeyArn: `arn:aws:kms:${REGION}:${DEV_ACCOUNT_ID}:key/${DEV_REPLY_KEY_ID}`, attempts: 1, timeoutMs: 10_000 });
      // Ready = it answers from the queue group: requests go round robin-ish, so poll until its CPU moves.
      const cpuBefore = cpuSecondsOf(workerB.pid);
      await waitUntil("the second worker serving", async () => {
        await Promise.all(Array.from({ length: 32 }, () => client.request({ template: TEMPLATE, params: PARAMS, requestId: uniqueRequestId() })));
        return cpuSecondsOf(workerB.pid) - cpuBefore > 0.05;
      }, { proc: workerB, timeoutMs: 30_000, intervalMs: 200 });
    },
  });
  out.fleet = fleetResult.fleet;
  out.memory.workerAfterFleet = memoryOf(worker.pid);
  out.memory.workerBAfterFleet = workerB ? memoryOf(workerB.pid) : undefined;
  out.memory.awsLocalAfterFleet = memoryOf(aws.proc.pid);

  out.awsTotals = await aws.admin.calls();

  // ---- the workers' /metrics count what was done: N fresh vends more, and the AssumeRole calls aws-local saw ----
  const workers = [worker, workerB].filter(Boolean);
  const scrape = async () => {
    const texts = await Promise.all(workers.map(async (w) => (await fetch(w.metricsUrl)).text()));
    return {
      issued: texts.reduce((n, t) => n + metricSum(t, "credvend_requests_total", { outcome: "issued" }), 0),
      assumeRole: texts.reduce((n, t) => n + metricSum(t, "credvend_aws_calls_total", { service: "sts", operation: "AssumeRole" }), 0),
    };
  };
  const metricVends = quick ? 50 : 200;
  const [m0, c0] = [await scrape(), await aws.admin.calls()];
  for (let i = 0; i < metricVends; i += 8) await Promise.all(Array.from({ length: Math.min(8, metricVends - i) }, () => vend(uniqueRequestId())));
  const [m1, c1] = [await scrape(), await aws.admin.calls()];
  const awsAssume = (c1["sts:AssumeRole"]?.total ?? 0) - (c0["sts:AssumeRole"]?.total ?? 0);
  out.metrics = { vends: metricVends, issued: m1.issued - m0.issued, assumeRoleMetric: m1.assumeRole - m0.assumeRole, assumeRoleAwsLocal: awsAssume, issuedTotal: m1.issued, assumeRoleTotal: m1.assumeRole };
  check(out, `the workers' /metrics count the ${metricVends} vends made (credvend_requests_total{outcome="issued"})`, out.metrics.issued === metricVends, JSON.stringify(out.metrics));
  check(out, "the workers' /metrics count exactly the AssumeRole calls aws-local received", out.metrics.assumeRoleMetric === awsAssume, JSON.stringify(out.metrics));

  // ---- credential-process as the AWS CLI runs it: a process per call, cold (empty cache) and warm ----
  log("credential-process: cold and warm calls");
  await aws.admin.setFaults({});
  out.credentialProcess = await measureCredentialProcess({ natsUrl: nats.url, awsEndpoint: aws.endpoint, cold: quick ? 2 : 5, warm: quick ? 5 : 20 });

  // ---- stop the workers on their own: each must drain and exit 0 ----
  const exit = await worker.stop(20_000);
  check(out, "worker drains and exits 0 on SIGTERM", exit.code === 0, JSON.stringify(exit));
  if (workerB) {
    const exitB = await workerB.stop(20_000);
    check(out, "second worker drains and exits 0 on SIGTERM", exitB.code === 0, JSON.stringify(exitB));
  }

  // ---- where a worker's CPU goes: one worker alone under --cpu-prof, unique requests over P×T ----
  const profiled = startWorkerChild({ name: "worker-prof", natsUrl: nats.url, redisUrl: redis.url, awsEndpoint: aws.endpoint, population, httpPort: await freePort(), nodeArgs: ["--cpu-prof", `--cpu-prof-dir=${profileDir}`] });
  log(`worker-prof  pid ${profiled.pid} (--cpu-prof)`);
  await waitUntil("the profiled worker serving", () => vend(uniqueRequestId()), { proc: profiled, timeoutMs: 30_000, intervalMs: 100 });
  await aws.admin.setFaults({ latencyMs: { "sts:*": shape.stsMs, "kms:*": shape.kmsMs } });
  const profileSeconds = quick ? 2 : 8;
  log(`profile: unique requests over P×T, 256 in flight, ${profileSeconds} s`);
  const profileLoad = await runLoad({ name: "profile", concurrency: 256, seconds: profileSeconds, call: fleetResult.freshCall });
  await aws.admin.setFaults({});
  const exitP = await profiled.stop(20_000);
  check(out, "profiled worker drains and exits 0 on SIGTERM (and writes its CPU profile)", exitP.code === 0, JSON.stringify(exitP));
  out.profile = { ...summarizeProfileDir(profileDir), load: { seconds: profileSeconds, concurrency: 256, vends: profileLoad.calls, errors: profileLoad.errors, rate: profileLoad.rate } };
  out.ratios = computeRatios(out, fleetResult);
  out.ceilings = computeCeilings(out, fleetResult, { cores: os.availableParallelism() });
  out.endLoadavg = os.loadavg();
  // Worker output at CREDVEND_LOG_LEVEL=warn: pino JSON lines (warnings/errors of the vendor) and
  // anything else written to stderr (e.g. Node or SDK deprecation notices), kept apart.
  const lines = worker.tail().split("\n").filter((l) => l.trim() !== "");
  const json = lines.filter((l) => l.startsWith("{"));
  out.workerLog = { jsonLines: json.length, jsonSample: json.slice(0, 3), otherFirstLines: [...new Set(lines.filter((l) => !l.startsWith("{")).map((l) => l.replace(/^\(node:\d+\) /, "")))].slice(0, 2) };
  return out;
}

function check(out, name, ok, detail) {
  out.checks.push({ name, ok: Boolean(ok), detail });
  if (!ok) process.stderr.write(`bench: CHECK FAILED: ${name}${detail ? ` (${detail})` : ""}\n`);
}

function cpuSnapshot(pids) {
  const usage = process.cpuUsage();
  const snap = { bench: (usage.user + usage.system) / 1e6, machine: machineBusySeconds() };
  for (const [name, pid] of Object.entries(pids)) snap[name] = pid === undefined ? NaN : cpuSecondsOf(pid);
  return snap;
}

function callDelta(before, after) {
  const out = {};
  for (const [key, c] of Object.entries(after)) {
    const b = before[key] ?? { total: 0, failed: 0 };
    const total = c.total - b.total;
    if (total > 0) out[key] = { total, failed: c.failed - b.failed };
  }
  return out;
}

/** One signed request, replayed on keep-alive connections (valid within aws-local's clock-skew window). */
function rawSignedReplayer(endpoint, body) {
  const url = new URL(endpoint);
  const agent = new Agent({ keepAlive: true, maxSockets: 64 });
  const base = { "content-type": "application/x-www-form-urlencoded; charset=utf-8" };
  const headers = { ...base, ...signHeaders({ method: "POST", host: url.host, headers: base, body, ...devCredentials("credvend-vendor"), region: REGION, service: "sts", nowMs: Date.now() }) };
  const call = () =>
    new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, method: "POST", path: "/", headers, agent }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => {
          if (res.statusCode === 200) resolve();
          else reject(new Error(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString("utf8").slice(0, 300)}`));
        });
      });
      req.on("error", reject);
      req.end(body);
    });
  return { call, close: () => agent.destroy() };
}
