// stsRequest: the one translation from a plan to the STS call's input, in the SDK's own shapes
// (AssumeRoleCommandInput and friends; these types are structurally the SDK's, which the worker's
// `new AssumeRoleCommand(request.input)` checks at compile time). The worker sends exactly this,
// and `templates render` prints exactly this with the secrets masked, so the dry run is what is sent.
import { STS_OPERATION, type StsPlan } from "./plan-types.js";

export interface StsPolicyArn { arn: string }
export interface StsTag { Key: string; Value: string }

export interface AssumeRoleInput {
  RoleArn: string;
  RoleSessionName: string;
  DurationSeconds: number;
  Policy?: string;
  PolicyArns?: StsPolicyArn[];
  Tags?: StsTag[];
  TransitiveTagKeys?: string[];
  SourceIdentity?: string;
  ExternalId?: string;
  SerialNumber?: string;
  TokenCode?: string;
}
export interface AssumeRoleWithWebIdentityInput {
  RoleArn: string;
  RoleSessionName: string;
  WebIdentityToken: string;
  ProviderId?: string;
  DurationSeconds: number;
  Policy?: string;
  PolicyArns?: StsPolicyArn[];
}
export interface AssumeRoleWithSamlInput {
  RoleArn: string;
  PrincipalArn: string;
  SAMLAssertion: string;
  DurationSeconds: number;
  Policy?: string;
  PolicyArns?: StsPolicyArn[];
}
export interface GetSessionTokenInput {
  DurationSeconds: number;
  SerialNumber?: string;
  TokenCode?: string;
}
export interface GetFederationTokenInput {
  Name: string;
  DurationSeconds: number;
  Policy?: string;
  PolicyArns?: StsPolicyArn[];
  Tags?: StsTag[];
}

export type StsRequest =
  | { operation: "AssumeRole"; input: AssumeRoleInput }
  | { operation: "AssumeRoleWithWebIdentity"; input: AssumeRoleWithWebIdentityInput }
  | { operation: "AssumeRoleWithSAML"; input: AssumeRoleWithSamlInput }
  | { operation: "GetSessionToken"; input: GetSessionTokenInput }
  | { operation: "GetFederationToken"; input: GetFederationTokenInput };

/** Input fields that carry a secret of the requester; the dry run and audit mask them. */
export const SECRET_INPUT_FIELDS = ["TokenCode", "WebIdentityToken", "SAMLAssertion"] as const;

// Empty lists are left out rather than sent empty: STS treats both alike, and leaving them out
// keeps the query short and the printed request readable.
const arns = (list: readonly string[]): { PolicyArns?: StsPolicyArn[] } => (list.length > 0 ? { PolicyArns: list.map((arn) => ({ arn })) } : {});
const tags = (list: readonly { key: string; value: string }[]): { Tags?: StsTag[] } => (list.length > 0 ? { Tags: list.map((t) => ({ Key: t.key, Value: t.value })) } : {});
function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

export function stsRequest(plan: StsPlan): StsRequest {
  const policy = "policy" in plan ? optional("Policy", plan.policy) : {};
  switch (plan.kind) {
    case "assume_role":
      return {
        operation: STS_OPERATION.assume_role,
        input: {
          RoleArn: plan.roleArn, RoleSessionName: plan.roleSessionName, DurationSeconds: plan.durationSeconds, ...policy,
          ...arns(plan.policyArns), ...tags(plan.tags),
          ...(plan.transitiveTagKeys.length > 0 ? { TransitiveTagKeys: [...plan.transitiveTagKeys] } : {}),
          ...optional("SourceIdentity", plan.sourceIdentity), ...optional("ExternalId", plan.externalId),
          ...optional("SerialNumber", plan.serialNumber), ...optional("TokenCode", plan.tokenCode),
        },
      };
    case "web_identity":
      return {
        operation: STS_OPERATION.web_identity,
        input: {
          RoleArn: plan.roleArn, RoleSessionName: plan.roleSessionName, WebIdentityToken: plan.webIdentityToken,
          ...optional("ProviderId", plan.providerId), DurationSeconds: plan.durationSeconds, ...policy, ...arns(plan.policyArns),
        },
      };
    case "saml":
      return {
        operation: STS_OPERATION.saml,
        input: {
          RoleArn: plan.roleArn, PrincipalArn: plan.principalArn, SAMLAssertion: plan.samlAssertion,
          DurationSeconds: plan.durationSeconds, ...policy, ...arns(plan.policyArns),
        },
      };
    case "session_token":
      return {
        operation: STS_OPERATION.session_token,
        input: { DurationSeconds: plan.durationSeconds, ...optional("SerialNumber", plan.serialNumber), ...optional("TokenCode", plan.tokenCode) },
      };
    case "federation_token":
      return {
        operation: STS_OPERATION.federation_token,
        input: { Name: plan.name, DurationSeconds: plan.durationSeconds, ...policy, ...arns(plan.policyArns), ...tags(plan.tags) },
      };
  }
}
