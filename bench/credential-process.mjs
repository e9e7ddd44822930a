// `credvend credential-process` as the AWS CLI and SDKs run it: one process per call, wall-clock
// time from spawn to exit. Cold: an empty cache (connect to NATS, one vend, one KMS Decrypt, the
// sealed reply cached). Warm: the cached sealed reply (no NATS connection, one KMS Decrypt).
//
//   measureCredentialProcess({ natsUrl, awsEndpoint, cold, warm }) -> { cold: stats, warm: stats }
//     against a running stack (the bench topology); callable from the bench report
//   node bench/credential-process.mjs [--cold N] [--warm N]
//     starts its own stack (bench/topology.mjs), measures, prints one markdown table, stops it
import { devCredentials, DEV_ACCOUNT_ID, DEV_REPLY_KEY_ID } from "@credvend/aws-local";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { CLI, cleanEnv, stopAll, waitUntil } from "./procs.mjs";
import { PARAMS, PRINCIPAL, REGION, TEMPLATE, TENANT, startAwsLocalChild, startServers, startWorkerChild } from "./topology.mjs";

const ARGS = ["credential-process", "--template", TEMPLATE, ...Object.entries(PARAMS).flatMap(([k, v]) => ["--param", `${k}=${v}`])];

function once(env) {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [CLI, ...ARGS], { env, encoding: "utf8", timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) return reject(new Error(`credential-process failed: ${stderr.trim() || error.message}`));
      if (JSON.parse(stdout).Version !== 1) return reject(new Error("credential-process printed no Version 1 JSON"));
      resolve(Number(process.hrtime.bigint() - started) / 1e6);
    });
  });
}

function bareNode() {
  const started = process.hrtime.bigint();
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ["-e", "0"], { encoding: "utf8" }, (error) => (error ? reject(error) : resolve(Number(process.hrtime.bigint() - started) / 1e6)));
  });
}

function stats(samples) {
  if (samples.length === 0) return { runs: 0, minMs: 0, medianMs: 0, p90Ms: 0 };
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  return { runs: sorted.length, minMs: sorted[0], medianMs: at(0.5), p90Ms: at(0.9) };
}

export async function measureCredentialProcess({ natsUrl, awsEndpoint, cold = 5, warm = 20 }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "credvend-bench-cp-"));
  const requester = devCredentials(PRINCIPAL);
  const env = (cacheDir) => cleanEnv({
    NATS_URL: natsUrl,
    CREDVEND_TENANT: TENANT,
    CREDVEND_PRINCIPAL: PRINCIPAL,
    CREDVEND_REPLY_KEY_ARN: `arn:aws:kms:${REGION}:${DEV_ACCOUNT_ID}:key/${DEV_REPLY_KEY_ID}`,
    CREDVEND_AWS_ACCESS_KEY_ID: requester.accessKeyId,
    CREDVEND_AWS_SECRET_ACCESS_KEY: requester.secretAccessKey,
    CREDVEND_CACHE_DIR: cacheDir,
    AWS_ENDPOINT_URL: awsEndpoint,
    HOME: dir,
  });
  try {
    const coldMs = [];
    for (let i = 0; i < cold; i += 1) coldMs.push(await once(env(path.join(dir, `cold-${i}`))));
    const warmDir = path.join(dir, "warm");
    await once(env(warmDir));
    const warmMs = [];
    for (let i = 0; i < warm; i += 1) warmMs.push(await once(env(warmDir)));
    // What any Node process costs on this machine before it runs a line: the floor of a warm call.
    const nodeMs = [];
    for (let i = 0; i < Math.max(3, Math.min(warm, 10)); i += 1) nodeMs.push(await bareNode());
    return { cold: stats(coldMs), warm: stats(warmMs), node: stats(nodeMs) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export function renderCredentialProcess(result) {
  const row = (name, s) => `| ${name} | ${s.runs} | ${s.minMs.toFixed(0)} | ${s.medianMs.toFixed(0)} | ${s.p90Ms.toFixed(0)} |`;
  return ["| credential-process (one process per call) | runs | min ms | median ms | p90 ms |", "| --- | ---: | ---: | ---: | ---: |",
    row("cold (empty cache: NATS, vend, KMS Decrypt)", result.cold), row("warm (cached sealed reply: KMS Decrypt only)", result.warm),
    ...(result.node ? [row("`node -e 0` (the floor: Node's own start-up here)", result.node)] : [])].join("\n");
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({ options: { cold: { type: "string", default: "5" }, warm: { type: "string", default: "20" } } });
  const log = (line) => process.stderr.write(`${line}\n`);
  try {
    const { nats, redis } = await startServers(log);
    const awsLocal = await startAwsLocalChild(log);
    startWorkerChild({ natsUrl: nats.url, redisUrl: redis.url, awsEndpoint: awsLocal.endpoint, extraEnv: { CREDVEND_AUDIT: "off" } });
    await waitUntil("a first credential-process call", async () => {
      try {
        await measureCredentialProcess({ natsUrl: nats.url, awsEndpoint: awsLocal.endpoint, cold: 1, warm: 0 });
        return true;
      } catch (error) {
        log(String(error.message).slice(0, 300));
        return false;
      }
    }, { timeoutMs: 30_000, intervalMs: 500 });
    const result = await measureCredentialProcess({ natsUrl: nats.url, awsEndpoint: awsLocal.endpoint, cold: Number(values.cold), warm: Number(values.warm) });
    console.log(renderCredentialProcess(result));
  } finally {
    await stopAll();
  }
}
