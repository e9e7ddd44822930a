// The requester's own AWS identity: the one credvend's KMS client uses to decrypt replies. It is
// chosen by credvend's own settings, never by AWS_PROFILE alone, because AWS_PROFILE is often the
// very profile whose credential_process is credvend (the AWS CLI passes its environment on), and
// resolving it would run credvend again, without end.
//   CREDVEND_AWS_ACCESS_KEY_ID + CREDVEND_AWS_SECRET_ACCESS_KEY [+ CREDVEND_AWS_SESSION_TOKEN]
//   CREDVEND_AWS_PROFILE    a profile of the shared config files (static keys, role_arn +
//                           source_profile, SSO, a credential_process that is not credvend)
//   neither                 the AWS SDK's default chain, checked for credvend first (recursion.ts)
// CREDVEND_AWS_REGION overrides the region, which is otherwise the reply key ARN's own.
import type { KMSClient } from "@aws-sdk/client-kms";
import { CliFailure, UsageError } from "../args.js";

export type AwsIdentity =
  | { readonly kind: "keys"; readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken: string | undefined }
  | { readonly kind: "profile"; readonly profile: string }
  | { readonly kind: "default-chain" };

export interface RequesterAwsSettings {
  readonly identity: AwsIdentity;
  readonly region: string | undefined;
}

/** Part of the CLI's settings (cli-env.ts): the only reader of these variables. */
export function requesterAwsSettings(env: NodeJS.ProcessEnv = process.env): RequesterAwsSettings {
  const accessKeyId = env.CREDVEND_AWS_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.CREDVEND_AWS_SECRET_ACCESS_KEY || undefined;
  const profile = env.CREDVEND_AWS_PROFILE || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new UsageError("set both CREDVEND_AWS_ACCESS_KEY_ID and CREDVEND_AWS_SECRET_ACCESS_KEY (the requester's own AWS keys), or neither");
  }
  if (accessKeyId && profile) throw new UsageError("set CREDVEND_AWS_PROFILE or CREDVEND_AWS_ACCESS_KEY_ID/CREDVEND_AWS_SECRET_ACCESS_KEY, not both");
  const identity: AwsIdentity = accessKeyId && secretAccessKey
    ? { kind: "keys", accessKeyId, secretAccessKey, sessionToken: env.CREDVEND_AWS_SESSION_TOKEN || undefined }
    : profile ? { kind: "profile", profile } : { kind: "default-chain" };
  return { identity, region: env.CREDVEND_AWS_REGION || undefined };
}

/** What identifies the identity in a cache key (never the secret). */
export function identityLabel(identity: AwsIdentity): string {
  return identity.kind === "keys" ? `keys:${identity.accessKeyId}` : identity.kind === "profile" ? `profile:${identity.profile}` : "default-chain";
}

/** The region of a key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID): Decrypt must go where the key lives. */
export function keyRegion(keyArn: string): string | undefined {
  return keyArn.split(":")[3] || undefined;
}

/** A KMS client signed by the requester's own identity. The SDK loads only when this is called. */
export async function requesterKms(settings: RequesterAwsSettings, replyKeyArn: string): Promise<KMSClient> {
  const region = settings.region ?? keyRegion(replyKeyArn);
  if (!region) throw new UsageError("CREDVEND_REPLY_KEY_ARN names no region; set CREDVEND_AWS_REGION");
  const { KMSClient: Kms } = await import("@aws-sdk/client-kms");
  const id = settings.identity;
  if (id.kind === "keys") {
    return new Kms({ region, credentials: { accessKeyId: id.accessKeyId, secretAccessKey: id.secretAccessKey, ...(id.sessionToken ? { sessionToken: id.sessionToken } : {}) } });
  }
  const kms = new Kms({ region, ...(id.kind === "profile" ? { profile: id.profile } : {}) });
  // Resolved now, so a missing or broken identity fails here, before a request is sent (and its
  // STS call spent), with its own cause rather than as a reply that could not be decrypted.
  try {
    await kms.config.credentials();
  } catch (error) {
    kms.destroy();
    const from = id.kind === "profile" ? `profile '${id.profile}' (CREDVEND_AWS_PROFILE)` : "the AWS SDK's default chain";
    const text = (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
    const fix = id.kind === "profile" ? "fix that profile" : "set CREDVEND_AWS_PROFILE, or CREDVEND_AWS_ACCESS_KEY_ID and CREDVEND_AWS_SECRET_ACCESS_KEY";
    throw new CliFailure(`cannot get credvend's own AWS identity from ${from}: ${text.length > 400 ? `${text.slice(0, 400)}…` : text}; ${fix}`);
  }
  return kms;
}
