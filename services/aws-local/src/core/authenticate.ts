// Who signed this request? Parse the SigV4 parameters, look the access key up (seeded long-term
// key or an issued session), verify the signature and, for temporary credentials, the security
// token and its expiry. Failures become the service's own error spelling (fact sheet 4.3).
import { AwsError, type CallerIdentity, type Clock } from "../types.js";
import { parseSignature, SigV4Error, verifySignature, type SignedRequest, type SigV4FailureKind } from "../sigv4.js";
import type { IssuedSession, SessionStore } from "./sessions.js";
import type { RolePolicyStore } from "../iam/role-policies.js";
import type { IamUser, IamWorld } from "./world.js";

export type SignedService = "sts" | "kms" | "iam";

/** IAM is global: its one endpoint takes requests signed for us-east-1 only (the aws partition's). */
const IAM_SIGNING_REGION = "us-east-1";

/** The resolved caller of a signed request. */
export interface Principal {
  readonly identity: CallerIdentity;
  /** Set when the request was signed with issued temporary credentials. */
  readonly session?: IssuedSession;
  /** The IAM user behind a long-term key or a GetSessionToken session. */
  readonly user?: IamUser;
}

type Failure = SigV4FailureKind | "unknown-key" | "credentials-expired";

/** awsQuery services (STS, and IAM, which speaks the same protocol) spell these failures alike. */
const QUERY_SPELLING: Readonly<Record<Failure, readonly [code: string, status: number]>> = {
  missing: ["MissingAuthenticationToken", 403],
  incomplete: ["IncompleteSignature", 400],
  mismatch: ["SignatureDoesNotMatch", 403],
  expired: ["SignatureDoesNotMatch", 403],
  "not-yet-valid": ["SignatureDoesNotMatch", 403],
  "unknown-key": ["InvalidClientTokenId", 403],
  "credentials-expired": ["ExpiredToken", 403],
};

const SPELLING: Readonly<Record<SignedService, Readonly<Record<Failure, readonly [code: string, status: number]>>>> = {
  sts: QUERY_SPELLING,
  iam: QUERY_SPELLING,
  kms: {
    missing: ["MissingAuthenticationTokenException", 400],
    incomplete: ["IncompleteSignatureException", 400],
    mismatch: ["InvalidSignatureException", 400],
    expired: ["InvalidSignatureException", 400],
    "not-yet-valid": ["InvalidSignatureException", 400],
    "unknown-key": ["UnrecognizedClientException", 400],
    "credentials-expired": ["ExpiredTokenException", 400],
  },
};

const INVALID_TOKEN = "The security token included in the request is invalid.";
const EXPIRED_TOKEN = "The security token included in the request is expired";

export function authError(service: SignedService, failure: Failure, message: string): AwsError {
  const [code, status] = SPELLING[service][failure];
  return new AwsError(code, message, status);
}

export interface AuthenticatorDeps {
  readonly world: IamWorld;
  readonly sessions: SessionStore;
  /** Emulated time: decides whether issued credentials have expired. */
  readonly clock: Clock;
  /** Wall time: SigV4 freshness (clients sign with their real clock). */
  readonly wallNow: () => number;
  readonly clockSkewSeconds: number;
  /** The region this endpoint serves: requests signed for another are refused, as AWS refuses them. */
  readonly region: string;
  /** The roles' live inline policies: a role session acts with its role's policies as they are now. */
  readonly rolePolicies: RolePolicyStore;
}

export type Authenticate = (req: SignedRequest, query: URLSearchParams, service: SignedService) => Principal;

export function createAuthenticator(deps: AuthenticatorDeps): Authenticate {
  const userIdentities = new Map<string, CallerIdentity>();

  function userIdentity(user: IamUser, accessKeyId: string): CallerIdentity {
    let identity = userIdentities.get(accessKeyId);
    if (identity === undefined) {
      identity = {
        accountId: user.accountId,
        kind: "user",
        arn: user.arn,
        userId: user.userId,
        userName: user.name,
        principalTags: user.tags,
        mfaPresent: false,
        accessKeyId,
        identityPolicies: user.policies,
        ...(user.permissionsBoundary === undefined ? {} : { permissionsBoundary: user.permissionsBoundary.document }),
      };
      userIdentities.set(accessKeyId, identity);
    }
    return identity;
  }

  // IAM evaluates a session's permissions at each request: a policy put on the role after the
  // session was issued (a revocation deny) applies to it from then on.
  function withLiveRolePolicies(identity: CallerIdentity): CallerIdentity {
    if (identity.kind !== "assumed-role" || identity.roleArn === undefined) return identity;
    const role = deps.world.roleByArn(identity.roleArn);
    if (role === undefined) return identity;
    const documents = deps.rolePolicies.documents(role);
    return documents === identity.identityPolicies ? identity : { ...identity, identityPolicies: documents };
  }

  return (req, query, service) => {
    try {
      const parsed = parseSignature(req, query);
      const longTerm = deps.world.longTermKey(parsed.accessKeyId);
      const session = longTerm === undefined ? deps.sessions.get(parsed.accessKeyId) : undefined;
      if (longTerm === undefined && session === undefined) throw authError(service, "unknown-key", INVALID_TOKEN);
      const secretAccessKey = longTerm?.secretAccessKey ?? session?.secretAccessKey ?? "";
      verifySignature(req, parsed, {
        secretAccessKey,
        expectedService: service,
        nowMs: deps.wallNow(),
        clockSkewSeconds: deps.clockSkewSeconds,
        expectedRegion: service === "iam" ? IAM_SIGNING_REGION : deps.region,
      });
      if (longTerm !== undefined) {
        // A long-term key never carries a session token; one that does was not issued by us.
        if (parsed.securityToken !== undefined) throw authError(service, "unknown-key", INVALID_TOKEN);
        return { identity: userIdentity(longTerm.user, parsed.accessKeyId), user: longTerm.user };
      }
      if (session === undefined || !deps.sessions.tokenMatches(session, parsed.securityToken)) {
        throw authError(service, "unknown-key", INVALID_TOKEN);
      }
      if (session.expiresAtMs <= deps.clock.now()) throw authError(service, "credentials-expired", EXPIRED_TOKEN);
      const user = session.kind === "session-token" ? deps.world.userByName(session.identity.userName ?? "", session.identity.accountId) : undefined;
      const identity = withLiveRolePolicies(session.identity);
      return user === undefined ? { identity, session } : { identity, session, user };
    } catch (err) {
      if (err instanceof SigV4Error) throw authError(service, err.kind, err.message);
      throw err;
    }
  };
}
