// What a requester command asks for, parsed once for credential-process, env, exec and serve:
// the same flags, the same checks, and the cache key that covers every input that changes the
// credential.
import type { KMSClient } from "@aws-sdk/client-kms";
import { isValidName } from "@credvend/protocol";
import { createHash, randomBytes } from "node:crypto";
import { parseIntFlag, parseParams, UsageError } from "../args.js";
import type { RequesterEnv } from "../cli-env.js";
import { identityLabel, keyRegion, requesterAwsSettings, type RequesterAwsSettings } from "./aws-identity.js";

export const SPEC_OPTIONS = {
  template: { type: "string" },
  param: { type: "string", multiple: true },
  duration: { type: "string" },
  "on-behalf-of": { type: "string" },
  timeout: { type: "string" },
  "refresh-margin": { type: "string" },
  "no-cache": { type: "boolean", default: false },
} as const;

export const SPEC_USAGE = `  --template T          the template to request (required)
  --param k=v           a template parameter (repeatable, one value per name)
  --duration S          seconds the credentials live (default: the template's)
  --on-behalf-of TENANT act for another tenant, where an access rule allows it
  --timeout MS          wait for one reply, per attempt (default 5000)
  --refresh-margin S    renew credentials this long before they expire (default 300)
  --no-cache            do not use the per-user cache of sealed replies`;

export const REQUESTER_ENV_USAGE = `Requester settings (environment): NATS_URL, NATS_USER, NATS_PASSWORD, CREDVEND_TENANT,
CREDVEND_PRINCIPAL, CREDVEND_REPLY_KEY_ARN. credvend's own AWS identity, which decrypts the
reply: CREDVEND_AWS_PROFILE, or CREDVEND_AWS_ACCESS_KEY_ID + CREDVEND_AWS_SECRET_ACCESS_KEY
[+ CREDVEND_AWS_SESSION_TOKEN], else the AWS SDK's default chain (refused when it leads to a
credential_process that runs credvend); CREDVEND_AWS_REGION (default: the reply key's region).
With no AWS identity: CREDVEND_SEALING_PUBLIC_KEY (the fleet's sealing key, base64, as workers
log it) instead of CREDVEND_REPLY_KEY_ARN; replies are sealed to a per-request X25519 key (an
access rule must allow sealed_replies) and, never written anywhere, are not cached.
Cache: CREDVEND_CACHE_DIR (default $XDG_CACHE_HOME/credvend or ~/.cache/credvend, mode 0700).`;

export interface VendSpec {
  readonly template: string;
  readonly params: Readonly<Record<string, string>>;
  readonly durationSeconds: number | undefined;
  readonly onBehalfOf: string | undefined;
  readonly timeoutMs: number | undefined;
  readonly refreshMarginMs: number;
  readonly cache: boolean;
}

export interface SpecFlags {
  readonly template?: string | undefined;
  readonly param?: string[] | undefined;
  readonly duration?: string | undefined;
  readonly "on-behalf-of"?: string | undefined;
  readonly timeout?: string | undefined;
  readonly "refresh-margin"?: string | undefined;
  readonly "no-cache"?: boolean | undefined;
}

export const DEFAULT_REFRESH_MARGIN_SECONDS = 300;

export function vendSpec(values: SpecFlags): VendSpec {
  if (!values.template) throw new UsageError("--template is required");
  return {
    template: values.template,
    params: parseParams(values.param),
    durationSeconds: parseIntFlag("duration", values.duration),
    onBehalfOf: values["on-behalf-of"] || undefined,
    timeoutMs: parseIntFlag("timeout", values.timeout),
    refreshMarginMs: (parseIntFlag("refresh-margin", values["refresh-margin"], 43_200) ?? DEFAULT_REFRESH_MARGIN_SECONDS) * 1000,
    cache: !values["no-cache"],
  };
}

/** Who asks: the NATS identity, and how it opens replies (the reply key it pins and the AWS identity that decrypts, or the fleet's sealing key it pins). */
export type Requester = KmsRequester | SealedRequester;

interface RequesterBase {
  readonly env: RequesterEnv;
  readonly tenant: string;
  readonly principal: string;
}

export interface KmsRequester extends RequesterBase {
  readonly opens: "kms";
  readonly replyKeyArn: string;
  readonly aws: RequesterAwsSettings;
}

/** No AWS identity at all: replies sealed to a per-request X25519 key (an access rule must allow it). */
export interface SealedRequester extends RequesterBase {
  readonly opens: "sealed";
  readonly sealingPublicKey: string;
}

