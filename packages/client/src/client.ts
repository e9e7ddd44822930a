// The requester SDK: ask for credentials over NATS, decrypt the reply with the requester's own
// AWS identity (or, with `sealedReplies`, with a key pair made for each request), retry safely
// (same request id, so a retry never costs a second STS call). Only a reply bound to this
// request is taken (see verify-reply.ts); anything else on the reply subject
// is ignored while the client waits for the real one.
import type { KMSClient } from "@aws-sdk/client-kms";
import { EnvelopeOpener, generateReplyKeyPair, importReplyPublicKey, openSealedReply, ReplyKeyError, untilAborted, type Recipient } from "@credvend/envelope";
import { CredvendError, encodeRequest, isValidName, replySubject, requestSubject, type CredentialRequestInit } from "@credvend/protocol";
import { ErrorCode as NatsErrorCode, type NatsConnection, type NatsError } from "nats";
import { randomUUID } from "node:crypto";
import { permissionWatch } from "./permission-watch.js";
import { ReplyInbox } from "./reply-inbox.js";
import { defaultRetryStrategy, retryErrorInfo, type RetryStrategy } from "./retry.js";
import { screenReply, verifyReply, type ReplyOpener, type VendedCredentials } from "./verify-reply.js";

export type { VendedCredentials } from "./verify-reply.js";

export interface CredvendClientOptions {
  readonly nc: NatsConnection;
  readonly tenant: string;
  readonly principal: string;
  /**
   * KMS client with the requester's own AWS identity: only it can decrypt replies meant for it.
   * Required unless `sealedReplies` is set.
   */
  readonly kms?: KMSClient;
  /**
   * ARN of the workers' reply key (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID). Replies sealed under any
   * other key are refused, even when this requester could decrypt them. Required with `kms`.
   */
  readonly replyKeyArn?: string;
  /**
   * For a requester with no AWS identity: each request carries the public half of a fresh X25519
   * key pair and the reply is sealed to it (no KMS on either side). The private half stays in this
   * process's memory for the request's life and is never sent or logged. `sealingPublicKey` is the
   * workers' sealing key (32 bytes, or their base64, as the worker logs it at start): replies not
   * sealed with it are refused, as KMS replies under another key are. The vendor serves sealed
   * replies only where an access rule has `sealed_replies: allow` (CV_ERR_SEALED_REPLY_NOT_ALLOWED).
   */
  readonly sealedReplies?: { readonly sealingPublicKey: Uint8Array | string };
  /** Wait for one reply, per attempt. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Attempts on timeouts and retryable refusals, with the same request id. Default 3. */
  readonly attempts?: number;
  /** Default: the AWS SDK's standard strategy (full jitter, retry quota) for `attempts`. */
  readonly retryStrategy?: RetryStrategy;
  readonly clientVersion?: string;
}

export interface VendRequest {
  readonly template: string;
  readonly params?: Readonly<Record<string, string>>;
  /** Seconds; omit for the template's default. */
  readonly durationSeconds?: number;
  readonly onBehalfOf?: string;
  readonly mfa?: { readonly serialNumber: string; readonly tokenCode: string };
  readonly federation?: { readonly webIdentityToken?: string; readonly providerId?: string; readonly samlAssertion?: string; readonly samlProviderArn?: string };
  /** Idempotency key; generated when omitted. Reuse it only to retry the identical request. */
  readonly requestId?: string;
  readonly signal?: AbortSignal;
}

/**
 * Time the request's deadline allows between two attempts. The strategy's own waits are shorter
 * for `attempts` up to 3 (full jitter under 50·2^n ms, or 1000·2^n ms when throttled, plus at most
 * 5 s for a retry-after); an attempt that could no longer be served before the deadline is not sent.
 */
const RETRY_GAP_BUDGET_MS = 3000;

type AttemptOutcome = { readonly kind: "credentials"; readonly credentials: VendedCredentials } | { readonly kind: "failed"; readonly error: CredvendError };

export class CredvendClient {
  /** The KMS opener, or the pinned sealing key of a client whose replies are sealed to per-request keys. */
  private readonly opener: EnvelopeOpener | { readonly sealingPublicKey: Uint8Array };
  private readonly recipient: Recipient;
  private readonly timeoutMs: number;
  private readonly attempts: number;
  private readonly retry: RetryStrategy;

  constructor(private readonly options: CredvendClientOptions) {
    if (!isValidName(options.tenant)) throw new RangeError(`tenant '${options.tenant}' is not a valid name (1-64 of a-z, 0-9, '-', '_')`);
    if (!isValidName(options.principal)) throw new RangeError(`principal '${options.principal}' is not a valid name (1-64 of a-z, 0-9, '-', '_')`);
    this.recipient = { tenant: options.tenant, principal: options.principal };
    this.opener = openerFor(options, this.recipient);
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.attempts = Math.max(1, options.attempts ?? 3);
    this.retry = options.retryStrategy ?? defaultRetryStrategy(this.attempts);
  }

