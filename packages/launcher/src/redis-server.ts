import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { findBinary } from "./binary.js";
import { SupervisedChild } from "./child.js";
import { onProcessExit } from "./exit-hooks.js";
import { freePort, lostPortRace, PORT_ATTEMPTS } from "./ports.js";
import { DEFAULT_STARTUP_TIMEOUT_MS, waitForProbe } from "./ready.js";
import { redisPing } from "./redis-ping.js";
import type { ServerHandle } from "./types.js";

export interface RedisServerOptions {
  /** Port to listen on; default: a free one (retried if another process takes it first). */
  port?: number;
  /** Default 10 s. */
  startupTimeoutMs?: number;
  /** Executable name or path. Default "redis-server". */
  binary?: string;
  /** Extra redis-server arguments. */
  args?: readonly string[];
  /**
   * Require this password (AUTH). Written to a config file in the server's private folder, not
   * passed as an argument, where any local user could read it in `ps`. The handle's url carries it.
   */
  password?: string;
}

export interface RedisServerHandle extends ServerHandle {
  /** Stops the server, then starts a fresh (empty) one on the SAME port: an outage for clients. */
  restart(): Promise<void>;
  /** Stops only the process (an outage); the port is kept for startAgain()/restart(). */
  stopOnly(): Promise<void>;
  /** Starts the server again on the same port after stopOnly(). */
  startAgain(): Promise<void>;
  /** SIGSTOP: the server keeps its connections but answers nothing (a hung Redis). */
  pause(): Promise<void>;
  /** SIGCONT after pause(). */
  resume(): Promise<void>;
  /** SIGKILL (a crash: no shutdown, no final save); resolves once the process is gone. startAgain() brings it back. */
  kill(): Promise<void>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServerHandle> {
  const binary = findBinary(options.binary ?? "redis-server");
  const timeoutMs = options.startupTimeoutMs ?? DEFAULT_STARTUP_TIMEOUT_MS;
  const workDir = new WorkDir("credvend-redis-");

  let current: SupervisedChild;
  let port: number;
  try {
    ({ child: current, port } = await launch(binary, workDir.create(), options.port, timeoutMs, options.args ?? [], options.password));
  } catch (err) {
    workDir.remove();
    throw err;
  }

  // SIGCONT first: a paused (SIGSTOPped) process would ignore SIGTERM until continued.
  const halt = async (): Promise<void> => {
    if (current.running) await current.signal("SIGCONT");
    await current.stop();
  };
  const relaunch = async (): Promise<void> => {
    current = (await launch(binary, workDir.create(), port, timeoutMs, options.args ?? [], options.password)).child;
  };

  return {
    url: options.password === undefined ? `redis://127.0.0.1:${port}` : `redis://:${encodeURIComponent(options.password)}@127.0.0.1:${port}`,
    port,
    // Also valid after stop(): outage tests stop the server, assert, then bring it back.
    async restart(): Promise<void> {
      await halt();
      await relaunch();
    },
    stopOnly: halt,
    async startAgain(): Promise<void> {
      if (current.running) throw new Error(`redis-server on port ${port} is still running; call stopOnly() first`);
      await relaunch();
    },
    pause: () => current.signal("SIGSTOP"),
    resume: () => current.signal("SIGCONT"),
    async kill(): Promise<void> {
      await current.signal("SIGKILL");
      // The child is unref'd: a timer keeps this process alive until its exit is seen.
      const keepAlive = setInterval(() => undefined, 1000);
      try {
        await current.exited;
      } finally {
        clearInterval(keepAlive);
      }
    },
    async stop(): Promise<void> {
      await halt();
      workDir.remove();
    },
  };
}

/** A temp directory that exists while a server may use it and is removed at stop or process exit. */
class WorkDir {
  readonly #prefix: string;
  #path: string | undefined;
  #unregister = (): void => undefined;

  constructor(prefix: string) {
    this.#prefix = prefix;
  }

  create(): string {
    if (this.#path === undefined) {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), this.#prefix));
      this.#path = dir;
      this.#unregister = onProcessExit(() => fs.rmSync(dir, { recursive: true, force: true }));
    }
    return this.#path;
  }

  remove(): void {
    if (this.#path === undefined) return;
    fs.rmSync(this.#path, { recursive: true, force: true });
    this.#unregister();
    this.#path = undefined;
  }
}

async function launch(binary: string, dir: string, fixedPort: number | undefined, timeoutMs: number, extraArgs: readonly string[], password: string | undefined): Promise<{ child: SupervisedChild; port: number }> {
  // redis.conf takes the config file as the first argument; flags after it override it.
  const conf: string[] = [];
  if (password !== undefined) {
    if (!/^[\x21-\x7e]+$/.test(password) || /["\\]/.test(password)) throw new RangeError("the Redis password must be printable ASCII without spaces, '\"' or '\\'");
    const file = path.join(dir, "redis.conf");
    // masterauth: a replica (Redis Cluster) authenticates to its primary with the same password.
    fs.writeFileSync(file, `requirepass "${password}"\nmasterauth "${password}"\n`, { mode: 0o600 });
    conf.push(file);
  }
  const needsAuth = password !== undefined || extraArgs.includes("--requirepass");
  for (let attempt = 1; ; attempt += 1) {
    const port = fixedPort ?? (await freePort());
    const child = new SupervisedChild("redis-server", binary, [
      ...conf,
      "--port", String(port),
      "--bind", "127.0.0.1",
      // Tests want a clean, fast, disposable server: no snapshots, no AOF, files in our temp dir.
      "--save", "",
      "--appendonly", "no",
      "--dir", dir,
      "--daemonize", "no",
      "--loglevel", "warning",
      ...extraArgs,
    ]);
    try {
      // With --requirepass PING answers -NOAUTH: any reply line means the server is up.
      await waitForProbe(child, () => redisPing(port, "127.0.0.1", 500, needsAuth), timeoutMs);
      child.unref();
      return { child, port };
    } catch (err) {
      // freePort can race with another process; only then is a new port worth a try.
      if (!lostPortRace(err) || fixedPort !== undefined || attempt >= PORT_ATTEMPTS) throw err;
    }
  }
}
