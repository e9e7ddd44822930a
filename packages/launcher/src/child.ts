import { spawn, type ChildProcess } from "node:child_process";
import type { Readable, Writable } from "node:stream";
import { onProcessExit } from "./exit-hooks.js";

// The server runs under a tiny sh supervisor in its own process group:
// - it reports the server's pid on fd 3 (so signals such as SIGHUP reach the server itself);
// - a watcher blocks reading the supervisor's stdin, a pipe only this Node process holds. EOF means
//   we asked it to stop or we died (even by SIGKILL, when no exit hook runs), and the server gets
//   SIGTERM. So a crashed test run never leaves servers behind.
const SUPERVISOR = `
exec 4<&0
"$@" </dev/null 3>&- 4<&- &
child=$!
echo "$child" >&3
exec 3>&-
( read _ <&4; kill -TERM "$child" 2>/dev/null ) &
watcher=$!
exec 4<&- </dev/null
wait "$child"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
`;

const TAIL_LINES = 60;

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A server process: its output tail, its exit, and a stop that always ends it. */
export class SupervisedChild {
  readonly name: string;
  /** Resolves when the supervisor (and so the server) has exited. Never rejects. */
  readonly exited: Promise<ExitInfo>;
  /** The server's own pid (not the supervisor's). */
  readonly serverPid: Promise<number>;
  /** Resolves when stdout and stderr have been read to their end (they can lag behind `exited`). */
  readonly outputEnded: Promise<void>;
  #proc: ChildProcess;
  #lines: string[] = [];
  #listeners = new Set<(line: string) => void>();
  #exit: ExitInfo | undefined;
  #unregister: () => void;

  constructor(name: string, binary: string, args: readonly string[]) {
    this.name = name;
    this.#proc = spawn("/bin/sh", ["-c", SUPERVISOR, name, binary, ...args], {
      detached: true,
      stdio: ["pipe", "pipe", "pipe", "pipe"],
    });
    const proc = this.#proc;
    this.exited = new Promise((resolve) => {
      proc.once("exit", (code, signal) => {
        this.#exit = { code, signal };
        this.#unregister();
        resolve(this.#exit);
      });
      // spawn failures (no /bin/sh) arrive as "error" without "exit".
      proc.once("error", (err) => {
        this.#push(`spawn failed: ${err.message}`);
        this.#exit = { code: null, signal: null };
        this.#unregister();
        resolve(this.#exit);
      });
    });
    this.serverPid = readPid(proc.stdio[3] as Readable | null, this.exited);
    // The pid promise may never be awaited; keep a failed one from becoming an unhandled rejection.
    this.serverPid.catch(() => undefined);
    this.outputEnded = Promise.all([proc.stdout, proc.stderr].map((stream) => this.#collect(stream))).then(() => undefined);
    this.#unregister = onProcessExit(() => this.killNow());
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** The last lines the server wrote (stdout and stderr interleaved). */
  tail(): string {
    return this.#lines.join("\n");
  }

  /** Calls `listener` for each later output line; returns an unsubscribe. */
  onLine(listener: (line: string) => void): () => void {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  }

  /** Lets this process exit while the server runs; the exit hook still stops the server. */
  unref(): void {
    this.#proc.unref();
    for (const stream of this.#proc.stdio) unrefStream(stream);
  }

  async signal(signal: NodeJS.Signals): Promise<void> {
    const pid = await this.serverPid;
    if (this.running) process.kill(pid, signal);
  }

  /** Graceful stop (SIGTERM via the watchdog), then SIGKILL to the whole group after `graceMs`. */
  async stop(graceMs = 5000): Promise<ExitInfo> {
    if (!this.running) return this.exited;
    (this.#proc.stdin as Writable | null)?.end();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<"timeout">((resolve) => {
      timer = setTimeout(() => resolve("timeout"), graceMs);
    });
    const first = await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (first === "timeout") this.killNow();
    return this.exited;
  }

  /** Synchronous SIGKILL of the supervisor's process group (server included). */
  killNow(): void {
    const pid = this.#proc.pid;
    if (pid === undefined || !this.running) return;
    try {
      process.kill(-pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }

  /** Keeps the stream's lines in the tail; resolves when it ends. */
  #collect(stream: Readable | null): Promise<void> {
    if (stream === null) return Promise.resolve();
    const ended = new Promise<void>((resolve) => stream.once("close", () => resolve()));
    stream.setEncoding("utf8");
    let partial = "";
    stream.on("data", (chunk: string) => {
      const parts = (partial + chunk).split(/\r?\n/);
      partial = parts.pop() ?? "";
      for (const line of parts) this.#push(line);
    });
    stream.on("end", () => {
      if (partial !== "") this.#push(partial);
      partial = "";
    });
    return ended;
  }

  #push(line: string): void {
    this.#lines.push(line);
    if (this.#lines.length > TAIL_LINES) this.#lines.shift();
    for (const listener of this.#listeners) listener(line);
  }
}

function readPid(stream: Readable | null, exited: Promise<ExitInfo>): Promise<number> {
  return new Promise((resolve, reject) => {
    if (stream === null) return reject(new Error("no pid pipe"));
    let text = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      text += chunk;
      const match = /^(\d+)\n/.exec(text);
      if (match?.[1] !== undefined) resolve(Number(match[1]));
    });
    void exited.then(() => reject(new Error("server exited before reporting its pid")));
  });
}

function unrefStream(stream: unknown): void {
  if (typeof stream === "object" && stream !== null && "unref" in stream && typeof stream.unref === "function") {
    stream.unref();
  }
}