  /** Who this client asks as and how its replies are opened: what a credential cache must key on. */
  get identity(): { readonly tenant: string; readonly principal: string; readonly replies: string } {
    const { tenant, principal, replyKeyArn } = this.options;
    const replies = this.opener instanceof EnvelopeOpener ? `kms:${replyKeyArn ?? ""}` : `sealed:${Buffer.from(this.opener.sealingPublicKey).toString("base64")}`;
    return { tenant, principal, replies };
  }

  async request(req: VendRequest): Promise<VendedCredentials> {
    const requestId = req.requestId ?? randomUUID();
    const { tenant, principal } = this.options;
    const { opener, replyPublicKey } = this.openerForRequest();
    const deadlineMs = Date.now() + this.timeoutMs * this.attempts + (this.attempts - 1) * RETRY_GAP_BUDGET_MS;
    const init: CredentialRequestInit = {
      requestId,
      template: req.template,
      params: { ...(req.params ?? {}) },
      durationSeconds: req.durationSeconds ?? 0,
      clientTimeMs: Date.now(),
      deadlineMs,
      onBehalfOf: req.onBehalfOf ?? "",
      clientVersion: this.options.clientVersion ?? "credvend-client/0.1",
      ...(req.mfa ? { mfa: { serialNumber: req.mfa.serialNumber, tokenCode: req.mfa.tokenCode } } : {}),
      ...(req.federation ? { federation: { ...req.federation } } : {}),
      ...(replyPublicKey ? { replyPublicKey } : {}),
    };
    const payload = encodeRequest(init);
    const subject = requestSubject(tenant, principal);
    const refusals = new Refusals();
    // One subscription for every attempt: a late reply to an earlier attempt is just as good.
    const inbox = new ReplyInbox(this.options.nc, replySubject(tenant, principal, requestId), (data) => {
      const screened = screenReply(data, requestId);
      if (screened.kind === "refused") refusals.add(screened.error, false);
      return screened.kind === "candidate";
    });
    const stopWatching = permissionWatch(this.options.nc).on((v) => {
      if (v.operation === "publish" && v.subject === subject) inbox.push({ kind: "publish-denied", subject });
    });
    let lastError: CredvendError | undefined;
    try {
      let token = await this.retry.acquireInitialRetryToken(subject);
      for (let attempt = 1; ; attempt += 1) {
        if (req.signal?.aborted) throw aborted(req.signal);
        this.options.nc.publish(subject, payload, { reply: replySubject(tenant, principal, requestId) });
        const outcome = await this.awaitReply(inbox, subject, requestId, opener, refusals, req.signal);
        if (outcome.kind === "credentials") {
          this.retry.recordSuccess(token);
          return outcome.credentials;
        }
        lastError = outcome.error;
        if (!lastError.retryable || attempt >= this.attempts || Date.now() + this.timeoutMs > deadlineMs) break;
        try {
          token = await untilAborted(this.retry.refreshRetryTokenForRetry(token, retryErrorInfo(lastError, Date.now())), req.signal);
        } catch (error) {
          if (req.signal?.aborted) throw aborted(req.signal);
          break; // the strategy's retry quota is spent: fail now rather than add to an outage
        }
      }
    } finally {
      stopWatching();
      inbox.close();
    }
    throw finalError(lastError, refusals);
  }

  /**
   * How this request's reply is opened. Sealed replies: one key pair per request (every attempt
   * sends the same public key, as the same content); the private key lives in this closure only.
   */
  private openerForRequest(): { readonly opener: ReplyOpener; readonly replyPublicKey?: Uint8Array } {
    if (this.opener instanceof EnvelopeOpener) return { opener: this.opener };
    const { sealingPublicKey } = this.opener;
    const pair = generateReplyKeyPair();
    return { opener: { open: async (envelope, id) => openSealedReply(envelope, id, this.recipient, pair, sealingPublicKey) }, replyPublicKey: pair.publicKey };
  }

