/** A server binary the harness needs is not installed. The message says how to get it. */
export class MissingBinaryError extends Error {
  override readonly name = "MissingBinaryError";
  readonly binary: string;

  constructor(binary: string, searched: readonly string[]) {
    super(
      `${binary} was not found (searched PATH${searched.length ? ` and ${searched.join(", ")}` : ""}). ` +
        `Install it with "apt-get install nats-server redis-server openssl"; or use running servers (tests: NATS_URL / REDIS_URL, ` +
        `credvend dev: REDIS_URL); or run the whole stack in containers with "docker compose up --build".`,
    );
    this.binary = binary;
  }
}

/** A server process exited or timed out before it was ready. `output` is the tail of its log. */
export class ServerStartError extends Error {
  override readonly name = "ServerStartError";
  readonly server: string;
  readonly output: string;

  constructor(server: string, reason: string, output: string, options?: { cause?: unknown }) {
    const shown = output.trim() === "" ? "(no output)" : output.trimEnd();
    super(`${server} did not start: ${reason}\n--- last output of ${server} ---\n${shown}`, options);
    this.server = server;
    this.output = output;
  }
}
