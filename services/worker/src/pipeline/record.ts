// What the boundary needs to know about a request, whatever stage it failed in: stages fill it
// in as they learn things (identity, request id, the idempotency claim).
import type { CredvendError, SubjectIdentity } from "@credvend/protocol";

export interface Claim {
  readonly scope: SubjectIdentity;
  readonly requestId: string;
  readonly token: string;
  /** The request's fingerprint: a settlement may write a record whose claim lapsed. */
  readonly fingerprint: string;
}

export interface RequestRecord {
  readonly receivedAt: number;
  identity?: SubjectIdentity;
  requestId?: string;
  template?: string;
  effectiveTenant?: string;
  claim?: Claim;
  /**
   * Set by rate-limit:caller, removed by rate-limit+dedupe (which charges the caller's buckets
   * itself): a request refused in between is charged to the caller's buckets by the boundary
   * (serve), and answered CV_ERR_RATE_LIMITED instead if they are spent. Never throws.
   */
  chargeRefusal?: (refusal: CredvendError) => Promise<CredvendError>;
  /** Stops renewing the claim's lease; called before the claim is settled. */
  stopClaimRenewal?: () => void;
  /** Absolute epoch ms after which the request is abandoned. */
  deadlineMs: number;
  /** Expiry of the credentials in the reply (epoch ms): the idempotency record lives no longer. */
  credentialsExpireAt?: number;
  /**
   * The claim was handed to a settlement that outlives the request (STS answered after the
   * deadline): settle leaves it alone.
   */
  claimHandedOver?: boolean;
  /** Served with still-fresh credentials of an identical earlier request (template `reuse`). */
  reused?: boolean;
  /** The request asked for a reply sealed to its own X25519 key. */
  sealedReply?: boolean;
}
