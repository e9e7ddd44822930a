// What every KMS operation handler sees, and checks several of them share.

import { AwsError, type CallerIdentity, type Clock, type JsonReply } from "../types.js";
import type { PrincipalDirectory } from "../iam/principal-directory.js";
import type { Authorize, AuthorizeIdentity } from "./authorize.js";
import type { KmsInput } from "./input.js";
import type { KeyStore, KmsKey } from "./key-store.js";

export interface OperationDeps {
  readonly store: KeyStore;
  readonly clock: Clock;
  readonly authorize: Authorize;
  /** For calls on no key (CreateKey, ListAliases): the caller's IAM policies alone decide. */
  readonly authorizeIdentity: AuthorizeIdentity;
  /** The principals a new key policy may name (they must exist, as in KMS). */
  readonly principals: PrincipalDirectory;
}

export type KmsOperation = (input: KmsInput, caller: CallerIdentity, deps: OperationDeps) => JsonReply;

export const SYMMETRIC_DEFAULT = "SYMMETRIC_DEFAULT";
export const ENCRYPTION_ALGORITHMS = [SYMMETRIC_DEFAULT, "RSAES_OAEP_SHA_1", "RSAES_OAEP_SHA_256", "SM2PKE"] as const;
export const MAX_KEY_ID_LENGTH = 2048;
export const MAX_CIPHERTEXT_BYTES = 6144;
export const MAX_GRANT_TOKENS = 10;

/** GrantTokens as the KMS model bounds them: at most 10, each of 1 to 8192 characters. */
export function readGrantTokens(input: KmsInput): readonly string[] {
  return input.stringList("GrantTokens", MAX_GRANT_TOKENS, { min: 1, max: 8192 });
}

export function ok(body: unknown): JsonReply {
  return { status: 200, body };
}

/** KMS timestamps are epoch seconds (fractions allowed). */
export function epochSeconds(ms: number): number {
  return ms / 1000;
}

/** Crypto operations need an Enabled key. */
export function requireEnabled(key: KmsKey): void {
  if (key.state === "Disabled") throw new AwsError("DisabledException", `${key.arn} is disabled.`, 409);
  if (key.state === "PendingDeletion") throw new AwsError("KMSInvalidStateException", `${key.arn} is pending deletion.`, 409);
}

/** aws-local keys are all SYMMETRIC_DEFAULT: any other algorithm doesn't fit the key. */
export function requireSymmetric(key: KmsKey, algorithm: string | undefined): void {
  if (algorithm !== undefined && algorithm !== SYMMETRIC_DEFAULT) {
    throw new AwsError("InvalidKeyUsageException", `${key.arn} is a symmetric key: EncryptionAlgorithm must be SYMMETRIC_DEFAULT, not ${algorithm}`, 400);
  }
}

/** Called after validation and authorization, as KMS does, so DryRun reports what would happen. */
export function dryRunStop(dryRun: boolean | undefined): void {
  if (dryRun === true) throw new AwsError("DryRunOperationException", "The request would have succeeded, but the DryRun option is set.", 412);
}

/** Nitro Enclave attestation (Recipient) needs a real enclave; refuse it plainly rather than ignore it. */
export function refuseRecipient(input: KmsInput): void {
  if (input.has("Recipient")) {
    throw new AwsError("UnsupportedOperationException", "aws-local does not support Recipient (Nitro Enclaves attestation); omit it", 400);
  }
}
