// Quick throughput numbers for the guard's Lua round trips (not a test; numbers depend on the machine).
// Usage: node packages/guard/scripts/bench.mjs [redis-url]   (default: a fresh redis-server via testkit)
import { randomUUID } from "node:crypto";
import { startRedisServer } from "@credvend/testkit";
import { createRedis, waitReady, RateLimiter, IdempotencyStore } from "../dist/index.js";

const server = process.argv[2] ? undefined : await startRedisServer();
const redis = createRedis(process.argv[2] ?? server.url, { name: "guard-bench", commandTimeoutMs: 5000 });
await waitReady(redis, 5000);
const limiter = new RateLimiter(redis);
const store = new IdempotencyStore(redis);
const N = 20_000;

async function measure(label, concurrency, op) {
  let next = 0;
  const started = process.hrtime.bigint();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < N) await op(next++);
  }));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  console.log(`${label.padEnd(48)} concurrency ${String(concurrency).padStart(3)}: ${Math.round(N / seconds).toLocaleString("en-US").padStart(7)} ops/s`);
}

const one = [{ key: "principal:app", perSecond: 1e9, burst: 1000 }];
const three = [{ key: "tenant", perSecond: 1e9, burst: 1000 }, { key: "principal:app", perSecond: 1e9, burst: 1000 }, { key: "template:x", perSecond: 1e9, burst: 1000 }];
const scope = { tenant: "bench", principal: "app" };
for (const concurrency of [1, 64]) {
  await measure("RateLimiter.check, 1 limit", concurrency, () => limiter.check("bench", one));
  await measure("RateLimiter.check, 3 limits", concurrency, () => limiter.check("bench", three));
  await measure("IdempotencyStore.claim (new id)", concurrency, () => store.claim(scope, randomUUID(), "fp"));
  const ids = Array.from({ length: N }, () => randomUUID());
  await measure("IdempotencyStore.claim + complete (2 KiB reply)", concurrency, async (i) => {
    const r = await store.claim(scope, ids[i], "fp");
    if (r.state === "claimed") await store.complete(scope, ids[i], r.token, new Uint8Array(2048));
  });
  await measure("IdempotencyStore.claim (replay of done, 2 KiB)", concurrency, (i) => store.claim(scope, ids[i], "fp"));
}
redis.disconnect();
await server?.stop();
