// The condition-key view of one request: the caller's built-in aws:* keys plus request.context.
// IAM condition key names are case-insensitive, so every key is stored lower-cased.

import type { CallerIdentity, PolicyRequest } from "../types.js";

export type ContextValue = string | readonly string[] | boolean;

/** Lower-cased condition key -> value. Absent keys are simply not present. */
export type RequestContext = ReadonlyMap<string, ContextValue>;

const PRINCIPAL_TYPE: Readonly<Record<SignedCallerKind, string>> = {
  user: "User",
  "assumed-role": "AssumedRole",
  "federated-user": "FederatedUser",
  root: "Account",
};

type SignedCallerKind = Exclude<CallerIdentity["kind"], "web-identity" | "saml">;

/** True for the unsigned callers of the two federation calls (no AWS identity yet). */
export function isIdentityProviderCaller(caller: CallerIdentity): boolean {
  return caller.kind === "web-identity" || caller.kind === "saml";
}

/** Built-in keys derived from the caller; request.context entries override them (undefined = absent). */
export function buildRequestContext(request: PolicyRequest): RequestContext {
  const { caller } = request;
  const ctx = new Map<string, ContextValue>();
  // The federation calls are unsigned: no aws:userid, aws:PrincipalArn, … exist yet. Their keys
  // (aws:FederatedProvider, <provider>:sub, SAML:aud, …) come in request.context.
  // Keys every request has: the time, and facts of the transport and caller type.
  if (request.nowMs !== undefined) {
    ctx.set("aws:currenttime", new Date(request.nowMs).toISOString().replace(/\.\d{3}Z$/, "Z"));
    ctx.set("aws:epochtime", String(Math.floor(request.nowMs / 1000)));
  }
  // Every AWS request has it, IAM's included (us-east-1); missing, "Deny when StringEquals
  // aws:RequestedRegion <this region>" never fired.
  if (request.requestedRegion !== undefined) ctx.set("aws:requestedregion", request.requestedRegion);
  // Present on every request not made through a VPC endpoint, the federation calls' included.
  if (request.sourceIp !== undefined) ctx.set("aws:sourceip", request.sourceIp);
  // aws-local serves plain http on loopback; an AWS call through it is never "secure transport".
  ctx.set("aws:securetransport", false);
  ctx.set("aws:principalisawsservice", false);
  ctx.set("aws:viaawsservice", false);
  if (isIdentityProviderCaller(caller)) return withRequestKeys(ctx, request);
  if (caller.kind === "user" && caller.userName !== undefined) ctx.set("aws:username", caller.userName);
  ctx.set("aws:userid", caller.userId);
  ctx.set("aws:principalarn", caller.kind === "assumed-role" && caller.roleArn !== undefined ? caller.roleArn : caller.arn);
  ctx.set("aws:principalaccount", caller.accountId);
  ctx.set("aws:principaltype", PRINCIPAL_TYPE[caller.kind as SignedCallerKind]);
  for (const [key, value] of Object.entries(caller.principalTags)) ctx.set(`aws:principaltag/${key.toLowerCase()}`, value);
  // As in AWS, the MFA key exists only for temporary credentials (ASIA…) unless MFA was actually used.
  if (caller.mfaPresent || caller.accessKeyId.startsWith("ASIA")) ctx.set("aws:multifactorauthpresent", caller.mfaPresent);
  // Present exactly when MFA was used (AWS: "If MFA was not used, the key is not present"). Without
  // it, "Deny when NumericGreaterThan aws:MultiFactorAuthAge 3600" never fired for old MFA sessions.
  if (caller.mfaPresent && caller.mfaAuthenticatedAtMs !== undefined && request.nowMs !== undefined) {
    ctx.set("aws:multifactorauthage", String(Math.max(0, Math.floor((request.nowMs - caller.mfaAuthenticatedAtMs) / 1000))));
  }
  if (caller.sourceIdentity !== undefined) ctx.set("aws:sourceidentity", caller.sourceIdentity);
  if (caller.tokenIssuedAtMs !== undefined) ctx.set("aws:tokenissuetime", new Date(caller.tokenIssuedAtMs).toISOString().replace(/\.\d{3}Z$/, "Z"));
  if (caller.federatedProvider !== undefined) ctx.set("aws:federatedprovider", caller.federatedProvider);
  // saml:sub, <provider>:sub, …: what the session's own permission policies may name (sts/federation-keys.ts).
  for (const [key, value] of Object.entries(caller.federationKeys ?? {})) ctx.set(key.toLowerCase(), value);
  return withRequestKeys(ctx, request);
}

function withRequestKeys(ctx: Map<string, ContextValue>, request: PolicyRequest): RequestContext {
  for (const [key, value] of Object.entries(request.context)) {
    const lower = key.toLowerCase();
    if (value === undefined) ctx.delete(lower);
    else ctx.set(lower, value);
  }
  return ctx;
}
