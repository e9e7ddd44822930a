// Fleet-wide config in a NATS KV bucket: every worker watches one key and swaps atomically to
// each new valid revision; an invalid revision is refused and the last good one stays.
import { Events, type KV, type KvEntry, type NatsConnection, type QueuedIterator } from "nats";
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

/** While the bucket is missing or the watch failed, it is tried again this often. */
const KV_RETRY_MS = 1000;

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
  const follower = new KvFollower(nc, bucket, flag, holder, log, entry.revision, await bucketCreated(kv));
  follower.start();
  return { holder, stop: () => follower.stop() };
}

async function bucketCreated(kv: KV): Promise<string> {
  return (await kv.status()).streamInfo.created;
}

/**
 * Follows the config key for the worker's life. A watch is one ordered consumer: it dies with its
 * stream (a nats-server that lost its store) and notices a restart only after missed heartbeats
 * (about 10 s). So the watch is re-opened on every reconnect and whenever it ends; a bucket that
 * is gone is reported (log, /readyz warning) and looked for again; a bucket created anew (its
 * stream's creation time differs) starts its revisions at 1 again, so they are not compared with
 * the old bucket's. Throughout, the last good config stays in use.
 */
class KvFollower {
  #stopped = false;
  #watcher: QueuedIterator<KvEntry> | undefined;
  #wake: (() => void) | undefined;
  /** The problem reported for a deleted config key, cleared by the next put. */
  #deletion: string | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly bucket: string,
    private readonly flag: string,
    private readonly holder: ConfigHolder,
    private readonly log: Logger,
    private last: number,
    private created: string,
  ) {}

  start(): void {
    // The status iterator ends when the connection closes (it has no stop of its own).
    void (async () => {
      for await (const s of this.nc.status()) if (s.type === Events.Reconnect && !this.#stopped) this.#kick();
    })().catch(() => undefined);
    void this.#run().catch((err: unknown) => this.log.error({ err: String(err), bucket: this.bucket }, "config watch ended; the last good config stays in use"));
  }

  stop(): void {
    this.#stopped = true;
    this.#kick();
  }

  /**
   * The config key was deleted or purged: nothing to swap to, so the last good config stays, but a
   * worker started now would find no config and refuse to start. Reported (log, /readyz warning,
   * `credvend status`) until a config is put again.
   */
  #keyDeleted(revision: number): void {
    const version = this.holder.status().version;
    this.#deletion = `the config key '${CONFIG_KV_KEY}' was deleted from NATS KV bucket '${this.bucket}' (revision ${revision}); serving the last good config ${version}, but a worker started now would find none; push it again: credvend config push <file>${this.flag}`;
    this.log.error({ bucket: this.bucket, version, revision }, this.#deletion);
    this.holder.setSourceProblem(this.#deletion);
  }

  /** Ends the current watch (or the wait between attempts) so the loop opens a fresh one now. */
  #kick(): void {
    this.#watcher?.stop();
    this.#wake?.();
  }

  async #run(): Promise<void> {
    while (!this.#stopped) {
      await this.#followOnce();
      if (this.#stopped) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, KV_RETRY_MS);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #followOnce(): Promise<void> {
    let watcher: QueuedIterator<KvEntry>;
    try {
      const kv = await openConfigBucket(this.nc, this.bucket);
      const created = await bucketCreated(kv);
      if (created !== this.created) {
        this.log.warn({ bucket: this.bucket, version: this.holder.status().version }, `NATS KV bucket '${this.bucket}' was created anew; following its revisions from the start (the last good config stays until one is accepted)`);
        this.created = created;
        this.last = 0;
      }
      watcher = await kv.watch({ key: CONFIG_KV_KEY });
    } catch (error) {
      if (this.#stopped) return;
      const version = this.holder.status().version;
      const problem = isMissingBucket(error)
        ? `NATS KV bucket '${this.bucket}' is gone (did nats-server lose its JetStream store?); serving the last good config ${version}; push it again: credvend config push <file>${this.flag}`
        : `cannot watch NATS KV bucket '${this.bucket}' (${(error as Error).message}); serving the last good config ${version}`;
      // Logged once per problem, not once per retry.
      if (this.holder.status().sourceProblem !== problem) this.log.error({ bucket: this.bucket, version }, problem);
      this.holder.setSourceProblem(problem);
      return;
    }
    this.#watcher = watcher;
    // A deleted key stays reported across reopened watches, until a put (the marker is not replayed).
    const problem = this.holder.status().sourceProblem;
    if (problem !== undefined && problem !== this.#deletion) {
      this.log.info({ bucket: this.bucket }, `NATS KV bucket '${this.bucket}' is back; following it again`);
      this.holder.setSourceProblem(undefined);
    }
    if (this.#stopped) watcher.stop();
    try {
      for await (const e of watcher) {
        if (e.revision <= this.last) continue;
        this.last = e.revision;
        if (e.operation !== "PUT") {
          this.#keyDeleted(e.revision);
          continue;
        }
        // The key is there again: a deletion reported before no longer applies.
        if (this.holder.status().sourceProblem === this.#deletion) this.holder.setSourceProblem(undefined);
        const result = this.holder.offer(e.string(), `kv:${e.revision}`);
        if (result.accepted) this.log.info({ version: `kv:${e.revision}` }, "config updated from NATS KV");
        else this.log.error({ version: `kv:${e.revision}`, problems: result.problems }, `config revision ${e.revision} refused; keeping ${this.holder.status().version}:\n${formatProblems(result.problems)}`);
      }
    } catch (error) {
      // The consumer could not be re-created (its stream is gone): the next attempt finds out why.
      this.log.debug({ err: String(error), bucket: this.bucket }, "config watch ended; opening it again");
    } finally {
      if (this.#watcher === watcher) this.#watcher = undefined;
    }
  }
}

export { ConfigRefusedError };
