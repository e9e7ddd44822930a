// Clusters, for real: a 3-node NATS cluster with JetStream and a Redis Cluster (3 primaries, 3
// replicas) from the local binaries, two workers, and a load of vends with request ids (and
// retries of the same ids) while one NATS node is stopped and started and while the primary that
// holds the tenant's slot is SIGKILLed and its replica takes over. For every id: never issued
// twice (one access key in all its replies, one AssumeRole per id), never lost, never hung.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { startNatsCluster, startRedisCluster, uniqueName, type NatsClusterHandle, type RedisClusterHandle } from "@credvend/testkit";
import { auditStreamConfig, settingsFromEnv, type RunningWorker } from "@credvend/worker";
import { connect, type NatsConnection } from "nats";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { demoConfig } from "./support/config.js";
import { assertEachServedOnce, ReplyLedger, retriedLoad } from "./support/faults.js";
import { runTestWorker } from "./support/worker.js";
import { REGION } from "./support/harness.js";

const tenant = uniqueName("cluster");
const dir = mkdtempSync(path.join(tmpdir(), "credvend-cluster-"));
let nats: NatsClusterHandle;
let redis: RedisClusterHandle;
let awsLocal: AwsLocal;
const workers: RunningWorker[] = [];
let nc: NatsConnection;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

before(async () => {
  [nats, redis] = await Promise.all([startNatsCluster(), startRedisCluster()]);
  awsLocal = await startAwsLocal({ port: 0, region: REGION, logger: () => undefined });
  const configFile = path.join(dir, "credvend.yaml");
  writeFileSync(configFile, demoConfig({ tenants: [tenant] }));
  nc = await connect({ servers: nats.url.split(","), name: "test-requester", maxReconnectAttempts: -1, reconnectTimeWait: 100 });
  // As an operator would for a cluster: the audit stream on all three nodes, before the workers.
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ ...auditStreamConfig({ maxAgeHours: 1, duplicateWindowMs: 120_000 }), num_replicas: 3 });
  const settings = settingsFromEnv({
    NATS_URL: nats.url,
    REDIS_URL: redis.url,
    CREDVEND_REDIS_WAIT_REPLICAS: "1",
    CREDVEND_CONFIG: configFile,
    AWS_REGION: REGION,
    CREDVEND_LOG_LEVEL: "silent",
  });
  for (const name of ["worker-a", "worker-b"]) {
    workers.push(await runTestWorker(settings, awsLocal.endpoint, { name }));
  }
});
after(async () => {
  await nc?.close();
  for (const w of workers) await w.stop();
  await awsLocal?.stop();
  await redis?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

test("two workers on a NATS cluster and a Redis Cluster: a NATS node restarted and a Redis primary killed under load, every id issued once", async (t) => {
  const ledger = new ReplyLedger(nc, tenant, "demo-app");
  await nc.flush();
  const slot = Number(await redis.command(redis.nodes[0]?.port ?? 0, ["CLUSTER", "KEYSLOT", `{${tenant}}`]));
  const primary = await redis.primaryOf(slot);
  // STS takes a while, so the faults find requests between claim and completion.
  await awsLocal.admin.setFaults({ latencyMs: { "sts:AssumeRole": 150 } });

  const { requesters, finals } = retriedLoad(nc, tenant, "demo-app", 80);

  // The NATS node worker-a is connected to goes away and comes back.
  await sleep(500);
  const server = workers[0]?.nc.getServer() ?? "";
  const natsNode = nats.nodes.find((n) => server.endsWith(`:${n.port}`)) ?? nats.nodes[0];
  assert.ok(natsNode);
  await natsNode.stop();
  await sleep(400);
  await natsNode.start();

  // The primary of the tenant's slot crashes; its replica takes over; the crashed node rejoins as a replica.
  await sleep(200);
  const crashed = redis.nodes.find((n) => n.port === primary);
  assert.ok(crashed);
  const killedAt = Date.now();
  await crashed.kill();
  await redis.waitFailedOver(primary);
  const failoverMs = Date.now() - killedAt;
  await crashed.startAgain();
  await redis.waitHealthy();

  const tl = await assertEachServedOnce(await finals, requesters, ledger);
  const assumeRole = (await awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;
  assert.equal(assumeRole, requesters.length, "one AssumeRole per request id");
  assert.notEqual(await redis.primaryOf(slot), primary, "the slot moved to the promoted replica");
  // Every key the workers wrote for the tenant (records, epoch, rate limits), as the cluster
  // places them: one slot, on the primary that serves it, and on no other primary.
  for (const node of redis.nodes) {
    const role = await redis.command(node.port, ["ROLE"]);
    if (!Array.isArray(role) || role[0] !== "master") continue;
    const keys = await redis.command(node.port, ["KEYS", `*{${tenant}}*`]);
    const names = Array.isArray(keys) ? keys.map(String) : [];
    if (node.port !== (await redis.primaryOf(slot))) {
      assert.deepEqual(names, [], `primary ${node.port} holds none of the tenant's keys`);
      continue;
    }
    assert.ok(names.length > requesters.length, `${names.length} keys`);
    for (const key of names) assert.equal(Number(await redis.command(node.port, ["CLUSTER", "KEYSLOT", key])), slot, key);
  }
  ledger.close();
  const retryable = requesters.flatMap((r) => r.refusals.map((x) => x.reason));
  const counts = Object.fromEntries([...new Set(retryable)].map((reason) => [reason, retryable.filter((x) => x === reason).length]));
  t.diagnostic(`cluster: ${JSON.stringify(tl)}; AssumeRole ${assumeRole} for ${requesters.length} ids; Redis failover ${failoverMs} ms; retryable refusals on the way ${JSON.stringify(counts)}`);
});
