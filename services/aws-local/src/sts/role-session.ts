// What the three role-assuming operations (AssumeRole, AssumeRoleWithWebIdentity,
// AssumeRoleWithSAML) share once the caller is trusted: the duration limits of the role, and
// minting the role session.
import type { IamRole } from "../core/world.js";
import type { IssuedSession } from "../core/sessions.js";
import { issueSession, mergeTags, type StsDeps } from "./common.js";
import { effectiveSessionPolicy, type SessionInputs } from "./session-inputs.js";
import { validationError } from "./validation.js";
import { el, group } from "./xml.js";

export const DEFAULT_ROLE_SESSION_SECONDS = 3600;
export const ROLE_CHAINING_MAX_SECONDS = 3600;
export const MIN_ROLE_SESSION_SECONDS = 900;
export const MAX_ROLE_SESSION_SECONDS = 43200;

/** ValidationError when the duration exceeds the role's maximum (or the role-chaining cap). */
export function checkRoleDuration(role: IamRole, durationSeconds: number, chained: boolean): void {
  if (chained && durationSeconds > ROLE_CHAINING_MAX_SECONDS) {
    throw validationError(
      `The requested DurationSeconds exceeds the 1 hour session limit for roles assumed by role chaining. Pass DurationSeconds of at most ${ROLE_CHAINING_MAX_SECONDS}.`,
    );
  }
  if (durationSeconds > role.maxSessionDurationSeconds) {
    throw validationError(
      `The requested DurationSeconds exceeds the MaxSessionDuration set for this role (${role.maxSessionDurationSeconds} seconds).`,
    );
  }
}

/** What every role-assuming request knows about its resource, the role: aws:ResourceAccount, aws:ResourceTag/*. */
export function roleResourceKeys(role: IamRole): Record<string, string> {
  const keys: Record<string, string> = { "aws:ResourceAccount": role.accountId };
  for (const [k, v] of Object.entries(role.tags)) keys[`aws:ResourceTag/${k}`] = v;
  return keys;
}

export interface RoleSessionSpec {
  readonly role: IamRole;
  readonly sessionName: string;
  readonly durationSeconds: number;
  /** MinimumSessionTokenSize of the request (0: none). */
  readonly minimumSessionTokenSize: number;
  readonly inputs: SessionInputs;
  /** ARN of who asked (a caller, or an identity provider for the federation calls). */
  readonly issuedTo: string;
  readonly mfaPresent: boolean;
  /** When the MFA behind the session was checked (aws:MultiFactorAuthAge). */
  readonly mfaAuthenticatedAtMs?: number;
  readonly sourceIdentity?: string;
  /** The identity provider, for sessions of the two federation calls (aws:FederatedProvider). */
  readonly federatedProvider?: string;
  /** The provider keys the session's later calls carry (sts/federation-keys.ts); federation calls only. */
  readonly federationKeys?: Readonly<Record<string, string>>;
  /** Transitive tags inherited from the calling session (role chaining). */
  readonly inheritedTransitiveTags?: Readonly<Record<string, string>>;
  /** Tags this session carries on (its own transitive tags plus inherited ones). */
  readonly transitiveTags?: Readonly<Record<string, string>>;
}

export interface RoleSession {
  readonly session: IssuedSession;
  /** The `<AssumedRoleUser>` element of the reply. */
  readonly assumedRoleUserXml: string;
}

export function issueRoleSession(deps: StsDeps, spec: RoleSessionSpec): RoleSession {
  const { role, sessionName, inputs } = spec;
  const inherited = spec.inheritedTransitiveTags ?? {};
  const sessionPolicy = effectiveSessionPolicy(inputs, deps.world);
  const arn = `arn:aws:sts::${role.accountId}:assumed-role/${role.name}/${sessionName}`;
  const sourceIdentity = spec.sourceIdentity;
  const session = issueSession(deps, {
    kind: "assumed-role",
    durationSeconds: spec.durationSeconds,
    minimumSessionTokenSize: spec.minimumSessionTokenSize,
    identity: {
      accountId: role.accountId,
      kind: "assumed-role",
      arn,
      userId: `${role.roleId}:${sessionName}`,
      roleName: role.name,
      roleArn: role.arn,
      principalTags: mergeTags(role.tags, inherited, inputs.tagRecord),
      mfaPresent: spec.mfaPresent,
      ...(spec.mfaAuthenticatedAtMs === undefined ? {} : { mfaAuthenticatedAtMs: spec.mfaAuthenticatedAtMs }),
      identityPolicies: role.policies,
      // A role session is limited by its role's permissions boundary, as every request of the role is.
      ...(role.permissionsBoundary === undefined ? {} : { permissionsBoundary: role.permissionsBoundary.document }),
      ...(sessionPolicy === undefined ? {} : { sessionPolicy }),
      ...(sourceIdentity === undefined ? {} : { sourceIdentity }),
      ...(spec.federatedProvider === undefined ? {} : { federatedProvider: spec.federatedProvider }),
      ...(spec.federationKeys === undefined ? {} : { federationKeys: spec.federationKeys }),
    },
    issuedTo: spec.issuedTo,
    roleArn: role.arn,
    roleSessionName: sessionName,
    ...(sessionPolicy === undefined ? {} : { sessionPolicy }),
    policyArns: inputs.policyArns,
    sessionTags: inputs.tagRecord,
    transitiveTags: spec.transitiveTags ?? inherited,
    transitiveTagKeys: inputs.transitiveTagKeys,
    ...(sourceIdentity === undefined ? {} : { sourceIdentity }),
    mfaPresent: spec.mfaPresent,
    ...(inputs.packedPolicySize === undefined ? {} : { packedPolicySize: inputs.packedPolicySize }),
  });
  return { session, assumedRoleUserXml: group("AssumedRoleUser", el("Arn", arn) + el("AssumedRoleId", session.identity.userId)) };
}
