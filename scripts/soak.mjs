// `npm run soak`: mixed faults under load for N minutes (opt-in; not part of npm test). Starts its
// own nats-server, redis-server (AOF, appendfsync always), aws-local, two in-process workers and
// one worker process, sends a steady stream of requests (each re-sent with its very same payload
// until it gets a final answer, as the client SDK's retries do), and injects one fault after
// another. At the end every payload is sent once more (a replay must return the same key), and
// it prints, per fault: ids, served, refused (by reason), issued twice, hung (no final answer in
// its budget), lost (still no final answer after the last round), and AssumeRole calls per
// served id overall. Exits 1 if any id was issued twice or lost.
//
//   npm run soak [-- --minutes 5] [--rate 40] [--no-build]
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const { values: args } = parseArgs({ options: { minutes: { type: "string" }, rate: { type: "string" }, "no-build": { type: "boolean" } } });
const minutes = Number(args.minutes ?? process.env.SOAK_MINUTES ?? 2);
const ratePerSecond = Number(args.rate ?? 40);
if (!(minutes > 0) || !(ratePerSecond > 0)) {
  console.error("usage: npm run soak -- [--minutes N (> 0)] [--rate requests/s (> 0)] [--no-build]");
  process.exit(2);
}
if (!args["no-build"]) {
  const build = spawnSync(process.execPath, [path.join(root, "scripts/build.mjs")], { stdio: "inherit" });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const { startRedisServer, startNatsServer, freePort, uniqueName } = await import("@credvend/testkit");
const { startAwsLocal, devCredentials } = await import("@credvend/aws-local");
const { runWorker, settingsFromEnv, createLogger } = await import("@credvend/worker");
const { connect } = await import("nats");
const { Redis } = await import("ioredis");
const support = (f) => import(path.join(root, "test/dist/support", f));
const { demoConfig } = await support("config.js");
const { rawRequester, ReplyLedger } = await support("faults.js");

const REGION = "us-east-1";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const cleanups = [];
const cleanup = async () => { for (const c of cleanups.reverse()) await c().catch(() => undefined); };
process.once("SIGINT", () => void cleanup().then(() => process.exit(130)));

const tenant = uniqueName("soak");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credvend-soak-"));
cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
const configFile = path.join(dir, "credvend.yaml");
fs.writeFileSync(configFile, demoConfig({ tenants: [tenant] }));

const redis = await startRedisServer({ args: ["--appendonly", "yes", "--appendfsync", "always"] });
cleanups.push(() => redis.stop());
const natsPort = await freePort();
let nats = await startNatsServer({ port: natsPort });
cleanups.push(() => nats.stop());
const awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
cleanups.push(() => awsLocal.stop());
const vendor = devCredentials("credvend-vendor");
const env = { NATS_URL: nats.url, REDIS_URL: redis.url, CREDVEND_CONFIG: configFile, AWS_REGION: REGION, CREDVEND_LOG_LEVEL: "silent" };
for (const name of ["soak-a", "soak-b"]) {
  const w = await runWorker(settingsFromEnv(env), { logger: createLogger({ level: "silent" }), awsCredentials: vendor, awsEndpoint: awsLocal.endpoint, name });
  cleanups.push(() => w.stop());
}
let child;
const spawnChild = () => {
  child = spawn(process.execPath, [path.join(root, "services/cli/bin/credvend.js"), "worker"], {
    env: { ...process.env, ...env, AWS_ENDPOINT_URL: awsLocal.endpoint, AWS_ACCESS_KEY_ID: vendor.accessKeyId, AWS_SECRET_ACCESS_KEY: vendor.secretAccessKey, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
    stdio: "ignore",
  });
};
spawnChild();
cleanups.push(async () => child.kill("SIGKILL"));
const nc = await connect({ servers: nats.url, name: "soak-requester", maxReconnectAttempts: -1 });
cleanups.push(() => nc.close());
const ledger = new ReplyLedger(nc, tenant, "demo-app");
await sleep(1500);

const redisPid = async () => {
  const probe = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  try {
    return Number(/process_id:(\d+)/.exec(await probe.info("server"))?.[1]);
  } finally {
    probe.disconnect();
  }
};
// Each fault: how it starts and how it ends (a window of PHASE_MS between them).
const FAULTS = {
  "none": [async () => undefined, async () => undefined],
  "redis SIGKILL (AOF)": [async () => process.kill(await redisPid(), "SIGKILL"), async () => { for (let i = 0; i < 50; i += 1) { try { await redis.startAgain(); return; } catch { await sleep(100); } } }],
  "redis SIGSTOP": [() => redis.pause(), () => redis.resume()],
  "sts throttled": [() => awsLocal.admin.setFaults({ throttle: { "sts:AssumeRole": { ratePerSecond: 5, burst: 2 } } }), () => awsLocal.admin.setFaults({})],
  "sts slow (2.5 s per call)": [() => awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 2500 } }), () => awsLocal.admin.setFaults({})],
  "kms failing": [() => awsLocal.admin.setFaults({ errors: [{ operation: "kms:GenerateDataKey", code: "KMSInternalException", status: 500, count: 100_000 }] }), () => awsLocal.admin.setFaults({})],
  "worker SIGKILL": [async () => child.kill("SIGKILL"), async () => spawnChild()],
  "nats-server restart": [async () => { await nats.stop(); await sleep(300); nats = await startNatsServer({ port: natsPort }); }, async () => undefined],
};
const PHASE_MS = 4000;
const ATTEMPT_MS = 1500;
const BUDGET_MS = 20_000;

