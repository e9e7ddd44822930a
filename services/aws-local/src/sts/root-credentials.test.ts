// Root user credentials (STS API Reference): AssumeRole refuses them ("You cannot use AWS account
// root user credentials to call AssumeRole"; AccessDenied "Roles may not be assumed by root
// accounts."), and GetSessionToken / GetFederationToken sessions of the root user last at most an
// hour. aws-local's seed has no root access keys, so no signed request can be root today: these run
// the operations with a root caller directly, so the rules hold if root keys are ever seeded.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Principal } from "../core/authenticate.js";
import { createSessionStore } from "../core/sessions.js";
import { buildWorld } from "../core/world.js";
import { evaluatePolicies } from "../iam/evaluate.js";
import { validateSeed } from "../seed/load.js";
import { AwsError } from "../types.js";
import { assumeRole } from "./assume-role.js";
import { createMfaReplayGuard, type StsDeps, type StsOperation } from "./common.js";
import { QueryParams } from "./query-params.js";
import { getFederationToken, getSessionToken } from "./session-token.js";

const ACCT = "123456789012";
const NOW = Date.UTC(2026, 11, 4, 12);
// The trust policy names the account root: it would delegate to IAM for any other caller.
const seed = validateSeed({
  account_id: ACCT,
  roles: [{ name: "app", trust_policy: { Statement: [{ Effect: "Allow", Principal: { AWS: `arn:aws:iam::${ACCT}:root` }, Action: "sts:AssumeRole" }] } }],
});

function deps(): StsDeps {
  const clock = { now: () => NOW };
  return { world: buildWorld(seed), sessions: createSessionStore(clock), clock, evaluate: evaluatePolicies, mfaReplay: createMfaReplayGuard() };
}

const root: Principal = {
  identity: {
    accountId: ACCT,
    kind: "root",
    arn: `arn:aws:iam::${ACCT}:root`,
    userId: ACCT,
    principalTags: {},
    mfaPresent: false,
    accessKeyId: "AKIAROOTROOTROOTROOT",
    // The root user may do anything in its account: stand that in as an allow-all identity policy.
    identityPolicies: [{ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "*", Resource: "*" }] }],
  },
};

function run(op: StsOperation, params: Record<string, string>, d = deps()): string {
  return op({ params: new QueryParams(new URLSearchParams(params)), principal: root }, d);
}

function expiresInSeconds(xml: string): number {
  const m = /<Expiration>([^<]+)<\/Expiration>/.exec(xml);
  assert.ok(m?.[1] !== undefined, xml);
  return (Date.parse(m[1]) - NOW) / 1000;
}

describe("root user credentials", () => {
  it("AssumeRole is refused: AccessDenied 403 'Roles may not be assumed by root accounts.'", () => {
    assert.throws(
      () => run(assumeRole, { RoleArn: `arn:aws:iam::${ACCT}:role/app`, RoleSessionName: "s1" }),
      (err: unknown) => err instanceof AwsError && err.code === "AccessDenied" && err.status === 403 && err.message === "Roles may not be assumed by root accounts.",
    );
  });

  it("GetSessionToken: at most one hour (a longer duration, or the default, becomes one hour)", () => {
    assert.equal(expiresInSeconds(run(getSessionToken, {})), 3600);
    assert.equal(expiresInSeconds(run(getSessionToken, { DurationSeconds: "7200" })), 3600);
    assert.equal(expiresInSeconds(run(getSessionToken, { DurationSeconds: "900" })), 900);
  });

  it("GetFederationToken: at most one hour", () => {
    assert.equal(expiresInSeconds(run(getFederationToken, { Name: "bob" })), 3600);
    assert.equal(expiresInSeconds(run(getFederationToken, { Name: "bob", DurationSeconds: "43200" })), 3600);
  });
});
