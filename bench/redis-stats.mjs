// Redis-side counts for a phase: commands by name (INFO commandstats) and the number of keys
// (DBSIZE), so the report can say what a vend or a refusal costs Redis, independent of timing.
import { Redis } from "ioredis";

export function redisStats(url) {
  const redis = new Redis(url, { lazyConnect: false, maxRetriesPerRequest: 1, connectionName: "credvend-bench-stats" });
  return {
    /** { commands: { get: 12, evalsha: 30, ... }, keys } */
    async snapshot() {
      const [info, keys] = await Promise.all([redis.info("commandstats"), redis.dbsize()]);
      const commands = {};
      for (const m of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm)) commands[m[1]] = Number(m[2]);
      return { commands, keys };
    },
    close: () => redis.quit().catch(() => redis.disconnect()),
  };
}

/** Commands run between two snapshots (the bench's own INFO/DBSIZE calls left out). */
export function redisDelta(before, after) {
  const commands = {};
  for (const [name, n] of Object.entries(after.commands)) {
    if (name === "info" || name === "dbsize" || name === "client|setname" || name === "client") continue;
    const d = n - (before.commands[name] ?? 0);
    if (d > 0) commands[name] = d;
  }
  return { commands, total: Object.values(commands).reduce((a, b) => a + b, 0), keys: after.keys - before.keys };
}
