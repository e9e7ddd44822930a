// Edge cases of IAM policy evaluation where a looser reading would grant, hang or misparse.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { CallerIdentity, PolicyDocument, PolicyRequest, PolicyStatement } from "../types.js";
import { evaluatePolicies } from "./evaluate.js";
import { ACCOUNT, roleCaller, userCaller } from "./fixture-callers.js";
import { partsMatch, wildcardMatch } from "./wildcard.js";

const alice = userCaller("alice");
const role = roleCaller("builder", "job-1");
const root: CallerIdentity = userCaller("root", { kind: "root", arn: `arn:aws:iam::${ACCOUNT}:root`, userId: ACCOUNT });
const KEY = `arn:aws:kms:eu-west-1:${ACCOUNT}:key/k1`;

function decide(statements: PolicyStatement[], caller: CallerIdentity = alice, context: PolicyRequest["context"] = {}, principalCheck = false) {
  const doc: PolicyDocument = { Version: "2012-10-17", Statement: statements };
  return evaluatePolicies([doc], { action: "kms:Decrypt", resource: KEY, caller, context }, { principalCheck });
}

function holds(condition: NonNullable<PolicyStatement["Condition"]>, context: PolicyRequest["context"]): boolean {
  return decide([{ Effect: "Allow", Action: "kms:Decrypt", Resource: "*", Condition: condition }], alice, context) === "Allow";
}

describe("Effect", () => {
  it("only Effect \"Allow\" allows: a misspelt effect grants nothing", () => {
    const bad = { Effect: "allow", Action: "*", Resource: "*" } as unknown as PolicyStatement;
    assert.equal(decide([bad]), "ImplicitDeny");
    const odd = { Effect: "Permit", Action: "*", Resource: "*" } as unknown as PolicyStatement;
    assert.equal(decide([odd]), "ImplicitDeny");
  });
});

