import { containerRuntimeAvailable } from "./container-runtime.js";
import { startNatsServer, startRedisServer } from "@credvend/launcher";


// One NATS and one Redis per test process, found in this order: NATS_URL / REDIS_URL (set by
// scripts/test.mjs or CI), containers when an engine answers, then the local binaries.
// Binaries are stopped by the exit hooks; containers by testcontainers' reaper (Ryuk).

const NATS_IMAGE = "nats:2.10-alpine";
const REDIS_IMAGE = "redis:7.0-alpine";

let nats: Promise<string> | undefined;
let redis: Promise<string> | undefined;

/** URL of the shared test NATS server (JetStream enabled). */
export function natsUrl(): Promise<string> {
  nats ??= resolveOnce(() => findNats(), () => {
    nats = undefined;
  });
  return nats;
}

/** URL of the shared test Redis server. */
export function redisUrl(): Promise<string> {
  redis ??= resolveOnce(() => findRedis(), () => {
    redis = undefined;
  });
  return redis;
}

// A failed start is not cached, so a later test can try again (e.g. after a port race).
async function resolveOnce(find: () => Promise<string>, forget: () => void): Promise<string> {
  try {
    return await find();
  } catch (err) {
    forget();
    throw err;
  }
}

async function findNats(): Promise<string> {
  const fromEnv = process.env["NATS_URL"];
  if (fromEnv) return fromEnv;
  if (await containerRuntimeAvailable()) {
    // Not @testcontainers/nats: its NatsContainer always sets --user/--pass, and the nats 2.29
    // client ignores credentials in a URL, so a plain URL would not authenticate.
    const { GenericContainer, Wait } = await import("testcontainers");
    const container = await new GenericContainer(NATS_IMAGE)
      .withCommand(["-js"])
      .withExposedPorts(4222)
      .withWaitStrategy(Wait.forLogMessage(/Server is ready/))
      .start();
    return `nats://${container.getHost()}:${container.getMappedPort(4222)}`;
  }
  return (await startNatsServer()).url;
}

async function findRedis(): Promise<string> {
  const fromEnv = process.env["REDIS_URL"];
  if (fromEnv) return fromEnv;
  if (await containerRuntimeAvailable()) {
    const { RedisContainer } = await import("@testcontainers/redis");
    return (await new RedisContainer(REDIS_IMAGE).start()).getConnectionUrl();
  }
  return (await startRedisServer()).url;
}
