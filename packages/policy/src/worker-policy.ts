// The IAM policy of the worker's own identity, derived from a config: exactly the calls the worker
// makes with it. Role kinds it signs itself: assume_role (sts:AssumeRole, plus sts:TagSession since
// every session carries credvend's tags, plus sts:SetSourceIdentity unless the template turns it
// off). web_identity and saml calls are not signed (the token or assertion is the credential), so
// they need no permission of the worker's. session_token and federation_token calls are signed
// with the template's credential_source profile, never the worker's identity: that IAM user's
// policy is credentialSourcePolicyFor. The reply key: kms:GenerateDataKey (sealing) and
// kms:DescribeKey (the start-up and readiness check). Nothing else: the audit stream and config
// are NATS, revocation (iam:PutRolePolicy) is the operator's, not the worker's.
import type { CredvendConfig } from "./schema.js";
import { hasPlaceholder } from "./placeholders.js";
import { federationName } from "./session.js";

export const REPLY_KEY_ARN_PATTERN = /^arn:(aws|aws-cn|aws-us-gov):kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]{1,128}$/;

export interface IamStatement {
  readonly Sid: string;
  readonly Effect: "Allow";
  readonly Action: readonly string[];
  readonly Resource: readonly string[];
  readonly Condition?: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

export interface IamPolicy {
  readonly Version: "2012-10-17";
  readonly Statement: readonly IamStatement[];
}

/** The reply key as an IAM policy may name it: a key ARN (an alias is not a resource of the data-key calls). */
export function checkReplyKeyArn(arn: string): string {
  if (!REPLY_KEY_ARN_PATTERN.test(arn)) {
    throw new RangeError(`${JSON.stringify(arn)} is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/KEY-ID); IAM policies name the key itself, not an alias`);
  }
  return arn;
}

/** Actions per resource, then one statement per distinct resource list (sorted, so the output is stable). */
function statements(grants: ReadonlyMap<string, ReadonlySet<string>>, sids: Readonly<Record<string, string>>): IamStatement[] {
  const byResources = new Map<string, { actions: string[]; resources: string[] }>();
  for (const [action, resources] of [...grants].sort(([a], [b]) => a.localeCompare(b))) {
    const sorted = [...resources].sort();
    const key = sorted.join("\n");
    const entry = byResources.get(key) ?? { actions: [], resources: sorted };
    entry.actions.push(action);
    byResources.set(key, entry);
  }
  return [...byResources.values()].map(({ actions, resources }) => ({
    Sid: sids[actions.join(",")] ?? actions.map((a) => a.replace(/^[a-z]+:/, "")).join("And"),
    Effect: "Allow" as const,
    Action: actions,
    Resource: resources,
  }));
}

function grant(grants: Map<string, Set<string>>, action: string, resource: string): void {
  const set = grants.get(action) ?? new Set<string>();
  set.add(resource);
  grants.set(action, set);
}

const SIDS: Readonly<Record<string, string>> = {
  "sts:AssumeRole,sts:SetSourceIdentity,sts:TagSession": "AssumeTemplateRoles",
  "sts:AssumeRole,sts:TagSession": "AssumeTemplateRoles",
  "sts:SetSourceIdentity": "SetSourceIdentityOnTemplateRoles",
  "kms:DescribeKey,kms:GenerateDataKey": "SealRepliesWithTheReplyKey",
  "sts:GetFederationToken,sts:TagSession": "GetFederationTokens",
  "sts:GetFederationToken": "GetFederationTokens",
};

export interface WorkerPolicyOptions {
  /** The key CREDVEND_REPLY_KEY_ID names, as its key ARN. */
  readonly replyKeyArn: string;
}

export function workerPolicyFor(config: CredvendConfig, options: WorkerPolicyOptions): IamPolicy {
  const replyKeyArn = checkReplyKeyArn(options.replyKeyArn);
  const grants = new Map<string, Set<string>>();
  for (const tpl of Object.values(config.templates)) {
    if (tpl.kind !== "assume_role" || tpl.role_arn === undefined) continue;
    grant(grants, "sts:AssumeRole", tpl.role_arn);
    grant(grants, "sts:TagSession", tpl.role_arn);
    if (tpl.source_identity !== false) grant(grants, "sts:SetSourceIdentity", tpl.role_arn);
  }
  grant(grants, "kms:GenerateDataKey", replyKeyArn);
  grant(grants, "kms:DescribeKey", replyKeyArn);
  return { Version: "2012-10-17", Statement: statements(grants, SIDS) };
}

/** The credential_source profiles the config's templates name, with the templates that use each. */
export function credentialSources(config: CredvendConfig): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, tpl] of Object.entries(config.templates)) {
    const profile = tpl.credential_source?.profile;
    if (profile !== undefined) out.set(profile, [...(out.get(profile) ?? []), name]);
  }
  return out;
}

/**
 * The policy of the IAM user behind a credential_source profile. GetSessionToken needs no
 * permission (AWS does not let policies control it), so only federation_token templates add
 * sts:GetFederationToken on their federated-user ARNs, and sts:TagSession for credvend's tags.
 * Undefined when the profile's templates need no permission at all.
 */
export function credentialSourcePolicyFor(config: CredvendConfig, profile: string, options: { readonly partition?: string } = {}): IamPolicy | undefined {
  const partition = options.partition ?? "aws";
  const grants = new Map<string, Set<string>>();
  const templates = credentialSources(config).get(profile);
  if (templates === undefined) throw new RangeError(`no template names credential_source profile ${JSON.stringify(profile)}`);
  for (const name of templates) {
    const tpl = config.templates[name];
    if (tpl?.kind !== "federation_token") continue;
    // A rendered name (and the default, the caller's tenant and principal) can be anything its
    // variables allow, and is shortened past 32 characters.
    const source = tpl.federation_name;
    const user = source === undefined || hasPlaceholder(source) ? "*" : federationName(source);
    // GetFederationToken acts in the signing user's own account, which the config does not name.
    const arn = `arn:${partition}:sts::*:federated-user/${user}`;
    grant(grants, "sts:GetFederationToken", arn);
    grant(grants, "sts:TagSession", arn);
  }
  return grants.size === 0 ? undefined : { Version: "2012-10-17", Statement: statements(grants, SIDS) };
}
