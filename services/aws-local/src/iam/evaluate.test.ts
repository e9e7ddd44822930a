import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PolicyDocument, PolicyRequest } from "../types.js";
import { evaluatePolicies } from "./evaluate.js";
import { ACCOUNT, allow, roleCaller, userCaller } from "./fixture-callers.js";

const alice = userCaller("alice", { principalTags: { team: "blue" } });
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k1`;

function req(action: string, resource = KEY, extra: Partial<PolicyRequest> = {}): PolicyRequest {
  return { action, resource, caller: alice, context: {}, ...extra };
}

describe("evaluatePolicies: decision", () => {
  it("is ImplicitDeny with no policies or no matching statement", () => {
    assert.equal(evaluatePolicies([], req("kms:Decrypt")), "ImplicitDeny");
    assert.equal(evaluatePolicies([allow("kms:Encrypt")], req("kms:Decrypt")), "ImplicitDeny");
  });

  it("allows when any statement allows", () => {
    assert.equal(evaluatePolicies([allow("kms:Encrypt"), allow("kms:Decrypt")], req("kms:Decrypt")), "Allow");
  });

  it("lets an explicit Deny win over any Allow, in any order", () => {
    const deny: PolicyDocument = { Version: "2012-10-17", Statement: { Effect: "Deny", Action: "kms:*", Resource: "*" } };
    assert.equal(evaluatePolicies([allow("*"), deny], req("kms:Decrypt")), "ExplicitDeny");
    assert.equal(evaluatePolicies([deny, allow("*")], req("kms:Decrypt")), "ExplicitDeny");
  });

  it("accepts Statement as a single object", () => {
    const doc: PolicyDocument = { Statement: { Effect: "Allow", Action: "sts:GetCallerIdentity", Resource: "*" } };
    assert.equal(evaluatePolicies([doc], req("sts:GetCallerIdentity")), "Allow");
  });
});

describe("evaluatePolicies: Action / NotAction", () => {
  it("matches * and ? wildcards case-insensitively", () => {
    assert.equal(evaluatePolicies([allow("kms:Generate*")], req("kms:GenerateDataKey")), "Allow");
    assert.equal(evaluatePolicies([allow("KMS:decrypt")], req("kms:Decrypt")), "Allow");
    assert.equal(evaluatePolicies([allow("kms:?ncrypt")], req("kms:Encrypt")), "Allow");
    assert.equal(evaluatePolicies([allow("kms:?ncrypt")], req("kms:Decrypt")), "ImplicitDeny");
    assert.equal(evaluatePolicies([allow("*")], req("sts:AssumeRole")), "Allow");
  });

  it("treats regex metacharacters in actions literally", () => {
    assert.equal(evaluatePolicies([allow("kms.Decrypt")], req("kmsxDecrypt")), "ImplicitDeny");
  });

  it("NotAction applies to every other action", () => {
    const doc: PolicyDocument = { Statement: { Effect: "Allow", NotAction: ["kms:Decrypt", "kms:Re*"], Resource: "*" } };
    assert.equal(evaluatePolicies([doc], req("kms:Encrypt")), "Allow");
    assert.equal(evaluatePolicies([doc], req("kms:Decrypt")), "ImplicitDeny");
    assert.equal(evaluatePolicies([doc], req("kms:ReEncryptFrom")), "ImplicitDeny");
  });
});

describe("evaluatePolicies: Resource / NotResource", () => {
  it("matches wildcards case-sensitively", () => {
    assert.equal(evaluatePolicies([allow("kms:*", `arn:aws:kms:*:${ACCOUNT}:key/*`)], req("kms:Decrypt")), "Allow");
    assert.equal(evaluatePolicies([allow("kms:*", `arn:aws:kms:*:${ACCOUNT}:KEY/*`)], req("kms:Decrypt")), "ImplicitDeny");
    assert.equal(evaluatePolicies([allow("kms:*", `arn:aws:kms:*:${ACCOUNT}:key/k?`)], req("kms:Decrypt")), "Allow");
  });

  it("NotResource excludes the listed resources", () => {
    const doc: PolicyDocument = { Statement: { Effect: "Deny", Action: "*", NotResource: "arn:aws:s3:::public/*" } };
    assert.equal(evaluatePolicies([allow("*"), doc], req("s3:GetObject", "arn:aws:s3:::public/a")), "Allow");
    assert.equal(evaluatePolicies([allow("*"), doc], req("s3:GetObject", "arn:aws:s3:::private/a")), "ExplicitDeny");
  });

  it("an identity statement without Resource matches nothing; a trust policy statement needs none", () => {
    const noResource: PolicyDocument = { Statement: { Effect: "Allow", Action: "sts:AssumeRole", Principal: "*" } };
    assert.equal(evaluatePolicies([noResource], req("sts:AssumeRole", "arn:aws:iam::0:role/r")), "ImplicitDeny");
    assert.equal(evaluatePolicies([noResource], req("sts:AssumeRole", "arn:aws:iam::0:role/r"), { principalCheck: true }), "Allow");
  });

  it("substitutes policy variables in resources, only for Version 2012-10-17", () => {
    const resource = "arn:aws:s3:::home/${aws:username}/*";
    const v2012 = allow("s3:GetObject", resource);
    assert.equal(evaluatePolicies([v2012], req("s3:GetObject", "arn:aws:s3:::home/alice/x")), "Allow");
    assert.equal(evaluatePolicies([v2012], req("s3:GetObject", "arn:aws:s3:::home/bob/x")), "ImplicitDeny");
    const v2008: PolicyDocument = { Version: "2008-10-17", Statement: { Effect: "Allow", Action: "s3:GetObject", Resource: resource } };
    assert.equal(evaluatePolicies([v2008], req("s3:GetObject", "arn:aws:s3:::home/alice/x")), "ImplicitDeny");
    assert.equal(evaluatePolicies([v2008], req("s3:GetObject", "arn:aws:s3:::home/${aws:username}/x")), "Allow");
  });

  it("never lets a variable's value act as a wildcard", () => {
    const star = userCaller("*");
    const doc = allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}");
    assert.equal(evaluatePolicies([doc], req("s3:GetObject", "arn:aws:s3:::home/bob", { caller: star })), "ImplicitDeny");
    assert.equal(evaluatePolicies([doc], req("s3:GetObject", "arn:aws:s3:::home/*", { caller: star })), "Allow");
  });

  it("${*}, ${?} and ${$} stand for literal characters", () => {
    const doc = allow("s3:GetObject", "arn:aws:s3:::b/${*}${?}${$}");
    assert.equal(evaluatePolicies([doc], req("s3:GetObject", "arn:aws:s3:::b/*?$")), "Allow");
    assert.equal(evaluatePolicies([doc], req("s3:GetObject", "arn:aws:s3:::b/xx$")), "ImplicitDeny");
  });

  it("a statement whose resource variable can't be resolved does not match", () => {
    const role = roleCaller("r", "s");
    const doc = allow("s3:GetObject", "arn:aws:s3:::home/${aws:username}/*");
    assert.equal(evaluatePolicies([doc], req("s3:GetObject", "arn:aws:s3:::home//x", { caller: role })), "ImplicitDeny");
  });

  it("uses a variable's default value when the key is missing", () => {
    const role = roleCaller("r", "s");
    const doc = allow("s3:GetObject", "arn:aws:s3:::home/${aws:username, 'nobody'}/*");
    assert.equal(evaluatePolicies([doc], req("s3:GetObject", "arn:aws:s3:::home/nobody/x", { caller: role })), "Allow");
    assert.equal(evaluatePolicies([doc], req("s3:GetObject", "arn:aws:s3:::home/alice/x")), "Allow");
  });
});

describe("evaluatePolicies: Principal (principalCheck)", () => {
  const trust = (principal: unknown): PolicyDocument =>
    ({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: principal, Action: "sts:AssumeRole" }] }) as PolicyDocument;
  const assume = (caller = alice) => req("sts:AssumeRole", `arn:aws:iam::${ACCOUNT}:role/target`, { caller });
  const role = roleCaller("builder", "ci-42");

  it("ignores a statement without Principal in a resource policy", () => {
    assert.equal(evaluatePolicies([allow("sts:AssumeRole")], assume(), { principalCheck: true }), "ImplicitDeny");
  });

  it('matches "*" and {"AWS": "*"} for anyone', () => {
    assert.equal(evaluatePolicies([trust("*")], assume(), { principalCheck: true }), "Allow");
    assert.equal(evaluatePolicies([trust({ AWS: "*" })], assume(role), { principalCheck: true }), "Allow");
  });

  it("matches an account id or its root ARN for every principal of that account only", () => {
    for (const p of [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`]) {
      assert.equal(evaluatePolicies([trust({ AWS: p })], assume(), { principalCheck: true }), "Allow", p);
      assert.equal(evaluatePolicies([trust({ AWS: p })], assume(role), { principalCheck: true }), "Allow", p);
    }
    const stranger = userCaller("eve", { accountId: "111111111111", arn: "arn:aws:iam::111111111111:user/eve" });
    assert.equal(evaluatePolicies([trust({ AWS: `arn:aws:iam::${ACCOUNT}:root` })], assume(stranger), { principalCheck: true }), "ImplicitDeny");
  });

  it("matches user ARNs exactly", () => {
    assert.equal(evaluatePolicies([trust({ AWS: alice.arn })], assume(), { principalCheck: true }), "Allow");
    assert.equal(evaluatePolicies([trust({ AWS: [`arn:aws:iam::${ACCOUNT}:user/bob`] })], assume(), { principalCheck: true }), "ImplicitDeny");
  });

  it("matches an assumed-role session by its role ARN or its own session ARN", () => {
    assert.equal(evaluatePolicies([trust({ AWS: `arn:aws:iam::${ACCOUNT}:role/builder` })], assume(role), { principalCheck: true }), "Allow");
    assert.equal(evaluatePolicies([trust({ AWS: role.arn })], assume(role), { principalCheck: true }), "Allow");
    assert.equal(evaluatePolicies([trust({ AWS: `arn:aws:iam::${ACCOUNT}:role/other` })], assume(role), { principalCheck: true }), "ImplicitDeny");
  });

  it("NotPrincipal applies to everyone not listed", () => {
    const doc = { Statement: { Effect: "Deny", NotPrincipal: { AWS: alice.arn }, Action: "*" } } as PolicyDocument;
    const both: PolicyDocument[] = [trust("*"), doc];
    assert.equal(evaluatePolicies(both, assume(), { principalCheck: true }), "Allow");
    assert.equal(evaluatePolicies(both, assume(role), { principalCheck: true }), "ExplicitDeny");
  });

  it("matches a Federated principal by the request's aws:FederatedProvider", () => {
    const provider = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.example.com`;
    const doc = trust({ Federated: provider });
    const withProvider = req("sts:AssumeRoleWithWebIdentity", "r", { context: { "aws:FederatedProvider": provider } });
    const ok = { ...withProvider, action: "sts:AssumeRole" };
    assert.equal(evaluatePolicies([doc], ok, { principalCheck: true }), "Allow");
    assert.equal(evaluatePolicies([doc], assume(), { principalCheck: true }), "ImplicitDeny");
  });

  it("does not check Principal for identity policies", () => {
    const doc: PolicyDocument = {
      Statement: { Effect: "Allow", Principal: { AWS: "arn:aws:iam::999999999999:root" }, Action: "sts:AssumeRole", Resource: "*" },
    };
    assert.equal(evaluatePolicies([doc], assume()), "Allow");
  });
});

describe("evaluatePolicies: revocation (AWSRevokeOlderSessions)", () => {
  const revoke: PolicyDocument = {
    Version: "2012-10-17",
    Statement: { Effect: "Deny", Action: "*", Resource: "*", Condition: { DateLessThan: { "aws:TokenIssueTime": "2026-11-29T12:00:00Z" } } },
  };
  it("denies tokens issued before the watermark and not after", () => {
    const role = roleCaller("r", "s");
    const at = (t: string) => req("kms:Decrypt", KEY, { caller: role, context: { "aws:TokenIssueTime": t } });
    assert.equal(evaluatePolicies([allow("*"), revoke], at("2026-11-29T11:59:59Z")), "ExplicitDeny");
    assert.equal(evaluatePolicies([allow("*"), revoke], at("2026-11-29T12:00:01Z")), "Allow");
    // Long-term credentials have no aws:TokenIssueTime, so the Deny doesn't apply.
    assert.equal(evaluatePolicies([allow("*"), revoke], req("kms:Decrypt")), "Allow");
  });
});
