// Shared setup for the guard's integration tests (compiled beside them; not exported by the package).
import type { Redis } from "../connection.js";
import { redisUrl } from "@credvend/testkit";
import { createRedis, waitReady } from "../redis-client.js";

/** A fail-fast client on the shared test Redis, ready to use. */
export async function testRedis(name: string): Promise<Redis> {
  const redis = createRedis(await redisUrl(), { name, commandTimeoutMs: 2000 });
  await waitReady(redis, 5000);
  return redis;
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
