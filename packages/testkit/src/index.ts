// @credvend/testkit: finds or starts NATS and Redis for tests and the dev stack.
export type { ServerHandle } from "./types.js";
export { startNatsServer, type NatsServerOptions, type NatsServerHandle } from "./nats-server.js";
export { startRedisServer, type RedisServerOptions, type RedisServerHandle } from "./redis-server.js";
export { natsUsersConfig, type NatsUser } from "./nats-users-config.js";
export { natsUrl, redisUrl } from "./shared-servers.js";
export { containerRuntimeAvailable } from "./container-runtime.js";
export { uniqueName, uniqueRequestId } from "./names.js";
export { freePort } from "./ports.js";
export { redisPing } from "./redis-ping.js";
export { MissingBinaryError, ServerStartError } from "./errors.js";
// aws-local, the STS + KMS emulator, started with options; `endpoint`, `admin` and `stop()` on the handle.
export { startAwsLocal, type AwsLocal, type AwsLocalOptions } from "@credvend/aws-local";
