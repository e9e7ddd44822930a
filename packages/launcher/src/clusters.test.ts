import assert from "node:assert/strict";
import { test } from "node:test";
import { connect } from "nats";
import { startNatsCluster } from "./nats-cluster.js";
import { redisCommand, RespError } from "./redis-command.js";
import { startRedisServer } from "./redis-server.js";

test("redisCommand speaks RESP: status, bulk, integer, nil, array and error replies, with AUTH first", async () => {
  const server = await startRedisServer({ password: "launcher-pw" });
  try {
    const auth = { password: "launcher-pw" };
    assert.equal(await redisCommand(server.port, ["SET", "k", "héllo"], auth), "OK");
    assert.equal(await redisCommand(server.port, ["GET", "k"], auth), "héllo");
    assert.equal(await redisCommand(server.port, ["GET", "missing"], auth), null);
    assert.equal(await redisCommand(server.port, ["INCR", "n"], auth), 1);
    assert.deepEqual(await redisCommand(server.port, ["MGET", "k", "missing"], auth), ["héllo", null]);
    const refused = await redisCommand(server.port, ["GET", "k"]);
    assert.ok(refused instanceof RespError && refused.message.startsWith("NOAUTH"), String(refused));
  } finally {
    await server.stop();
  }
});

test("a NATS cluster: routed nodes with JetStream; a stopped node comes back on its port and rejoins", async () => {
  const cluster = await startNatsCluster({ size: 3 });
  try {
    assert.equal(cluster.url.split(",").length, 3);
    const nc = await connect({ servers: cluster.url.split(","), maxReconnectAttempts: -1, reconnectTimeWait: 100 });
    try {
      assert.equal(nc.info?.cluster, "credvend-test");
      const node = cluster.nodes[1];
      assert.ok(node);
      await node.stop();
      assert.equal(node.running, false);
      await node.start();
      assert.equal(node.running, true);
      const jsm = await nc.jetstreamManager();
      const stream = await jsm.streams.add({ name: "LAUNCHER_R3", subjects: ["launcher.r3"], num_replicas: 3 });
      assert.equal(stream.cluster?.replicas?.length, 2, "the stream is on all three nodes");
    } finally {
      await nc.close();
    }
  } finally {
    await cluster.stop();
  }
});
