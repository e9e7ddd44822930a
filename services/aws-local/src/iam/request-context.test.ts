// The global condition keys aws-local sets exist exactly when AWS sets them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { buildRequestContext } from "./request-context.js";
import { roleCaller, userCaller } from "./fixture-callers.js";

const at = Date.UTC(2026, 11, 1, 12, 0, 0);

describe("global condition keys", () => {
  it("every request: time, transport and caller-type keys", () => {
    const ctx = buildRequestContext({ action: "kms:Decrypt", resource: "k", caller: userCaller("alice"), context: {}, nowMs: at });
    assert.equal(ctx.get("aws:currenttime"), "2026-12-01T12:00:00Z");
    assert.equal(ctx.get("aws:epochtime"), String(at / 1000));
    assert.equal(ctx.get("aws:securetransport"), false);
    assert.equal(ctx.get("aws:principalisawsservice"), false);
    assert.equal(ctx.get("aws:username"), "alice");
    const inRegion = buildRequestContext({ action: "kms:Decrypt", resource: "k", caller: userCaller("alice"), context: {}, requestedRegion: "eu-west-1" });
    assert.equal(inRegion.get("aws:requestedregion"), "eu-west-1");
    const fromIp = buildRequestContext({ action: "kms:Decrypt", resource: "k", caller: userCaller("alice"), context: {}, sourceIp: "127.0.0.1" });
    assert.equal(fromIp.get("aws:sourceip"), "127.0.0.1");
  });

  it("a long-term key: no aws:MultiFactorAuthPresent, no aws:TokenIssueTime; a role session: both, and no aws:username", () => {
    const user = buildRequestContext({ action: "a", resource: "r", caller: userCaller("alice"), context: {} });
    assert.equal(user.has("aws:multifactorauthpresent"), false);
    assert.equal(user.has("aws:tokenissuetime"), false);
    const role = buildRequestContext({ action: "a", resource: "r", caller: roleCaller("r", "s", { tokenIssuedAtMs: at, federatedProvider: "arn:aws:iam::000000000000:oidc-provider/idp" }), context: {} });
    assert.equal(role.get("aws:multifactorauthpresent"), false);
    assert.equal(role.get("aws:tokenissuetime"), "2026-12-01T12:00:00Z");
    assert.equal(role.get("aws:federatedprovider"), "arn:aws:iam::000000000000:oidc-provider/idp");
    assert.equal(role.has("aws:username"), false);
  });

  it("aws:MultiFactorAuthAge: seconds since the MFA check, only when MFA was used", () => {
    const mfa = roleCaller("r", "s", { mfaPresent: true, mfaAuthenticatedAtMs: at - 90_500 });
    assert.equal(buildRequestContext({ action: "a", resource: "r", caller: mfa, context: {}, nowMs: at }).get("aws:multifactorauthage"), "90");
    const noMfa = roleCaller("r", "s", { mfaPresent: false });
    assert.equal(buildRequestContext({ action: "a", resource: "r", caller: noMfa, context: {}, nowMs: at }).has("aws:multifactorauthage"), false);
    assert.equal(buildRequestContext({ action: "a", resource: "r", caller: userCaller("alice"), context: {}, nowMs: at }).has("aws:multifactorauthage"), false);
  });

  it("an identity-provider caller (the federation calls) has no principal keys, only the request's", () => {
    const ctx = buildRequestContext({
      action: "sts:AssumeRoleWithWebIdentity",
      resource: "r",
      caller: userCaller("x", { kind: "web-identity", arn: "arn:aws:iam::000000000000:oidc-provider/idp", accessKeyId: "" }),
      context: { "idp:sub": "user-1" },
    });
    for (const key of ["aws:userid", "aws:principalarn", "aws:principalaccount", "aws:username", "aws:principaltype", "aws:multifactorauthpresent"]) {
      assert.equal(ctx.has(key), false, key);
    }
    assert.equal(ctx.get("idp:sub"), "user-1");
  });
});
