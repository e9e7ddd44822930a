// Public API of @credvend/policy: config loading and lint, request planning, deployment helpers.
export { parseConfig, loadConfigFile, type ConfigResult } from "./config.js";
export { lintConfig, type LintOptions } from "./lint.js";
export type { Problem } from "./problems.js";
export { formatProblems } from "./problems.js";
export type {
  CredvendConfig, Template, ParamSpec, PolicyDocument, AccessRule, ParamConstraint, RateLimitSpec, IdentitySpec, WebIdentityCheck,
} from "./schema.js";
export { planRequest } from "./plan.js";
export { PlanMemo, DEFAULT_PLAN_MEMO, withRequestId } from "./plan-memo.js";
export type { PlanMemoOptions } from "./plan-memo.js";
export type { VendInput } from "./plan-inputs.js";
export type {
  StsPlan, AssumeRolePlan, WebIdentityPlan, SamlPlan, SessionTokenPlan, FederationTokenPlan, RateLimitRule, Reuse,
} from "./plan-types.js";
export { STS_OPERATION } from "./plan-types.js";
export type { SessionTag } from "./session.js";
export { TAG_PRINCIPAL, TAG_TENANT } from "./session.js";
export { describePlan, REDACTED } from "./describe.js";
export {
  stsRequest, SECRET_INPUT_FIELDS, type StsRequest, type AssumeRoleInput, type AssumeRoleWithWebIdentityInput, type AssumeRoleWithSamlInput,
  type GetSessionTokenInput, type GetFederationTokenInput, type StsTag, type StsPolicyArn,
} from "./sts-input.js";
export { checkRequestFields, checkRequestId } from "./plan-inputs.js";
export { natsAuthorization, natsUserName, OPERATOR_PERMISSIONS, AUDITOR_PERMISSIONS, AUDIT_STREAM, DEFAULT_VENDOR_USER, MIN_NATS_PASSWORD_LENGTH, VENDOR_PERMISSIONS, type NatsAuthorizationOptions, type NatsIdentity, type NatsUser } from "./nats-auth.js";
export { trustPolicyFor, type TrustPolicyOptions } from "./trust.js";
export {
  TEMPLATE_KINDS, DURATION_RANGES, REQUEST_DURATION_RANGE, MAX_REQUEST_PARAMS, MAX_PARAM_NAME_CHARS, MAX_PARAM_VALUE_CHARS,
  MAX_TEMPLATE_NAME_CHARS, type TemplateKind,
} from "./limits.js";
export { closest, didYouMean } from "./suggest.js";
export {
  workerPolicyFor, credentialSourcePolicyFor, credentialSources, checkReplyKeyArn, type IamPolicy, type IamStatement, type WorkerPolicyOptions,
} from "./worker-policy.js";
export { requesterPolicyFor, type RequesterPolicyOptions } from "./requester-policy.js";
