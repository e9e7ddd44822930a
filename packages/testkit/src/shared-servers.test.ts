import assert from "node:assert/strict";
import { test } from "node:test";
import { connect } from "nats";
import { containerRuntimeAvailable } from "./container-runtime.js";
import { redisPing } from "@credvend/launcher";
import { natsUrl, redisUrl } from "./shared-servers.js";

test("natsUrl and redisUrl are cached per process and reachable", async () => {
  const [nats, again] = await Promise.all([natsUrl(), natsUrl()]);
  assert.equal(nats, again);
  const nc = await connect({ servers: nats });
  await nc.flush();
  await nc.close();

  const redis = await redisUrl();
  assert.equal(await redisUrl(), redis);
  const { hostname, port } = new URL(redis);
  assert.equal(await redisPing(Number(port), hostname), true);
});

test("the container probe is cheap and cached", async () => {
  const started = Date.now();
  const first = await containerRuntimeAvailable();
  assert.equal(await containerRuntimeAvailable(), first);
  // With no engine hint it must not even import testcontainers (~0.6 s); with one it may take longer.
  if (!first) assert.ok(Date.now() - started < 100, `probe took ${Date.now() - started} ms`);
});