const runs = [];
let fault = "none";
const until = Date.now() + minutes * 60_000;
const load = (async () => {
  while (Date.now() < until) {
    const r = rawRequester(nc, tenant, "demo-app");
    runs.push({ fault, r, final: r.untilFinal(BUDGET_MS, ATTEMPT_MS) });
    await sleep(1000 / ratePerSecond);
  }
})();
const names = Object.keys(FAULTS);
for (let i = 0; Date.now() < until; i += 1) {
  const name = names[i % names.length];
  const [begin, end] = FAULTS[name];
  fault = name;
  await begin();
  await sleep(Math.min(PHASE_MS, Math.max(0, until - Date.now())));
  await end();
  fault = "none";
  await sleep(Math.min(PHASE_MS, Math.max(0, until - Date.now())));
}
await load;
const finals = await Promise.all(runs.map((x) => x.final));
// Every payload once more: a served id must replay the same key; an unanswered one gets its chance.
const again = await Promise.all(runs.map((x) => x.r.untilFinal(10_000, ATTEMPT_MS)));

const perFault = new Map();
runs.forEach((x, i) => {
  const row = perFault.get(x.fault) ?? { ids: 0, served: 0, refused: {}, issuedTwice: 0, hung: 0, lost: 0 };
  const f = finals[i];
  row.ids += 1;
  if (f.kind === "credentials") row.served += 1;
  if (f.kind === "error") row.refused[f.reason] = (row.refused[f.reason] ?? 0) + 1;
  if (f.kind === "hung") row.hung += 1;
  if (f.kind === "hung" && again[i].kind === "hung") row.lost += 1;
  if (ledger.keysOf(x.r.requestId).size > 1) row.issuedTwice += 1;
  perFault.set(x.fault, row);
});
const calls = (await awsLocal.admin.calls())["sts:AssumeRole"] ?? { total: 0, ok: 0 };
const servedIds = runs.filter((x) => ledger.keysOf(x.r.requestId).size > 0).length;
console.log(`soak: ${minutes} min, ${runs.length} request ids at ${ratePerSecond}/s, faults in ${PHASE_MS / 1000} s windows\n`);
console.log("| fault (when the id was first sent) | ids | served | refused | issued twice | hung | lost |");
console.log("| --- | ---: | ---: | --- | ---: | ---: | ---: |");
for (const [name, r] of perFault) {
  console.log(`| ${name} | ${r.ids} | ${r.served} | ${Object.entries(r.refused).map(([k, v]) => `${k} ${v}`).join(", ") || "0"} | ${r.issuedTwice} | ${r.hung} | ${r.lost} |`);
}
console.log(`\nAssumeRole: ${calls.total} calls (${calls.ok} ok) for ${servedIds} served ids: ${(calls.total / Math.max(1, servedIds)).toFixed(3)} calls, ${(calls.ok / Math.max(1, servedIds)).toFixed(3)} ok per served id`);
const bad = [...perFault.values()].some((r) => r.issuedTwice > 0 || r.lost > 0);
ledger.close();
await cleanup();
process.exit(bad ? 1 : 0);
