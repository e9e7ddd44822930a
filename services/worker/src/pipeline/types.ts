// The named values that flow between stages; each stage's input is the previous one's output.
import type { CredentialRequest, SubjectIdentity } from "@credvend/protocol";
import type { StsPlan, VendInput } from "@credvend/policy";
import type { StageContext } from "./pipeline.js";
import type { RequestRecord } from "./record.js";

/** What the worker's stages see besides the base context: the request's record and its deadline. */
export interface WorkerStageContext extends StageContext {
  readonly record: RequestRecord;
  /** Moves the request's deadline (the validate stage sets the caller's own). */
  setDeadline(epochMs: number): void;
}

export interface Incoming {
  readonly subject: string;
  readonly data: Uint8Array;
  /** requestFingerprint of `data`, when admission already computed it (else validate does). */
  readonly fingerprint?: string;
  /** `data` decoded, when admission already decoded it (else the decode stage does). */
  readonly request?: CredentialRequest;
}

/** Identity comes first, from the subject alone: even a payload that fails to decode is then
 * answered only inside its sender's own reply namespace. */
export interface Identified extends Incoming {
  readonly identity: SubjectIdentity;
}

export interface Decoded extends Identified {
  readonly request: CredentialRequest;
}

export interface Validated extends Identified {
  readonly requestId: string;
  readonly input: VendInput;
  /** Hash of the request's content, minus its timing fields: what "the same request" means. */
  readonly fingerprint: string;
  /** The requester's client_time_ms: the same for every attempt of one request (epoch fence). */
  readonly clientTimeMs: number;
  /** The requester's X25519 key: seal the reply to it instead of a KMS data key (checked, 32 bytes). */
  readonly replyPublicKey?: Uint8Array;
}

/** Entitled under the current access rules (checked again for every replay) and rendered. */
export interface Planned extends Validated {
  readonly plan: StsPlan;
}

export interface Claimed extends Planned {
  readonly claimToken: string;
}

export interface IssuedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expirationMs: number;
  readonly assumedRoleArn: string;
  readonly sourceIdentity: string;
  readonly packedPolicySize: number;
}

export interface Issued extends Claimed {
  readonly issued: IssuedCredentials;
}

export interface Replied {
  readonly reply: Uint8Array;
}
