import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import { test } from "node:test";
import { connect } from "nats";
import { MissingBinaryError, ServerStartError } from "./errors.js";
import { startNatsServer } from "./nats-server.js";
import { freePort } from "./ports.js";
import { redisPing } from "./redis-ping.js";
import { startRedisServer } from "./redis-server.js";

test("nats-server starts with JetStream, serves clients, and stops cleanly", async () => {
  const server = await startNatsServer();
  try {
    assert.match(server.url, /^nats:\/\/127\.0\.0\.1:\d+$/);
    assert.ok(fs.existsSync(server.configPath));
    const nc = await connect({ servers: server.url });
    try {
      assert.equal(nc.info?.jetstream, true);
      const jsm = await nc.jetstreamManager();
      const info = await jsm.getAccountInfo();
      assert.equal(typeof info.streams, "number");
    } finally {
      await nc.close();
    }
  } finally {
    await server.stop();
  }
  assert.equal(await portOpen(server.port), false, "port still open after stop");
  assert.equal(fs.existsSync(server.configPath), false, "temp dir not removed");
  await server.stop(); // idempotent
});

test("nats-server honours a requested port and jetstream: false", async () => {
  const port = await freePort();
  const server = await startNatsServer({ port, jetstream: false });
  try {
    assert.equal(server.port, port);
    const nc = await connect({ servers: server.url });
    assert.equal(nc.info?.jetstream ?? false, false);
    await nc.close();
  } finally {
    await server.stop();
  }
});

test("a bad nats-server config fails fast with the server's own message", async () => {
  const started = Date.now();
  await assert.rejects(startNatsServer({ config: "authorization {" }), (err: unknown) => {
    assert.ok(err instanceof ServerStartError);
    assert.match(err.message, /Parse error/);
    return true;
  });
  assert.ok(Date.now() - started < 5000);
});

test("a missing binary names itself and how to install it", async () => {
  await assert.rejects(startRedisServer({ binary: "redis-server-not-installed" }), (err: unknown) => {
    assert.ok(err instanceof MissingBinaryError);
    assert.equal(err.binary, "redis-server-not-installed");
    assert.match(err.message, /apt-get install nats-server redis-server/);
    return true;
  });
});

test("redis-server starts, restarts on the same port, and stops", async () => {
  const server = await startRedisServer();
  try {
    assert.match(server.url, /^redis:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(await redisPing(server.port), true);
    await server.restart();
    assert.equal(server.url, `redis://127.0.0.1:${server.port}`);
    assert.equal(await redisPing(server.port), true);
  } finally {
    await server.stop();
  }
  assert.equal(await redisPing(server.port), false);
});

test("redis-server restart() also works after stop() (outage tests)", async () => {
  const server = await startRedisServer();
  try {
    await server.stop();
    assert.equal(await redisPing(server.port), false);
    await server.restart();
    assert.equal(await redisPing(server.port), true);
    await server.stopOnly();
    assert.equal(await redisPing(server.port), false);
    await assert.rejects(server.restart().then(() => server.startAgain()), /still running/);
    assert.equal(await redisPing(server.port), true);
  } finally {
    await server.stop();
  }
});

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

test("tls: true makes nats-server require TLS; clients that trust the generated CA get through", async () => {
  const server = await startNatsServer({ tls: true, jetstream: false });
  try {
    assert.ok(server.caFile && fs.existsSync(server.caFile));
    // The CA's private key is gone: nothing else can be signed with it.
    assert.equal(fs.existsSync(server.caFile.replace(/ca\.pem$/, "ca.key")), false);
    await assert.rejects(connect({ servers: server.url, reconnect: false, timeout: 3000 }), /certificate|self[- ]signed|verify/i);
    const nc = await connect({ servers: server.url, reconnect: false, tls: { caFile: server.caFile } });
    assert.equal(nc.info?.tls_required, true);
    await nc.close();
    // A reload keeps TLS on.
    await server.reload("# no users\n");
    await assert.rejects(connect({ servers: server.url, reconnect: false, timeout: 3000 }), /certificate|self[- ]signed|verify/i);
  } finally {
    await server.stop();
  }
});

test("redis-server with a password refuses commands without it, and the password is not in its argv", async () => {
  const password = "launcher-secret-0123456789";
  const server = await startRedisServer({ password });
  try {
    assert.equal(server.url, `redis://:${password}@127.0.0.1:${server.port}`);
    assert.equal(await redisPing(server.port), false, "PING without AUTH must be refused");
    assert.equal(await redisPing(server.port, "127.0.0.1", 500, true), true, "the server answers -NOAUTH");
    // Every process's argv is readable by any local user (ps): the password must not be there.
    const pids = fs.existsSync("/proc") ? fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)) : [];
    for (const pid of pids) {
      let cmdline = "";
      try {
        cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8");
      } catch {
        continue;
      }
      assert.ok(!cmdline.includes(password), `pid ${pid} has the password in its command line`);
    }
  } finally {
    await server.stop();
  }
});
