// The reply key is checked once at start (DescribeKey): a missing, disabled or wrong kind of key
// is reported before the first request, and the readiness state says so to whoever asks (health
// probes, `credvend status`). Requests are then refused at the data-key stage, before STS.
import { DescribeKeyCommand, type KMSClient } from "@aws-sdk/client-kms";
import { CredvendError, type Reason } from "@credvend/protocol";
import { classifyAwsError } from "./classify-aws-error.js";

export type ReplyKeyReadiness =
  | { readonly state: "ready"; readonly keyArn: string }
  /** `reason` is a registry reason (CV_ERR_KMS_*); `problem` says what to fix. */
  | { readonly state: "unusable"; readonly reason: Reason; readonly problem: string };

/** What DescribeKey found about the key itself, as opposed to reaching KMS at all. */
const KEY_REFUSALS: ReadonlySet<Reason> = new Set(["CV_ERR_KMS_DENIED", "CV_ERR_KMS_KEY_NOT_FOUND"]);

/**
 * The refusal for a KMS-sealed reply while the reply key is known to be unusable (disabled,
 * deleted, the wrong kind, or refused to this worker), or undefined. Data keys cached before the
 * key was disabled would still seal replies, each after an AssumeRole, that no requester could
 * open; a DescribeKey that only failed to reach KMS refuses nothing (cached keys still serve).
 */
export function replyKeyRefusal(readiness: ReplyKeyReadiness | undefined): CredvendError | undefined {
  if (readiness?.state !== "unusable" || !KEY_REFUSALS.has(readiness.reason)) return undefined;
  return new CredvendError(readiness.reason, `${readiness.problem}; until then no credentials sealed with the reply key are issued`);
}

const DESCRIBE_TIMEOUT_MS = 5_000;

export async function checkReplyKey(kms: KMSClient, keyId: string): Promise<ReplyKeyReadiness> {
  let meta;
  try {
    meta = (await kms.send(new DescribeKeyCommand({ KeyId: keyId }), { abortSignal: AbortSignal.timeout(DESCRIBE_TIMEOUT_MS) })).KeyMetadata;
  } catch (error) {
    const classified = classifyAwsError(error, "kms", "DescribeKey");
    return { state: "unusable", reason: classified.reason, problem: `DescribeKey of the reply key ${keyId} failed: ${classified.message}` };
  }
  if (!meta?.Arn) return { state: "unusable", reason: "CV_ERR_KMS_KEY_NOT_FOUND", problem: `KMS described no key for ${keyId}` };
  if (meta.KeyState !== "Enabled") {
    return { state: "unusable", reason: "CV_ERR_KMS_DENIED", problem: `the reply key ${meta.Arn} is ${meta.KeyState ?? "not enabled"}; enable it (or set CREDVEND_REPLY_KEY_ID to an enabled key)` };
  }
  if (meta.KeySpec !== "SYMMETRIC_DEFAULT" || meta.KeyUsage !== "ENCRYPT_DECRYPT") {
    return { state: "unusable", reason: "CV_ERR_KMS_DENIED", problem: `the reply key ${meta.Arn} is ${meta.KeySpec ?? "?"}/${meta.KeyUsage ?? "?"}; data keys need a SYMMETRIC_DEFAULT ENCRYPT_DECRYPT key` };
  }
  return { state: "ready", keyArn: meta.Arn };
}

export interface ReplyKeyWatch {
  /** The latest check's finding (what /readyz and `credvend status` report). */
  current(): ReplyKeyReadiness;
  stop(): void;
}

export interface ReplyKeyWatchOptions {
  /** Called when the state changes (and once for the first check). */
  readonly onChange: (readiness: ReplyKeyReadiness) => void;
  /** How soon an unusable key is checked again, so readiness follows the operator's fix. */
  readonly unusableEveryMs: number;
  /** How often a usable key is checked again, so a key disabled later is noticed. */
  readonly readyEveryMs: number;
}

/** Checks the reply key now (resolving once known) and again in the background: one state for the whole worker. */
export async function watchReplyKey(kms: KMSClient, keyId: string, options: ReplyKeyWatchOptions): Promise<ReplyKeyWatch> {
  let readiness = await checkReplyKey(kms, keyId);
  options.onChange(readiness);
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      void checkReplyKey(kms, keyId).then((next) => {
        if (next.state !== readiness.state) options.onChange(next);
        readiness = next;
      }).finally(schedule);
    }, readiness.state === "ready" ? options.readyEveryMs : options.unusableEveryMs);
    timer.unref();
  };
  schedule();
  return {
    current: () => readiness,
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
