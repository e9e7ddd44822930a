// Types shared by aws-local's parts: the HTTP/SigV4 core, STS, the IAM policy engine and KMS.
// Changing a shape here changes a contract between those parts: change both sides together.

/** An IAM policy document as parsed JSON (Statement may be one object or an array). */
export interface PolicyDocument {
  readonly Version?: string;
  readonly Id?: string;
  readonly Statement: PolicyStatement | readonly PolicyStatement[];
}

export type StringOrList = string | readonly string[];

export interface PolicyStatement {
  readonly Sid?: string;
  readonly Effect: "Allow" | "Deny";
  readonly Principal?: "*" | { readonly AWS?: StringOrList; readonly Federated?: StringOrList; readonly Service?: StringOrList };
  readonly NotPrincipal?: "*" | { readonly AWS?: StringOrList };
  readonly Action?: StringOrList;
  readonly NotAction?: StringOrList;
  readonly Resource?: StringOrList;
  readonly NotResource?: StringOrList;
  /** operator -> condition key -> value(s), e.g. {"StringEquals": {"sts:ExternalId": "x"}} */
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, StringOrList | boolean | number>>>>;
}

/** Who signed a request, resolved from the access key id (long-term key or issued session). */
export interface CallerIdentity {
  readonly accountId: string;
  /**
   * "web-identity" / "saml": the unsigned caller of AssumeRoleWithWebIdentity / AssumeRoleWithSAML,
   * known only through its identity provider (arn = the provider ARN); it matches `Federated`
   * principals only, never `AWS` ones.
   */
  readonly kind: "user" | "assumed-role" | "federated-user" | "root" | "web-identity" | "saml";
  /** arn:aws:iam::<acct>:user/<name> | arn:aws:sts::<acct>:assumed-role/<role>/<session> | arn:aws:sts::<acct>:federated-user/<name> */
  readonly arn: string;
  /** AIDA… for users, AROA…:<session> for roles, <acct>:<name> for federated users. */
  readonly userId: string;
  /** IAM user name (users only): the value of ${aws:username}. */
  readonly userName?: string;
  /** Role name and ARN (assumed roles only). */
  readonly roleName?: string;
  readonly roleArn?: string;
  /** aws:PrincipalTag/<key>: user tags, or role tags overridden by session tags. */
  readonly principalTags: Readonly<Record<string, string>>;
  readonly mfaPresent: boolean;
  /** When the MFA code behind this session was checked (aws:MultiFactorAuthAge); only with mfaPresent. */
  readonly mfaAuthenticatedAtMs?: number;
  readonly accessKeyId: string;
  /** Session policy of an issued session (limits what the session may do), if any. */
  readonly sessionPolicy?: PolicyDocument;
  /** Identity policies of the IAM user or role behind this caller. */
  readonly identityPolicies: readonly PolicyDocument[];
  /**
   * The permissions boundary of the IAM user or role behind this caller (a managed policy's document):
   * the most its identity policies may grant. See iam/identity-decision.ts for where it applies.
   */
  readonly permissionsBoundary?: PolicyDocument;
  readonly sourceIdentity?: string;
  /** Temporary credentials only: when STS issued them (aws:TokenIssueTime). */
  readonly tokenIssuedAtMs?: number;
  /** Role sessions from AssumeRoleWithWebIdentity / AssumeRoleWithSAML: the provider ARN (aws:FederatedProvider). */
  readonly federatedProvider?: string;
  /**
   * Role sessions from the two federation calls: the provider keys AWS documents for the session's
   * permission policies (saml:sub, …, `<provider>:sub`; see sts/federation-keys.ts), set on every
   * later request. A role chained from the session does not inherit them.
   */
  readonly federationKeys?: Readonly<Record<string, string>>;
}

/** Context for one policy evaluation. Condition keys are matched case-insensitively, as in IAM. */
export interface PolicyRequest {
  readonly action: string;
  readonly resource: string;
  readonly caller: CallerIdentity;
  /** Extra condition keys for this request, e.g. {"sts:ExternalId": "x", "kms:EncryptionContext:credvend:principal": "demo-app"}. */
  readonly context: Readonly<Record<string, string | readonly string[] | boolean | undefined>>;
  /** Request time (emulated clock): aws:CurrentTime and aws:EpochTime. Set by the evaluator aws-local injects. */
  readonly nowMs?: number;
  /** The region the request was made to (aws:RequestedRegion; us-east-1 for IAM). Set by the evaluator aws-local injects. */
  readonly requestedRegion?: string;
  /** The caller's IP address (aws:SourceIp). Set by the evaluator aws-local injects. */
  readonly sourceIp?: string;
}

export type PolicyDecision = "Allow" | "ExplicitDeny" | "ImplicitDeny";

/**
 * An AWS-shaped error. `code` is the wire code (STS `<Code>`, KMS `__type`), `status` the HTTP
 * status. Thrown anywhere inside aws-local; the protocol layer renders it in the right spelling.
 */
export class AwsError extends Error {
  override readonly name = "AwsError";
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly fault: "Sender" | "Receiver" = status >= 500 ? "Receiver" : "Sender",
  ) {
    super(message);
  }
}

/** The clock every part reads; tests can move it forward through the admin path. */
export interface Clock {
  now(): number;
}

/** A KMS key as seeded. */
export interface SeedKmsKey {
  /** Key id (UUID form). */
  readonly id: string;
  readonly description?: string;
  readonly aliases?: readonly string[];
  readonly policy?: PolicyDocument;
  readonly enabled?: boolean;
  /** Base64 of 32 bytes; when absent the key material is derived deterministically from the id. */
  readonly material?: string;
}

/** One KMS JSON operation's outcome (the body is serialised as JSON by the core). */
export interface JsonReply {
  readonly status: number;
  readonly body: unknown;
}

/**
 * The signature of the IAM engine's `evaluatePolicies` (src/iam/evaluate.ts), so the core and STS can
 * take the engine as an injected dependency without importing it.
 */
export type EvaluatePolicies = (
  policies: readonly PolicyDocument[],
  request: PolicyRequest,
  options?: { readonly principalCheck?: boolean },
) => PolicyDecision;
