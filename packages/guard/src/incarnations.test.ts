// When the guard first saw a Redis process (the hint that lets a new tenant's first request be
// served on a Redis that started less than a second ago): a probe reply that arrives after the
// command timeout still counts, with the time Redis ran it. Against a private redis-server,
// behind a proxy that holds back every reply.
import assert from "node:assert/strict";
import net from "node:net";
import { after, before, test } from "node:test";
import { startRedisServer, type RedisServerHandle } from "@credvend/testkit";
import { Redis as SingleRedis } from "ioredis";
import { Incarnations } from "./incarnations.js";
import { createRedis, waitReady } from "./redis-client.js";

const COMMAND_TIMEOUT_MS = 100;
/**
 * Past the guard's timeout, so every attempt gives up before its reply, and within ioredis's
 * own backstop (4 × the timeout), which would drop the reply.
 */
const REPLY_DELAY_MS = 250;

let server: RedisServerHandle;
let proxy: net.Server;
let proxyPort: number;

/** Forwards to Redis at once, and every reply back only after REPLY_DELAY_MS. */
function delayingProxy(target: { host: string; port: number }): Promise<net.Server> {
  const listener = net.createServer((client) => {
    const upstream = net.connect(target);
    client.on("data", (chunk) => upstream.write(chunk));
    upstream.on("data", (chunk) => setTimeout(() => client.writable && client.write(chunk), REPLY_DELAY_MS).unref());
    const close = () => { client.destroy(); upstream.destroy(); };
    client.on("error", close).on("close", close);
    upstream.on("error", close).on("close", close);
  });
  return new Promise((resolve) => listener.listen(0, "127.0.0.1", () => resolve(listener)));
}

before(async () => {
  server = await startRedisServer();
  const url = new URL(server.url);
  proxy = await delayingProxy({ host: url.hostname, port: Number(url.port) });
  proxyPort = (proxy.address() as net.AddressInfo).port;
});
after(async () => {
  await new Promise((resolve) => proxy?.close(resolve));
  await server?.stop();
});

test("a probe answered after its timeout still dates the process, from when Redis ran it", async () => {
  const redis = createRedis(`redis://127.0.0.1:${proxyPort}`, { name: "guard-incarnations-test", commandTimeoutMs: COMMAND_TIMEOUT_MS });
  try {
    await waitReady(redis, 5000);
    const sentAtMs = Date.now();
    const known = new Incarnations(redis);
    assert.equal(known.hint(), "", "nothing known before any reply");
    // Every attempt gives up before its reply comes; the replies come in meanwhile and after.
    await known.settled();
    await new Promise((resolve) => setTimeout(resolve, REPLY_DELAY_MS + 300));
    const direct = new SingleRedis(server.url);
    const runId = /run_id:([0-9a-f]+)/.exec(await direct.info("server"))?.[1];
    direct.disconnect();
    const match = /^([0-9a-f]+):(\d+)$/.exec(known.hint());
    assert.ok(match, `one process, dated: '${known.hint()}'`);
    assert.equal(match[1], runId);
    // The first attempt's time, not a later one's (this machine's clock is Redis's).
    const seenMs = Number(match[2]);
    assert.ok(seenMs >= sentAtMs - 5 && seenMs < sentAtMs + COMMAND_TIMEOUT_MS, `seen at ${seenMs - sentAtMs} ms after the first probe was sent`);
  } finally {
    redis.disconnect();
  }
});
