// The requester SDK: ask for credentials over NATS, decrypt the reply with the requester's own
// AWS identity, retry safely (same request id, so a retry never costs a second STS call).
import type { KMSClient } from "@aws-sdk/client-kms";
import { EnvelopeOpener, EnvelopeOpenError, untilAborted } from "@credvend/envelope";
import {
  CredvendError, decodeCredentials, encodeRequest, isValidName, readReply, replySubject, requestSubject,
  type CredentialRequestInit, type EnvelopeView, type Reason,
} from "@credvend/protocol";
import { ErrorCode as NatsErrorCode, type NatsConnection, type NatsError } from "nats";
import { randomUUID } from "node:crypto";

export interface CredvendClientOptions {
  readonly nc: NatsConnection;
  readonly tenant: string;
  readonly principal: string;
  /** KMS client with the requester's own AWS identity: only it can decrypt replies meant for it. */
  readonly kms: KMSClient;
  /** Wait for one reply, per attempt. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Attempts on timeouts and transient vendor refusals, with the same request id. Default 3. */
  readonly attempts?: number;
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

export interface VendedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration: Date;
  /** assumed-role or federated-user ARN (empty for GetSessionToken). */
  readonly arn: string;
  readonly sourceIdentity: string;
  readonly requestId: string;
  /** The vendor served this from its idempotency record. */
  readonly replayed: boolean;
}

/** Vendor refusals that a retry with the same request id may get past on its own. */
const AUTO_RETRY: ReadonlySet<Reason> = new Set(["CV_ERR_IDEMPOTENCY_IN_PROGRESS", "CV_ERR_OVERLOADED", "CV_ERR_SHUTTING_DOWN"]);

export class CredvendClient {
  private readonly opener: EnvelopeOpener;
  private readonly timeoutMs: number;
  private readonly attempts: number;

  constructor(private readonly options: CredvendClientOptions) {
    if (!isValidName(options.tenant)) throw new RangeError(`tenant '${options.tenant}' is not a valid name (1-64 of a-z, 0-9, '-', '_')`);
    if (!isValidName(options.principal)) throw new RangeError(`principal '${options.principal}' is not a valid name (1-64 of a-z, 0-9, '-', '_')`);
    this.opener = new EnvelopeOpener(options.kms, { tenant: options.tenant, principal: options.principal });
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.attempts = Math.max(1, options.attempts ?? 3);
  }