  /** Reads the reply subject until a reply bound to this request arrives or the attempt times out. */
  private async awaitReply(inbox: ReplyInbox, subject: string, requestId: string, opener: ReplyOpener, refusals: Refusals, signal?: AbortSignal): Promise<AttemptOutcome> {
    const until = Date.now() + this.timeoutMs;
    for (;;) {
      let event;
      try {
        event = await inbox.next(until - Date.now(), signal);
      } catch {
        throw aborted(signal);
      }
      if (event.kind === "timeout") return { kind: "failed", error: new CredvendError("CV_ERR_CLIENT_TIMEOUT", `no reply on ${subject} within ${this.timeoutMs} ms`) };
      if (event.kind === "no-responders") {
        return { kind: "failed", error: new CredvendError("CV_ERR_CLIENT_NO_VENDOR", `no credvend worker is listening on ${subject}; start one (credvend worker) or check NATS_URL`) };
      }
      if (event.kind === "failed") return { kind: "failed", error: transportError(event.error, subject) };
      if (event.kind === "publish-denied") {
        return { kind: "failed", error: new CredvendError("CV_ERR_CLIENT_NATS_DENIED", `NATS refused this user publish on ${subject}: a requester may publish only on its own request subject; connect as the NATS user of this tenant and principal`) };
      }
      const verdict = await verifyReply(event.data, requestId, opener, Date.now, signal).catch((error: unknown) => {
        if (signal?.aborted) throw aborted(signal);
        throw error;
      });
      if (verdict.kind === "credentials") return verdict;
      if (verdict.kind === "refused") {
        refusals.add(verdict.error, true);
        continue;
      }
      return { kind: "failed", error: verdict.error };
    }
  }
}

/** The KMS opener the options describe, or the pinned sealing key; a usage error for neither or both. */
function openerFor(options: CredvendClientOptions, recipient: Recipient): EnvelopeOpener | { readonly sealingPublicKey: Uint8Array } {
  if (options.sealedReplies) {
    if (options.kms || options.replyKeyArn) throw new RangeError("give either sealedReplies or kms with replyKeyArn, not both: a sealed reply is opened without KMS");
    return { sealingPublicKey: pinnedSealingKey(options.sealedReplies.sealingPublicKey) };
  }
  if (!options.kms || !options.replyKeyArn) {
    throw new RangeError("kms and replyKeyArn are required to open KMS-sealed replies (or set sealedReplies: { sealingPublicKey } for a requester with no AWS identity)");
  }
  return new EnvelopeOpener({ kms: options.kms, recipient, keyArn: options.replyKeyArn });
}

function pinnedSealingKey(given: Uint8Array | string): Uint8Array {
  const raw = typeof given === "string" ? Buffer.from(given, "base64") : Uint8Array.from(given);
  try {
    importReplyPublicKey(raw);
  } catch (error) {
    if (error instanceof ReplyKeyError) throw new RangeError(`sealedReplies.sealingPublicKey ${error.message}; give the 32-byte key (or its base64) the workers log at start`);
    throw error;
  }
  return raw;
}

/**
 * Replies refused during one request: how many, and the one to report, never a list a flood could
 * grow. A refusal of a reply that named this request (a pinned key that differs, a KMS denial) is
 * reported over junk and replies to other requests, which a forger can publish without end.
 */
class Refusals {
  count = 0;
  private named: CredvendError | undefined;
  private other: CredvendError | undefined;

  add(error: CredvendError, namedThisRequest: boolean): void {
    this.count += 1;
    if (namedThisRequest) this.named = error;
    else this.other = error;
  }

  get last(): CredvendError | undefined {
    return this.named ?? this.other;
  }
}

/**
 * The error a request ends with. When it ran out of time but refused replies meanwhile, the
 * last refusal says more than the timeout (a reply key that differs from the pin, a KMS denial).
 */
function finalError(lastError: CredvendError | undefined, refusals: Refusals): CredvendError {
  const refusal = refusals.last;
  if (refusal && (!lastError || lastError.reason === "CV_ERR_CLIENT_TIMEOUT")) {
    const note = refusals.count > 1 ? ` (${refusals.count} replies refused in all)` : "";
    return new CredvendError(refusal.reason, `${refusal.message}; no other reply arrived${note}`, { cause: refusal.cause });
  }
  return lastError ?? new CredvendError("CV_ERR_CLIENT_TIMEOUT", "no reply");
}

function aborted(signal: AbortSignal | undefined): CredvendError {
  return new CredvendError("CV_ERR_CLIENT_TIMEOUT", "request aborted by the caller", { cause: signal?.reason });
}

function transportError(error: NatsError, subject: string): CredvendError {
  if (error.code === NatsErrorCode.PermissionsViolation) {
    return new CredvendError("CV_ERR_CLIENT_NATS_DENIED", `NATS refused this user the reply subject of ${subject}: a requester may subscribe only to its own replies; connect as the NATS user of this tenant and principal`, { cause: error });
  }
  return new CredvendError("CV_ERR_CLIENT_NO_VENDOR", `NATS request on ${subject} failed: ${error.message}`, { cause: error });
}
