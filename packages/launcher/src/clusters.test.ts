import assert from "node:assert/strict";
import { test } from "node:test";
import net from "node:net";
import { connect } from "nats";
import { startNatsCluster } from "./nats-cluster.js";
import { freePort } from "./ports.js";
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

test("a NATS cluster whose chosen port another process took meanwhile starts again on new ports for every node; other failures are not retried", async () => {
  // The race freePort cannot exclude, made certain: the first port handed out is already bound.
  const squatter = net.createServer().listen(0, "127.0.0.1");
  await new Promise((resolve) => squatter.once("listening", resolve));
  const taken = (squatter.address() as net.AddressInfo).port;
  let picks = 0;
  const pickPort = async () => (picks++ === 0 ? taken : freePort());
  try {
    const cluster = await startNatsCluster({ size: 3 }, pickPort);
    try {
      assert.equal(picks, 18, "two sets of 9 ports: client, route and monitor for each of 3 nodes");
      assert.ok(cluster.nodes.every((n) => n.port !== taken));
      const nc = await connect({ servers: cluster.url.split(",") });
      assert.equal(nc.info?.cluster, "credvend-test");
      await nc.close();
    } finally {
      await cluster.stop();
    }
  } finally {
    squatter.close();
  }
  picks = 0;
  await assert.rejects(startNatsCluster({ size: 3, config: "jetstream { max_memory_store: not-a-size }" }, pickPort), /nats-server did not start/);
  assert.equal(picks, 9, "a bad config is not a port race: one set of ports, no retry");
});
