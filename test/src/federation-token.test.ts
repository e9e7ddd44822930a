// GetFederationToken end to end: signed with the template's own credential source (an IAM user's
// profile only the worker holds), the rendered policy as the session policy, a federated name
// within STS limits, and session tags.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { parseConfig, planRequest } from "@credvend/policy";
import { CredvendError } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { startHarness, type Harness } from "./support/harness.js";
import { assertNoSecrets, federationSeed, LEGACY_SECRET, LEGACY_USER, makeOidcKey, makeTestIdp, useLegacyProfile } from "./support/federation.js";

const CALLER = "demo-app";

describe("federation tokens through the worker", () => {
  let h: Harness;
  const tenant = uniqueName("fedtok");
  const lines: string[] = [];
  const secrets: string[] = [LEGACY_SECRET];
  const config = `templates:
  fed-read:
    kind: federation_token
    credential_source: { profile: ${LEGACY_USER} }
    federation_name: "{{principal}}"
    duration: { default: 900 }
    params: { team: { type: enum, values: [red, blue] } }
    tags: { team: "{{team}}" }
    policy:
      Version: "2012-10-17"
      Statement:
        - { Effect: Allow, Action: ["s3:GetObject"], Resource: ["arn:aws:s3:::credvend-fed/{{tenant}}/{{team}}/*"] }
  fed-long-name:
    kind: federation_token
    credential_source: { profile: ${LEGACY_USER} }
    federation_name: "{{tenant}}.{{principal}}.{{tenant}}"
    duration: { default: 900 }
    policy: { Version: "2012-10-17", Statement: [{ Effect: Allow, Action: "s3:ListBucket", Resource: "arn:aws:s3:::credvend-fed" }] }
access:
  - { tenants: ["${tenant}"], principals: [${CALLER}], templates: ["fed-*"] }
`;

  before(async () => {
    useLegacyProfile();
    h = await startHarness({ seed: federationSeed(await makeOidcKey(), makeTestIdp()), env: { CREDVEND_LOG_LEVEL: "trace" }, logLines: lines, config });
  });
  after(async () => {
    await h?.stop();
  });

  test("credentials whose session policy is exactly the rendered template, for a federated user named by it, with its tags", async () => {
    const requestId = uniqueRequestId();
    const creds = await h.client(tenant, CALLER, { attempts: 1 }).request({ template: "fed-read", params: { team: "blue" }, requestId });
    secrets.push(creds.secretAccessKey, creds.sessionToken);
    assert.equal(creds.arn, `arn:aws:sts::000000000000:federated-user/${CALLER}`);
    const session = await h.awsLocal.admin.session(creds.accessKeyId);
    assert.equal(session?.kind, "federation");
    assert.equal(session?.federatedUserName, CALLER);
    assert.equal(session?.issuedTo, `arn:aws:iam::000000000000:user/${LEGACY_USER}`, "signed with the template's profile, not the worker's identity");

    const parsed = parseConfig(config);
    assert.ok(parsed.ok);
    const plan = planRequest(parsed.config, { tenant, principal: CALLER, requestId, template: "fed-read", params: { team: "blue" } });
    assert.ok(plan.kind === "federation_token" && plan.policy !== undefined);
    assert.deepEqual(session?.sessionPolicy, JSON.parse(plan.policy), "the session policy is the rendered template");
    assert.deepEqual(session?.sessionPolicy?.Statement, [{ Effect: "Allow", Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::credvend-fed/${tenant}/blue/*`] }]);
    assert.equal(session?.sessionTags["team"], "blue");
    assert.equal(session?.sessionTags["credvend-tenant"], tenant);
  });

  test("a federated name longer than STS allows is shortened to a valid, distinct one", async () => {
    const creds = await h.client(tenant, CALLER, { attempts: 1 }).request({ template: "fed-long-name" });
    secrets.push(creds.secretAccessKey, creds.sessionToken);
    const name = (await h.awsLocal.admin.session(creds.accessKeyId))?.federatedUserName ?? "";
    assert.match(name, /^[\w+=,.@-]{2,32}$/);
    assert.ok(`${tenant}.${CALLER}.${tenant}`.length > 32 && name.startsWith(`${tenant}.`.slice(0, 19)));
  });

  test("a parameter outside the template's type is refused before STS", async () => {
    const before = (await h.awsLocal.admin.calls())["sts:GetFederationToken"]?.total ?? 0;
    await assert.rejects(h.client(tenant, CALLER, { attempts: 1 }).request({ template: "fed-read", params: { team: "green" } }), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_PARAM_INVALID");
    assert.equal((await h.awsLocal.admin.calls())["sts:GetFederationToken"]?.total ?? 0, before);
  });

  test("the worker's trace-level log holds neither the IAM user's key nor the issued secrets", (t) => {
    t.diagnostic(`${lines.length} log lines`);
    assertNoSecrets(lines, secrets);
  });
});