  async request(req: VendRequest): Promise<VendedCredentials> {
    const requestId = req.requestId ?? randomUUID();
    const { tenant, principal } = this.options;
    const init: CredentialRequestInit = {
      requestId,
      template: req.template,
      params: { ...(req.params ?? {}) },
      durationSeconds: req.durationSeconds ?? 0,
      clientTimeMs: Date.now(),
      // Room for every attempt and the sleeps between them (timeouts alone left the
      // last attempt past its deadline, so the vendor refused it as late without serving it).
      deadlineMs: Date.now() + this.timeoutMs * this.attempts + (this.attempts - 1) * MAX_RETRY_SLEEP_MS,
      onBehalfOf: req.onBehalfOf ?? "",
      clientVersion: this.options.clientVersion ?? "credvend-client/0.1",
      ...(req.mfa ? { mfa: { serialNumber: req.mfa.serialNumber, tokenCode: req.mfa.tokenCode } } : {}),
      ...(req.federation ? { federation: { ...req.federation } } : {}),
    };
    const payload = encodeRequest(init);
    const subject = requestSubject(tenant, principal);
    const reply = replySubject(tenant, principal, requestId);

    let lastError: CredvendError | undefined;
    for (let attempt = 1; attempt <= this.attempts; attempt += 1) {
      if (req.signal?.aborted) throw aborted(req.signal);
      let bytes: Uint8Array;
      try {
        // The caller's signal ends the wait at once; the NATS request itself ends at its timeout.
        const msg = await untilAborted(this.options.nc.request(subject, payload, { timeout: this.timeoutMs, noMux: true, reply }), req.signal);
        bytes = msg.data;
      } catch (error) {
        if (req.signal?.aborted) throw aborted(req.signal);
        lastError = transportError(error, subject, this.timeoutMs);
        if (attempt < this.attempts) await sleep(backoff(attempt), req.signal);
        continue;
      }
      const decoded = readReply(bytes);
      if (decoded.requestId && decoded.requestId !== requestId) {
        throw new CredvendError("CV_ERR_CLIENT_BAD_REPLY", `reply names request '${decoded.requestId}', expected '${requestId}'`);
      }
      if (decoded.kind === "error") {
        const err = decoded.error;
        if (AUTO_RETRY.has(err.reason) && attempt < this.attempts) {
          lastError = err;
          await sleep(Math.min(err.retryAfterMs ?? backoff(attempt), MAX_RETRY_SLEEP_MS), req.signal);
          continue;
        }
        throw err;
      }
      const envelope = decoded.envelope;
      const plaintext = await this.decrypt(envelope, requestId, req.signal);
      const creds = decodeCredentials(plaintext);
      plaintext.fill(0);
      return {
        accessKeyId: creds.accessKeyId,
        secretAccessKey: creds.secretAccessKey,
        sessionToken: creds.sessionToken,
        expiration: new Date(Number(creds.expirationMs)),
        arn: envelope.assumedRoleArn,
        sourceIdentity: envelope.sourceIdentity,
        requestId,
        replayed: decoded.replayed,
      };
    }
    throw lastError ?? new CredvendError("CV_ERR_CLIENT_TIMEOUT", "no reply");
  }

  private async decrypt(envelope: EnvelopeView, requestId: string, signal?: AbortSignal): Promise<Uint8Array> {
    try {
      return await this.opener.open(envelope, requestId, signal);
    } catch (error) {
      const what = error instanceof EnvelopeOpenError ? error.message : `KMS Decrypt failed (${(error as Error).name}: ${(error as Error).message})`;
      throw new CredvendError("CV_ERR_CLIENT_DECRYPT", `cannot decrypt the reply with this requester's AWS identity: ${what}`, { cause: error });
    }
  }
}

function aborted(signal: AbortSignal): CredvendError {
  return new CredvendError("CV_ERR_CLIENT_TIMEOUT", "request aborted by the caller", { cause: signal.reason });
}

function transportError(error: unknown, subject: string, timeoutMs: number): CredvendError {
  const code = (error as NatsError | undefined)?.code;
  if (code === NatsErrorCode.NoResponders) {
    return new CredvendError("CV_ERR_CLIENT_NO_VENDOR", `no credvend worker is listening on ${subject}; start one (credvend worker) or check NATS_URL`, { cause: error });
  }
  if (code === NatsErrorCode.Timeout) {
    return new CredvendError("CV_ERR_CLIENT_TIMEOUT", `no reply on ${subject} within ${timeoutMs} ms`, { cause: error });
  }
  if (code === NatsErrorCode.PermissionsViolation) {
    return new CredvendError("CV_ERR_CLIENT_NO_VENDOR", `NATS refused this user access to ${subject} or its reply subject; its permissions must allow publish on ${subject} and subscribe on its reply subjects`, { cause: error });
  }
  return new CredvendError("CV_ERR_CLIENT_NO_VENDOR", `NATS request on ${subject} failed: ${(error as Error).message}`, { cause: error });
}

/** Longest sleep between attempts (backoff or the vendor's retry-after); the deadline budgets it. */
const MAX_RETRY_SLEEP_MS = 1050;

function backoff(attempt: number): number {
  return Math.min(1000, 50 * 2 ** attempt) + Math.floor(Math.random() * 50);
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    // The abort listener is removed when the timer fires (a long-lived signal shared
    // by many requests collected one listener per retry sleep).
    const onAbort = () => { clearTimeout(t); resolve(); };
    const t = setTimeout(() => { signal?.removeEventListener("abort", onAbort); resolve(); }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}
