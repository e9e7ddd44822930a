// The requester's subscription to one request's reply subject, read as a queue: a request may
// see several messages there (a forger's, then the worker's), and must look at each in turn
// rather than take whichever arrives first. The queue is bounded, so each message is screened as
// it arrives (`keep`, synchronous and cheap): a burst of junk ahead of the worker's reply must not
// fill the queue and have the genuine reply dropped.
import type { Msg, NatsConnection, NatsError, Subscription } from "nats";

export type InboxEvent =
  | { readonly kind: "message"; readonly data: Uint8Array }
  /** nats-server's status message for a request nobody subscribes to. */
  | { readonly kind: "no-responders" }
  /** The subscription failed (e.g. NATS refused this user the reply subject). */
  | { readonly kind: "failed"; readonly error: NatsError }
  /** NATS refused this user a publish on the request subject (reported on the connection's status). */
  | { readonly kind: "publish-denied"; readonly subject: string }
  | { readonly kind: "timeout" };

/** Messages held before they are read; a flood beyond this is dropped, never buffered without bound. */
const MAX_QUEUED = 64;

export class ReplyInbox {
  private readonly queued: InboxEvent[] = [];
  private wake: (() => void) | undefined;
  private readonly sub: Subscription;

  /** `keep` sees each message's bytes on arrival; a message it rejects is never queued. */
  constructor(nc: NatsConnection, subject: string, private readonly keep: (data: Uint8Array) => boolean = () => true) {
    this.sub = nc.subscribe(subject, {
      callback: (error, msg) => {
        const event = toEvent(error, msg);
        if (event.kind !== "message" || this.keep(event.data)) this.push(event);
      },
    });
  }

  /** The next event, a timeout after `ms`, or a rejection with the signal's reason. */
  async next(ms: number, signal?: AbortSignal): Promise<InboxEvent> {
    const ready = this.queued.shift();
    if (ready) return ready;
    if (signal?.aborted) throw signal.reason;
    if (ms <= 0) return { kind: "timeout" };
    await new Promise<void>((resolve, reject) => {
      const done = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", onAbort);
        this.wake = undefined;
      };
      const onAbort = () => { done(); reject(signal?.reason); };
      const timer = setTimeout(() => { done(); resolve(); }, ms);
      this.wake = () => { done(); resolve(); };
      signal?.addEventListener("abort", onAbort, { once: true });
    });
    return this.queued.shift() ?? { kind: "timeout" };
  }

  close(): void {
    this.sub.unsubscribe();
  }

  push(event: InboxEvent): void {
    if (this.queued.length >= MAX_QUEUED) return;
    this.queued.push(event);
    this.wake?.();
  }
}

function toEvent(error: NatsError | null, msg: Msg): InboxEvent {
  if (error) return { kind: "failed", error };
  // The same test nats.js applies to its own requests: an empty message with status 503.
  if (msg.data.length === 0 && msg.headers?.code === 503) return { kind: "no-responders" };
  return { kind: "message", data: msg.data };
}
