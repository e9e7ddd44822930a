// @credvend/launcher: starts nats-server and redis-server binaries on free ports and supervises
// child processes. The dev stack needs this at run time, so it carries no test harness
// (testcontainers lives in @credvend/testkit, which builds on this package).
export type { ServerHandle } from "./types.js";
export { startNatsServer, type NatsServerOptions, type NatsServerHandle } from "./nats-server.js";
export { startRedisServer, type RedisServerOptions, type RedisServerHandle } from "./redis-server.js";
export { startRedisCluster, type RedisClusterOptions, type RedisClusterHandle } from "./redis-cluster.js";
export { startNatsCluster, type NatsClusterOptions, type NatsClusterHandle, type NatsClusterNode } from "./nats-cluster.js";
export { redisCommand, RespError, type RespValue, type RedisCommandOptions } from "./redis-command.js";
export { natsUsersConfig, type NatsUser } from "./nats-users-config.js";
export { freePort } from "./ports.js";
export { redisPing } from "./redis-ping.js";
export { MissingBinaryError, ServerStartError } from "./errors.js";
export { SupervisedChild } from "./child.js";
export { onProcessExit } from "./exit-hooks.js";
export { writeDevTls, type DevTlsFiles } from "./tls.js";
export { startRedisSentinel, type RedisSentinelOptions, type RedisSentinelHandle } from "./redis-sentinel.js";
