// The admission phase: a message is sized, identified by its subject, joined to an identical
// request already held (coalesced), started, queued in its principal's queue, or refused at once.
// Nothing is decoded for admission's sake beyond the request id and content fingerprint.
import { CredvendError, MAX_REQUEST_BYTES, parseRequestSubject, type CredentialRequest } from "@credvend/protocol";
import { Coalescer, type Peeked } from "./coalescer.js";
import { FairQueue, type AdmissionLimits, type Caller, type Refusal } from "./fair-queue.js";
import { peekRequest } from "./peek.js";

/** What admission reads of a NATS message (a nats.js Msg fits). */
export interface Message {
  readonly subject: string;
  readonly data: Uint8Array;
  readonly reply?: string | undefined;
}

export interface AdmissionOptions extends AdmissionLimits {
  readonly principalMaxWaiting: number;
  readonly overloadRetryAfterMs: number;
}

/** A message that was admitted: it runs (now or in turn), then the owner calls finish(). */
export interface Job {
  readonly msg: Message;
  readonly caller: Caller;
  readonly receivedAt: number;
  /** The request id, when admission could read it. */
  readonly requestId?: string;
  /** The content fingerprint admission computed from these bytes (the pipeline needs it too). */
  readonly fingerprint?: string;
  /** The request admission decoded from these bytes (the pipeline and the audit read it too). */
  readonly request?: CredentialRequest;
  /** Present when this job leads possible duplicates (see Coalescer). */
  readonly leads?: Peeked;
}

/** A duplicate held for the reply of the job it joined: only its reply subject is kept, not its payload. */
export interface Waiter {
  readonly replyTo: string | undefined;
  readonly receivedAt: number;
}

export interface AdmissionHandlers {
  run(job: Job): void;
  /** Answer a message at once, without running it (it was refused by admission). */
  refuse(replyTo: string | undefined, refused: Refused, error: CredvendError): void;
}

/** What admission knows of a message it refuses: the reply goes to the requester's reply subject for the request id when one was read. */
export interface Refused {
  readonly caller: Caller | undefined;
  readonly requestId?: string;
  readonly receivedAt: number;
}

/** Identity for messages whose subject names no valid caller: they share one queue of their own. */
const NOBODY: Caller = { tenant: "", principal: "" };

export class Admission {
  readonly #options: AdmissionOptions;
  readonly #handlers: AdmissionHandlers;
  readonly #queue: FairQueue<Job>;
  readonly #coalescer: Coalescer<Waiter>;

  constructor(options: AdmissionOptions, handlers: AdmissionHandlers) {
    this.#options = options;
    this.#handlers = handlers;
    this.#queue = new FairQueue<Job>(options, (job) => handlers.run(job));
    this.#coalescer = new Coalescer<Waiter>(options.principalMaxWaiting);
  }

  get inFlight(): number { return this.#queue.inFlight; }
  get queued(): number { return this.#queue.queued; }
  get queuedBytes(): number { return this.#queue.queuedBytes; }
  get waiting(): number { return this.#coalescer.waiting; }

  admit(msg: Message, receivedAt: number): void {
    const identity = parseRequestSubject(msg.subject);
    const caller: Caller = identity ?? NOBODY;
    if (msg.data.length > MAX_REQUEST_BYTES) {
      // Refused before it is queued: an oversized payload never holds memory in a queue.
      this.#handlers.refuse(msg.reply, { caller: identity ?? undefined, receivedAt }, new CredvendError("CV_ERR_REQUEST_TOO_LARGE",
        `request is ${msg.data.length} bytes; the limit is ${MAX_REQUEST_BYTES}: send only the fields the template needs`));
      return;
    }
    const peeked = identity ? peekRequest(msg.data) : undefined;
    if (peeked) {
      const joined = this.#coalescer.join(caller, peeked, { replyTo: msg.reply, receivedAt });
      if (joined === "wait") return;
      this.#offer({ msg, caller, receivedAt, requestId: peeked.requestId, fingerprint: peeked.fingerprint, request: peeked.request, ...(joined === "lead" ? { leads: peeked } : {}) }, identity ?? undefined);
      return;
    }
    this.#offer({ msg, caller, receivedAt }, identity ?? undefined);
  }

  /** A job finished and was answered: its slot goes to the next caller in turn; returns its coalesced duplicates. */
  finish(job: Job): Waiter[] {
    const waiters = job.leads ? this.#coalescer.settle(job.caller, job.leads.requestId) : [];
    this.#queue.done(job.caller);
    return waiters;
  }

  /** Takes every queued job out (shutdown). Their coalesced duplicates come with them. */
  drain(): { job: Job; waiters: Waiter[] }[] {
    return this.#queue.drain().map((job) => ({ job, waiters: job.leads ? this.#coalescer.settle(job.caller, job.leads.requestId) : [] }));
  }

  #offer(job: Job, identity: Caller | undefined): void {
    const offered = this.#queue.offer(job.caller, job, job.msg.data.length);
    if (offered.admitted) return;
    // Nobody joined it yet (joining happens synchronously, in admit()): forget the lead.
    if (job.leads) this.#coalescer.settle(job.caller, job.leads.requestId);
    this.#handlers.refuse(job.msg.reply, { caller: identity, receivedAt: job.receivedAt, ...(job.requestId ? { requestId: job.requestId } : {}) },
      overloaded(offered.refusal, job.caller, this.#options.overloadRetryAfterMs));
  }
}

function overloaded(refusal: Refusal, caller: Caller, retryAfterMs: number): CredvendError {
  const what = refusal.kind === "worker"
    ? `this worker has ${refusal.inFlight} requests in flight and ${refusal.queued} queued (${refusal.queuedBytes} bytes)`
    : `${refusal.kind} ${refusal.kind === "tenant" ? caller.tenant : `${caller.tenant}/${caller.principal}`} has ${refusal.inFlight} requests in flight and ${refusal.queued} queued on this worker`;
  return new CredvendError("CV_ERR_OVERLOADED", `${what}; retry after ${retryAfterMs} ms with the same request_id`, { retryAfterMs });
}
