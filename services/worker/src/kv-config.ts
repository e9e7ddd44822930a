// Fleet-wide config in a NATS KV bucket: every worker watches one key and swaps atomically to
// each new valid revision; an invalid revision is refused and the last good one stays.
import type { KV, NatsConnection } from "nats";
import type { Logger } from "pino";
import { ConfigHolder, ConfigRefusedError, formatProblems } from "./config-holder.js";
import type { LintOptions } from "@credvend/policy";

export const CONFIG_KV_BUCKET = "credvend-config";
export const CONFIG_KV_KEY = "config";

/**
 * Opens the config bucket. Only a writer (`credvend config push`) creates it; readers (workers,
 * `config show`) bind to it, which needs no stream-management permission at all.
 */
export async function openConfigBucket(nc: NatsConnection, bucket = CONFIG_KV_BUCKET, options: { create?: boolean } = {}): Promise<KV> {
  return nc.jetstream().views.kv(bucket, options.create ? { history: 10 } : { bindOnly: true });
}

/** JetStream's answer when the bucket's stream does not exist (bind does not check up front). */
export function isMissingBucket(error: unknown): boolean {
  const e = error as { api_error?: { err_code?: number }; message?: string } | undefined;
  return e?.api_error?.err_code === 10059 || e?.message === "stream not found";
}

export class MissingKvConfigError extends Error {
  override readonly name = "MissingKvConfigError";
}

export interface KvConfigWatch {
  readonly holder: ConfigHolder;
  stop(): void;
}

export async function loadKvConfig(nc: NatsConnection, bucket: string, lint: LintOptions, log: Logger): Promise<KvConfigWatch> {
  const kv = await openConfigBucket(nc, bucket);
  const flag = bucket === CONFIG_KV_BUCKET ? "" : ` --bucket ${bucket}`;
  const entry = await kv.get(CONFIG_KV_KEY).catch((error: unknown) => {
    if (isMissingBucket(error)) throw new MissingKvConfigError(`NATS KV bucket '${bucket}' does not exist; create it by pushing a config: credvend config push <file>${flag}`);
    throw error;
  });
  if (!entry || entry.operation !== "PUT" || entry.value.length === 0) {
    throw new MissingKvConfigError(`NATS KV bucket '${bucket}' has no '${CONFIG_KV_KEY}' entry; push one with: credvend config push <file>${flag}`);
  }
  const holder = ConfigHolder.fromText(entry.string(), `kv:${bucket}`, `kv:${entry.revision}`, lint);
  let last = entry.revision;
  const watcher = await kv.watch({ key: CONFIG_KV_KEY });
  void (async () => {
    for await (const e of watcher) {
      if (e.revision <= last || e.operation !== "PUT") continue;
      last = e.revision;
      const result = holder.offer(e.string(), `kv:${e.revision}`);
      if (result.accepted) log.info({ version: `kv:${e.revision}` }, "config updated from NATS KV");
      else log.error({ version: `kv:${e.revision}`, problems: result.problems }, `config revision ${e.revision} refused; keeping ${holder.status().version}:\n${formatProblems(result.problems)}`);
    }
  })().catch((err: unknown) => log.error({ err: String(err) }, "config watch ended"));
  return { holder, stop: () => watcher.stop() };
}

export { ConfigRefusedError };
