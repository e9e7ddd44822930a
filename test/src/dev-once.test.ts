// `credvend dev --once`: the whole stack on one machine, one demo vend, one JSON object, exit 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { redisUrl } from "@credvend/testkit";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

test("credvend dev --once vends a demo credential end to end and exits 0", async () => {
  const env = { ...process.env, REDIS_URL: await redisUrl() };
  const run = spawnSync(process.execPath, [path.join(root, "services/cli/bin/credvend.js"), "dev", "--once"], { env, encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, `exit ${run.status}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  const summary = JSON.parse(run.stdout) as {
    endpoints: { nats: string; awsLocal: string };
    demoRequest: { tenant: string; principal: string; template: string };
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string };
    assumedRoleArn: string;
    callerIdentityArn: string;
  };
  assert.match(summary.endpoints.nats, /^nats:\/\/127\.0\.0\.1:\d+$/);
  assert.match(summary.credentials.accessKeyId, /^ASIA/);
  assert.match(summary.assumedRoleArn, /^arn:aws:sts::000000000000:assumed-role\/credvend-demo\//);
  assert.equal(summary.callerIdentityArn, summary.assumedRoleArn);
  // Secrets are never printed whole.
  assert.match(summary.credentials.secretAccessKey, /masked/);
  assert.match(summary.credentials.sessionToken, /masked/);
});
