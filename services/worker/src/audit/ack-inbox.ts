// Acknowledged JetStream publishes through one inbox subscription made once. `js.publish` makes
// each publish a NATS request: a request object, an Error for its stack, a NatsError for its
// timeout, a timer, and another NatsError when the request is settled. Here a publish is one
// entry in a map, and one timer at a time watches the oldest entry (every publish waits the same
// time, so the map's insertion order is the order of their deadlines). The ack itself is read as
// JetStream writes it: a PubAck (stream and sequence), an API error, or a status message such as
// 503 "no responders" when no stream takes the subject.
import { createInbox, type MsgHdrs, type NatsConnection, type Subscription } from "nats";

/** What the stream said about a publish it stored. */
export interface PubAck {
  readonly stream: string;
  readonly seq: number;
  readonly duplicate: boolean;
}

/** The stream did not store the message (the reason says why: timeout, no stream, API error). */
export class AckFailed extends Error {
  override readonly name = "AckFailed";
}

interface Pending {
  readonly resolve: (ack: PubAck) => void;
  readonly reject: (error: Error) => void;
  readonly expiresAt: number;
}

export class AckInbox {
  readonly #nc: NatsConnection;
  readonly #timeoutMs: number;
  readonly #prefix: string;
  readonly #sub: Subscription;
  readonly #pending = new Map<string, Pending>();
  readonly #decoder = new TextDecoder();
  #next = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(nc: NatsConnection, timeoutMs: number) {
    this.#nc = nc;
    this.#timeoutMs = timeoutMs;
    // Under _INBOX (createInbox's default, and the worker connects with no other prefix), which the
    // worker's NATS user may subscribe to (packages/policy nats-auth).
    this.#prefix = createInbox();
    this.#sub = nc.subscribe(`${this.#prefix}.*`, {
      callback: (err, msg) => {
        if (err) return;
        const token = msg.subject.slice(this.#prefix.length + 1);
        const pending = this.#pending.get(token);
        if (pending === undefined) return;
        this.#pending.delete(token);
        const ack = this.#read(msg.data, msg.headers);
        if (ack instanceof Error) pending.reject(ack);
        else pending.resolve(ack);
      },
    });
  }

  /** Publishes `data` on `subject` with `headers` and resolves with the stream's ack. */
  publish(subject: string, data: Uint8Array, headers: MsgHdrs): Promise<PubAck> {
    const token = (this.#next++).toString(36);
    return new Promise<PubAck>((resolve, reject) => {
      this.#pending.set(token, { resolve, reject, expiresAt: performance.now() + this.#timeoutMs });
      try {
        this.#nc.publish(subject, data, { reply: `${this.#prefix}.${token}`, headers });
      } catch (error) {
        this.#pending.delete(token);
        reject(error instanceof Error ? error : new AckFailed(String(error)));
        return;
      }
      this.#arm();
    });
  }

  /** Publishes still waiting for their ack. */
  get waiting(): number {
    return this.#pending.size;
  }

  /** Stops listening; publishes still waiting fail now. */
  close(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#sub.unsubscribe();
    for (const [token, pending] of this.#pending) {
      this.#pending.delete(token);
      pending.reject(new AckFailed("the audit inbox was closed before the stream acknowledged"));
    }
  }

  #read(data: Uint8Array, headers: MsgHdrs | undefined): PubAck | Error {
    if (data.length === 0) {
      const code = headers?.code ?? 0;
      return new AckFailed(code === 503 ? "no stream took the audit subject (503 no responders)" : `JetStream answered status ${code} ${headers?.description ?? ""}`.trim());
    }
    let reply: { stream?: unknown; seq?: unknown; duplicate?: unknown; error?: { code?: unknown; err_code?: unknown; description?: unknown } };
    try {
      reply = JSON.parse(this.#decoder.decode(data)) as typeof reply;
    } catch {
      return new AckFailed("JetStream answered something that is not a PubAck");
    }
    if (reply.error) return new AckFailed(`JetStream refused the publish: ${String(reply.error.description ?? "")} (${String(reply.error.code ?? "")}/${String(reply.error.err_code ?? "")})`);
    if (typeof reply.stream !== "string" || reply.stream === "" || typeof reply.seq !== "number") return new AckFailed("JetStream answered a PubAck with no stream or sequence");
    return { stream: reply.stream, seq: reply.seq, duplicate: reply.duplicate === true };
  }

  /** One timer, for the oldest publish still waiting. */
  #arm(): void {
    if (this.#timer !== undefined) return;
    const first = this.#pending.values().next();
    if (first.done) return;
    this.#timer = setTimeout(() => this.#expire(), Math.max(0, first.value.expiresAt - performance.now()) + 1);
    this.#timer.unref();
  }

  #expire(): void {
    this.#timer = undefined;
    const now = performance.now();
    for (const [token, pending] of this.#pending) {
      if (pending.expiresAt > now) break;
      this.#pending.delete(token);
      pending.reject(new AckFailed(`the audit stream did not acknowledge within ${this.#timeoutMs} ms`));
    }
    this.#arm();
  }
}
