import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CallerIdentity, PolicyDocument, PolicyRequest, PolicyStatement } from "../types.js";
import { evaluatePolicies } from "./evaluate.js";
import { ACCOUNT, roleCaller, userCaller } from "./fixture-callers.js";

const alice = userCaller("alice", { principalTags: { Team: "blue" } });

/** Allow kms:Decrypt under one Condition block; returns whether the request is allowed. */
function holds(condition: NonNullable<PolicyStatement["Condition"]>, context: PolicyRequest["context"] = {}, caller: CallerIdentity = alice): boolean {
  const doc: PolicyDocument = { Version: "2012-10-17", Statement: { Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: condition } };
  return evaluatePolicies([doc], { action: "kms:Decrypt", resource: "k", caller, context }) === "Allow";
}

describe("conditions: string operators", () => {
  it("StringEquals is case-sensitive and ORs its values", () => {
    assert.equal(holds({ StringEquals: { "x:k": ["a", "b"] } }, { "x:k": "b" }), true);
    assert.equal(holds({ StringEquals: { "x:k": "a" } }, { "x:k": "A" }), false);
    assert.equal(holds({ StringEquals: { "x:k": "a" } }), false);
  });

  it("matches condition key names case-insensitively", () => {
    assert.equal(holds({ StringEquals: { "X:K": "a" } }, { "x:k": "a" }), true);
    assert.equal(holds({ stringequals: { "x:k": "a" } }, { "X:k": "a" }), true);
  });

  it("StringNotEquals holds when no value matches, and when the key is missing", () => {
    assert.equal(holds({ StringNotEquals: { "x:k": ["a", "b"] } }, { "x:k": "c" }), true);
    assert.equal(holds({ StringNotEquals: { "x:k": ["a", "b"] } }, { "x:k": "a" }), false);
    assert.equal(holds({ StringNotEquals: { "x:k": "a" } }), true);
  });

  it("StringEqualsIgnoreCase / StringNotEqualsIgnoreCase", () => {
    assert.equal(holds({ StringEqualsIgnoreCase: { "x:k": "ABC" } }, { "x:k": "abc" }), true);
    assert.equal(holds({ StringNotEqualsIgnoreCase: { "x:k": "ABC" } }, { "x:k": "abc" }), false);
  });

  it("StringLike / StringNotLike use * and ? wildcards", () => {
    assert.equal(holds({ StringLike: { "x:k": "team-*" } }, { "x:k": "team-blue" }), true);
    assert.equal(holds({ StringLike: { "x:k": "team-?" } }, { "x:k": "team-bb" }), false);
    assert.equal(holds({ StringNotLike: { "x:k": "team-*" } }, { "x:k": "ops" }), true);
    assert.equal(holds({ StringLike: { "x:k": "a.c" } }, { "x:k": "abc" }), false);
  });

  it("multiple keys and operators must all hold", () => {
    const both = { StringEquals: { "x:a": "1", "x:b": "2" }, StringLike: { "x:c": "z*" } };
    assert.equal(holds(both, { "x:a": "1", "x:b": "2", "x:c": "zz" }), true);
    assert.equal(holds(both, { "x:a": "1", "x:b": "3", "x:c": "zz" }), false);
    assert.equal(holds(both, { "x:a": "1", "x:b": "2", "x:c": "y" }), false);
  });
});

describe("conditions: IfExists and Null", () => {
  it("IfExists holds when the key is missing and checks it when present", () => {
    assert.equal(holds({ StringEqualsIfExists: { "x:k": "a" } }), true);
    assert.equal(holds({ StringEqualsIfExists: { "x:k": "a" } }, { "x:k": "b" }), false);
    assert.equal(holds({ BoolIfExists: { "aws:MultiFactorAuthPresent": "false" } }), true);
  });

  it("Null tests presence", () => {
    assert.equal(holds({ Null: { "x:k": "true" } }), true);
    assert.equal(holds({ Null: { "x:k": "true" } }, { "x:k": "v" }), false);
    assert.equal(holds({ Null: { "x:k": "false" } }, { "x:k": "v" }), true);
    assert.equal(holds({ Null: { "x:k": false } }), false);
  });

  it("treats an undefined context value as absent", () => {
    assert.equal(holds({ Null: { "x:k": "true" } }, { "x:k": undefined }), true);
  });
});

