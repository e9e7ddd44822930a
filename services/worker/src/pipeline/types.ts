// The named values that flow between stages; each stage's input is the previous one's output.
import type { CredentialRequest, SubjectIdentity } from "@credvend/protocol";
import type { StsPlan, VendInput } from "@credvend/policy";
import type { StageContext } from "./pipeline.js";
import type { RequestRecord } from "./record.js";

export interface WorkerStageContext extends StageContext {
  readonly record: RequestRecord;
  /** Moves the request's deadline (the validate stage sets the caller's own). */
  setDeadline(epochMs: number): void;
}

export interface Incoming {
  readonly subject: string;
  readonly data: Uint8Array;
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
}

export interface Claimed extends Validated {
  readonly claimToken: string;
}

export interface Planned extends Claimed {
  readonly plan: StsPlan;
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

export interface Issued extends Planned {
  readonly issued: IssuedCredentials;
}

export interface Replied {
  readonly reply: Uint8Array;
}
