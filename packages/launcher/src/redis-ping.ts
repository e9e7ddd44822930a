import { redisCommand, RespError } from "./redis-command.js";

/**
 * True when a Redis server on host:port answers PING with PONG (raw RESP, no client library).
 * With `acceptNoAuth`, a -NOAUTH reply also counts (a password-protected server is up).
 */
export async function redisPing(port: number, host = "127.0.0.1", timeoutMs = 500, acceptNoAuth = false): Promise<boolean> {
  try {
    const reply = await redisCommand(port, ["PING"], { host, timeoutMs });
    // "-LOADING ..." is an error reply too: only PONG (or an expected -NOAUTH) means ready.
    return reply === "PONG" || (acceptNoAuth && reply instanceof RespError && reply.message.startsWith("NOAUTH"));
  } catch {
    return false;
  }
}