describe("conditions: numeric, date, bool, ARN", () => {
  it("Numeric operators compare numbers, not strings", () => {
    assert.equal(holds({ NumericLessThan: { "x:n": "10" } }, { "x:n": "9" }), true);
    assert.equal(holds({ NumericLessThan: { "x:n": "10" } }, { "x:n": "10" }), false);
    assert.equal(holds({ NumericLessThanEquals: { "x:n": 10 } }, { "x:n": "10" }), true);
    assert.equal(holds({ NumericGreaterThan: { "x:n": "9" } }, { "x:n": "10" }), true);
    assert.equal(holds({ NumericGreaterThanEquals: { "x:n": "10" } }, { "x:n": "9" }), false);
    assert.equal(holds({ NumericEquals: { "x:n": "3" } }, { "x:n": "3.0" }), true);
    assert.equal(holds({ NumericNotEquals: { "x:n": "3" } }, { "x:n": "4" }), true);
    assert.equal(holds({ NumericEquals: { "x:n": "3" } }, { "x:n": "three" }), false);
  });

  it("Date operators accept ISO-8601 and epoch seconds", () => {
    assert.equal(holds({ DateLessThan: { "x:t": "2026-11-29T12:00:00Z" } }, { "x:t": "2026-11-29T11:00:00Z" }), true);
    assert.equal(holds({ DateGreaterThan: { "x:t": "2026-11-29T12:00:00Z" } }, { "x:t": "2026-11-29T11:00:00Z" }), false);
    assert.equal(holds({ DateGreaterThanEquals: { "x:t": "1700000000" } }, { "x:t": "2026-01-01T00:00:00Z" }), true);
    assert.equal(holds({ DateEquals: { "x:t": "2026-11-29T12:00:00.000Z" } }, { "x:t": "2026-11-29T12:00:00Z" }), true);
    assert.equal(holds({ DateLessThan: { "x:t": "not a date" } }, { "x:t": "2026-11-29T11:00:00Z" }), false);
  });

  it("Bool compares true/false case-insensitively, booleans or strings", () => {
    assert.equal(holds({ Bool: { "x:b": "true" } }, { "x:b": true }), true);
    assert.equal(holds({ Bool: { "x:b": true } }, { "x:b": "TRUE" }), true);
    assert.equal(holds({ Bool: { "x:b": "true" } }, { "x:b": false }), false);
  });

  it("aws:MultiFactorAuthPresent exists for temporary credentials only", () => {
    const mfaRole = roleCaller("r", "s", { mfaPresent: true });
    assert.equal(holds({ Bool: { "aws:MultiFactorAuthPresent": "true" } }, {}, mfaRole), true);
    assert.equal(holds({ Bool: { "aws:MultiFactorAuthPresent": "true" } }, {}, roleCaller("r", "s")), false);
    assert.equal(holds({ Null: { "aws:MultiFactorAuthPresent": "true" } }, {}, alice), true);
  });

  it("ArnLike / ArnEquals match each ARN part on its own", () => {
    const arn = `arn:aws:iam::${ACCOUNT}:role/path/builder`;
    assert.equal(holds({ ArnLike: { "aws:PrincipalArn": `arn:aws:iam::*:role/*` } }, {}, roleCaller("builder", "s")), true);
    assert.equal(holds({ ArnEquals: { "x:a": arn } }, { "x:a": arn }), true);
    assert.equal(holds({ ArnLike: { "x:a": "arn:aws:iam::*:user/*" } }, { "x:a": arn }), false);
    // `*` in the account part can't swallow the colons of other parts.
    assert.equal(holds({ ArnLike: { "x:a": "arn:aws:*:role/*" } }, { "x:a": arn }), false);
    assert.equal(holds({ ArnNotLike: { "x:a": "arn:aws:iam::*:user/*" } }, { "x:a": arn }), true);
    assert.equal(holds({ ArnLike: { "x:a": "arn:aws:s3:::bucket/a:b*" } }, { "x:a": "arn:aws:s3:::bucket/a:bc" }), true);
  });

  it("IpAddress / NotIpAddress match CIDR blocks (IPv4 and IPv6, a bare address is one host); junk never matches", () => {
    const ip = (v: string) => ({ "aws:SourceIp": v });
    assert.equal(holds({ IpAddress: { "aws:SourceIp": ["10.0.0.0/8", "192.0.2.1"] } }, ip("10.1.2.3")), true);
    assert.equal(holds({ IpAddress: { "aws:SourceIp": "192.0.2.1" } }, ip("192.0.2.1")), true);
    assert.equal(holds({ IpAddress: { "aws:SourceIp": "192.0.2.1" } }, ip("192.0.2.2")), false);
    assert.equal(holds({ IpAddress: { "aws:SourceIp": "2001:db8::/32" } }, ip("2001:db8:0:1::5")), true);
    assert.equal(holds({ IpAddress: { "aws:SourceIp": "2001:db8::/32" } }, ip("10.1.2.3")), false);
    assert.equal(holds({ IpAddress: { "aws:SourceIp": "10.0.0.0/33" } }, ip("10.1.2.3")), false);
    assert.equal(holds({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }, ip("not-an-ip")), false);
    assert.equal(holds({ NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } }, ip("192.0.2.1")), true);
    assert.equal(holds({ NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } }, ip("10.9.9.9")), false);
    // A missing key: the positive operator fails, the negated one holds (as for every Not… operator).
    assert.equal(holds({ IpAddress: { "aws:SourceIp": "10.0.0.0/8" } }), false);
    assert.equal(holds({ NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" } }), true);
  });

  it("an unknown operator never holds", () => {
    assert.equal(holds({ StringSortOf: { "x:k": "a" } }, { "x:k": "a" }), false);
  });
});

describe("conditions: set qualifiers on multi-valued keys", () => {
  const keys = (...k: string[]) => ({ "kms:EncryptionContextKeys": k });

  it("ForAnyValue needs one member to match; an absent key fails", () => {
    const c = { "ForAnyValue:StringEquals": { "kms:EncryptionContextKeys": ["credvend:tenant"] } };
    assert.equal(holds(c, keys("x", "credvend:tenant")), true);
    assert.equal(holds(c, keys("x")), false);
    assert.equal(holds(c, {}), false);
  });

  it("ForAllValues needs every member to match; an absent or empty key passes", () => {
    const c = { "ForAllValues:StringLike": { "kms:EncryptionContextKeys": ["credvend:*"] } };
    assert.equal(holds(c, keys("credvend:tenant", "credvend:principal")), true);
    assert.equal(holds(c, keys("credvend:tenant", "other")), false);
    assert.equal(holds(c, keys()), true);
    assert.equal(holds(c, {}), true);
  });

  it("ForAllValues with a negated operator: no member may be listed", () => {
    const c = { "ForAllValues:StringNotEquals": { "x:tags": ["secret"] } };
    assert.equal(holds(c, { "x:tags": ["a", "b"] }), true);
    assert.equal(holds(c, { "x:tags": ["a", "secret"] }), false);
  });
});

describe("conditions: policy variables", () => {
  it("resolves ${aws:username}, ${aws:userid}, ${aws:PrincipalAccount} and principal tags", () => {
    assert.equal(holds({ StringEquals: { "x:p": "${aws:username}" } }, { "x:p": "alice" }), true);
    assert.equal(holds({ StringEquals: { "x:p": "${aws:username}" } }, { "x:p": "bob" }), false);
    assert.equal(holds({ StringEquals: { "x:p": "${aws:userid}" } }, { "x:p": alice.userId }), true);
    assert.equal(holds({ StringEquals: { "x:p": "acct-${aws:PrincipalAccount}" } }, { "x:p": `acct-${ACCOUNT}` }), true);
    assert.equal(holds({ StringEquals: { "x:p": "${aws:PrincipalTag/team}" } }, { "x:p": "blue" }), true);
  });

  it("makes a comparison with an unresolvable variable fail, also for negated operators", () => {
    const role = roleCaller("r", "s");
    assert.equal(holds({ StringEquals: { "x:p": "${aws:username}" } }, { "x:p": "" }, role), false);
    assert.equal(holds({ StringNotEquals: { "x:p": "${aws:username}" } }, { "x:p": "x" }, role), false);
    assert.equal(holds({ StringEquals: { "x:p": ["${aws:username}", "fallback"] } }, { "x:p": "fallback" }, role), true);
  });

  it("keeps variable values literal inside StringLike", () => {
    const star = userCaller("*");
    assert.equal(holds({ StringLike: { "x:p": "home/${aws:username}" } }, { "x:p": "home/bob" }, star), false);
    assert.equal(holds({ StringLike: { "x:p": "home/${aws:username}/*" } }, { "x:p": "home/*/x" }, star), true);
  });

  it("reads request-context keys as variables too (kms:CallerAccount, multi-valued keys excluded)", () => {
    assert.equal(holds({ StringEquals: { "x:p": "${kms:CallerAccount}" } }, { "x:p": ACCOUNT, "kms:CallerAccount": ACCOUNT }), true);
    assert.equal(holds({ StringEquals: { "x:p": "${x:list}" } }, { "x:p": "a", "x:list": ["a"] }), false);
  });

  it("exposes aws:PrincipalArn as the role ARN for sessions, and aws:PrincipalType", () => {
    const role = roleCaller("builder", "s", { sourceIdentity: "jdoe" });
    assert.equal(holds({ StringEquals: { "aws:PrincipalArn": `arn:aws:iam::${ACCOUNT}:role/builder` } }, {}, role), true);
    assert.equal(holds({ StringEquals: { "aws:PrincipalType": "AssumedRole", "aws:SourceIdentity": "jdoe" } }, {}, role), true);
    assert.equal(holds({ StringEquals: { "aws:PrincipalType": "User", "aws:PrincipalArn": alice.arn } }), true);
  });
});