describe("NotPrincipal with Deny", () => {
  const allowAll: PolicyStatement = { Effect: "Allow", Principal: "*", Action: "kms:*", Resource: "*" };
  const denyAllBut = (aws: string | string[]): PolicyStatement => ({ Effect: "Deny", NotPrincipal: { AWS: aws }, Action: "kms:*", Resource: "*" });

  it("naming only the account exempts the account itself, not its users and roles", () => {
    for (const account of [ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`]) {
      assert.equal(decide([allowAll, denyAllBut(account)], alice, {}, true), "ExplicitDeny", account);
      assert.equal(decide([allowAll, denyAllBut(account)], role, {}, true), "ExplicitDeny", account);
      assert.equal(decide([allowAll, denyAllBut(account)], root, {}, true), "Allow", account);
    }
  });

  it("still exempts a principal named by its own ARN (with or without its account)", () => {
    assert.equal(decide([allowAll, denyAllBut([alice.arn, `arn:aws:iam::${ACCOUNT}:root`])], alice, {}, true), "Allow");
    assert.equal(decide([allowAll, denyAllBut(`arn:aws:iam::${ACCOUNT}:role/builder`)], role, {}, true), "Allow");
    assert.equal(decide([allowAll, denyAllBut(alice.arn)], role, {}, true), "ExplicitDeny");
  });

  it("never exempts a principal with a permissions boundary (IAM User Guide, permissions boundaries)", () => {
    const bounded = userCaller("alice", { permissionsBoundary: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] } });
    assert.equal(decide([allowAll, denyAllBut(alice.arn)], bounded, {}, true), "ExplicitDeny");
    // An Allow with NotPrincipal is unaffected by that rule.
    const allowAllBut: PolicyStatement = { Effect: "Allow", NotPrincipal: { AWS: role.arn }, Action: "kms:*", Resource: "*" };
    assert.equal(decide([allowAllBut], bounded, {}, true), "Allow");
  });
});

describe("NotResource with an unresolvable variable", () => {
  it("does not turn into \"every resource\" for callers without aws:username", () => {
    const stmt: PolicyStatement = { Effect: "Allow", Action: "kms:Decrypt", NotResource: `arn:aws:kms:*:${ACCOUNT}:key/\${aws:username}` };
    assert.equal(decide([stmt], role), "ImplicitDeny");
    // With a user name it works as written: every key but the one named like the user.
    assert.equal(decide([stmt], alice), "Allow");
    assert.equal(decide([stmt], userCaller("k1")), "ImplicitDeny");
  });
});

describe("numeric and date parsing of junk", () => {
  it("Numeric operators accept decimal numbers only (no hex, exponent, blanks or empty)", () => {
    assert.equal(holds({ NumericEquals: { "x:n": "16" } }, { "x:n": "0x10" }), false);
    assert.equal(holds({ NumericLessThan: { "x:n": "10" } }, { "x:n": "0b1" }), false);
    assert.equal(holds({ NumericEquals: { "x:n": "100" } }, { "x:n": "1e2" }), false);
    assert.equal(holds({ NumericEquals: { "x:n": "10" } }, { "x:n": " 10 " }), false);
    assert.equal(holds({ NumericEquals: { "x:n": "0x10" } }, { "x:n": "16" }), false);
    // Decimals, signs and fractions still work.
    assert.equal(holds({ NumericEquals: { "x:n": "-1.50" } }, { "x:n": "-1.5" }), true);
    assert.equal(holds({ NumericLessThan: { "x:n": "10" } }, { "x:n": "+9" }), true);
  });

  it("Date operators accept ISO-8601 or epoch seconds, not whatever Date.parse guesses", () => {
    assert.equal(holds({ DateLessThan: { "x:t": "2030-01-01T00:00:00Z" } }, { "x:t": "March 7" }), false);
    assert.equal(holds({ DateLessThan: { "x:t": "2030-01-01T00:00:00Z" } }, { "x:t": "Tue, 01 Jan 2030" }), false);
    assert.equal(holds({ DateGreaterThan: { "x:t": "1 2 3" } }, { "x:t": "2026-01-01T00:00:00Z" }), false);
  });

  it("reads an ISO-8601 time without a zone as UTC, whatever the host time zone", () => {
    assert.equal(holds({ DateEquals: { "x:t": "2026-11-29T12:00:00" } }, { "x:t": "2026-11-29T12:00:00Z" }), true);
    assert.equal(holds({ DateEquals: { "x:t": "2026-11-29T13:00:00+01:00" } }, { "x:t": "2026-11-29T12:00:00Z" }), true);
    assert.equal(holds({ DateEquals: { "x:t": "2026-11-29" } }, { "x:t": "2026-11-29T00:00:00Z" }), true);
  });
});

describe("wildcard matching cost", () => {
  it("matches many-star patterns in linear-ish time (no regex backtracking blow-up)", () => {
    const pattern = "*a".repeat(12) + "b";
    const value = "a".repeat(5000);
    const started = Date.now();
    assert.equal(wildcardMatch(pattern, value, false), false);
    assert.equal(partsMatch([{ text: pattern, literal: false }, { text: "x", literal: true }], value, false), false);
    assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
  });

  it("keeps wildcard semantics: * any run, ? one character, literals literal, case rules", () => {
    assert.equal(wildcardMatch("a*b?c", "aXXbYc", false), true);
    assert.equal(wildcardMatch("a*b?c", "abc", false), false);
    assert.equal(wildcardMatch("a.(b)[c]*", "a.(b)[c]zz", false), true);
    assert.equal(wildcardMatch("a.b*", "axb", false), false);
    assert.equal(wildcardMatch("KMS:Gen*", "kms:GenerateDataKey", true), true);
    assert.equal(wildcardMatch("KMS:Gen*", "kms:GenerateDataKey", false), false);
    assert.equal(wildcardMatch("a*", "a\nb", false), true);
    assert.equal(partsMatch([{ text: "x-", literal: false }, { text: "*?", literal: true }, { text: "*", literal: false }], "x-*?tail", false), true);
    assert.equal(partsMatch([{ text: "x-", literal: false }, { text: "*?", literal: true }], "x-ab", false), false);
  });
});