export function requester(env: RequesterEnv, processEnv: NodeJS.ProcessEnv = process.env): Requester {
  if (!env.tenant || !env.principal) throw new UsageError("set CREDVEND_TENANT and CREDVEND_PRINCIPAL to the requester's tenant and principal");
  // Checked here, before a connection: the client would refuse it only after connecting, as an
  // unexplained RangeError, and a name with '.', '*' or '>' must never reach a NATS subject.
  for (const [variable, value] of [["CREDVEND_TENANT", env.tenant], ["CREDVEND_PRINCIPAL", env.principal]] as const) {
    if (!isValidName(value)) throw new UsageError(`${variable} ${JSON.stringify(value.length > 70 ? `${value.slice(0, 70)}…` : value)} is not a credvend name: 1-64 of a-z, 0-9, '-' and '_', starting with a letter or digit`);
  }
  const base = { env, tenant: env.tenant, principal: env.principal };
  if (env.sealingPublicKey) {
    if (env.replyKeyArn) throw new UsageError("set either CREDVEND_SEALING_PUBLIC_KEY (sealed replies, no AWS identity) or CREDVEND_REPLY_KEY_ARN (KMS-sealed replies), not both");
    const raw = /^[A-Za-z0-9+/]{43}=$/.test(env.sealingPublicKey) ? Buffer.from(env.sealingPublicKey, "base64") : undefined;
    if (raw?.length !== 32) throw new UsageError("CREDVEND_SEALING_PUBLIC_KEY must be the base64 of the fleet's 32-byte X25519 public key, as workers log it at start (sealingPublicKey, 44 characters ending in '=')");
    return { ...base, opens: "sealed", sealingPublicKey: env.sealingPublicKey };
  }
  if (!env.replyKeyArn) {
    throw new UsageError("set CREDVEND_REPLY_KEY_ARN to the ARN of the workers' reply KMS key (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID; replies sealed under any other key are refused), or CREDVEND_SEALING_PUBLIC_KEY to the fleet's sealing key for sealed replies with no AWS identity");
  }
  return { ...base, opens: "kms", replyKeyArn: env.replyKeyArn, aws: requesterAwsSettings(processEnv) };
}

/** The client options that open this requester's replies. */
export function openingOptions(who: Requester, kms: KMSClient | undefined): { kms: KMSClient; replyKeyArn: string } | { sealedReplies: { sealingPublicKey: string } } {
  if (who.opens === "sealed") return { sealedReplies: { sealingPublicKey: who.sealingPublicKey } };
  if (!kms) throw new Error("a KMS client is needed to open KMS-sealed replies");
  return { kms, replyKeyArn: who.replyKeyArn };
}

/**
 * Everything that changes the credential (or who can open it) is in the key, so an entry is never
 * served for another role, parameter, duration, tenant, NATS identity or deployment.
 */
export function cacheKey(spec: VendSpec, who: KmsRequester): string {
  const params = Object.keys(spec.params).sort().map((k) => [k, spec.params[k]]);
  const material = JSON.stringify([
    "credvend-cache-v1",
    who.env.natsUrl, who.env.natsUser ?? "", who.tenant, who.principal, who.replyKeyArn,
    identityLabel(who.aws.identity), who.aws.region ?? keyRegion(who.replyKeyArn) ?? "",
    spec.template, params, spec.durationSeconds ?? 0, spec.onBehalfOf ?? "",
  ]);
  return createHash("sha256").update(material).digest("hex");
}

const NONCE_CHARS = 16;
const BINDING_CHARS = 22;

function binding(key: string, nonce: string): string {
  return createHash("sha256").update(`credvend-cache-request-v1:${key}:${nonce}`).digest("base64url").slice(0, BINDING_CHARS);
}

/**
 * The request id of a request whose reply will be cached under `key`: a nonce and a digest of
 * the key with it. The worker seals the request id into the reply, so an entry copied or swapped
 * from another key (another template, parameters, duration) fails isCacheRequestId and is never
 * served in that key's place: the entry's file name and fields alone prove nothing.
 */
export function cacheRequestId(key: string): string {
  const nonce = randomBytes(12).toString("base64url");
  return `${nonce}${binding(key, nonce)}`;
}

export function isCacheRequestId(key: string, requestId: string): boolean {
  if (requestId.length !== NONCE_CHARS + BINDING_CHARS) return false;
  return binding(key, requestId.slice(0, NONCE_CHARS)) === requestId.slice(NONCE_CHARS);
}
