import { test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { CredvendError, type Reason } from "@credvend/protocol";
import { planRequest } from "./plan.js";
import type { AssumeRolePlan, StsPlan } from "./plan-types.js";
import type { VendInput } from "./plan-inputs.js";
import { input, okConfig } from "./test-fixtures.js";

const CONFIG = okConfig(`
templates:
  s3-tenant:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/tenant-data
    duration: { default: 3600, max: 7200 }
    params:
      bucket: { max_length: 63 }
      customer: { max_length: 64, default: none }
    policy:
      Statement:
        - Effect: Allow
          Action: ["s3:GetObject"]
          Resource: ["arn:aws:s3:::{{bucket}}/{{tenant}}/*", "arn:aws:s3:::{{bucket}}/shared/{{customer}}/*"]
  s3-admin:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/admin
    policy: { Statement: [{ Effect: Allow, Action: "s3:ListBucket", Resource: "arn:aws:s3:::{{tenant}}-data" }] }
access:
  - name: platform-broad
    tenants: [platform]
    principals: ["*"]
    templates: ["s3-tenant"]
    params: { customer: "{{tenant}}" }
  - name: platform-for-customers
    tenants: [platform]
    principals: [backend]
    templates: [s3-tenant]
    on_behalf_of: ["cust-*"]
    params: { customer: { equals: "{{tenant}}" }, bucket: { pattern: "shared-[a-z]+" } }
    rate_limit: { per_second: 5, burst: 10 }
  - name: no-secret-bucket
    effect: deny
    tenants: ["*"]
    principals: ["*"]
    templates: ["s3-tenant"]
    params: { bucket: [secret-bucket] }
  - name: not-for-evil
    effect: deny
    tenants: [platform]
    principals: ["*"]
    templates: ["*"]
    on_behalf_of: [cust-evil]
  - name: acme-short
    tenants: [acme]
    principals: [app, "batch-?"]
    templates: [s3-tenant]
    max_duration: 900
  - name: acme-long
    tenants: [acme]
    principals: [app]
    templates: [s3-tenant]
    params: { bucket: [acme-long] }
    max_duration: 3600
  - name: ops-everything
    tenants: [ops]
    principals: [admin]
    templates: ["*"]
rate_limits:
  per_principal: { per_second: 20, burst: 40 }
  per_tenant: { per_second: 200, burst: 400 }
  per_template: { s3-tenant: { per_second: 50, burst: 50 } }
`);

function plan(overrides: Partial<VendInput> & Pick<VendInput, "template">): StsPlan {
  return planRequest(CONFIG, input(overrides));
}

function assumeRole(overrides: Partial<VendInput> & Pick<VendInput, "template">): AssumeRolePlan {
  const p = plan(overrides);
  assert.equal(p.kind, "assume_role");
  return p as AssumeRolePlan;
}

function refused(overrides: Partial<VendInput> & Pick<VendInput, "template">, reason: Reason, field?: string): void {
  assert.throws(() => plan(overrides), (e: unknown) => {
    assert.ok(e instanceof CredvendError, String(e));
    assert.equal(e.reason, reason, e.message);
    if (field !== undefined) assert.equal(e.field, field);
    return true;
  });
}

test("access: deny by default", () => {
  refused({ tenant: "nobody", template: "s3-tenant", params: { bucket: "b" } }, "CV_ERR_NOT_ENTITLED", "template");
  refused({ tenant: "acme", principal: "other", template: "s3-tenant", params: { bucket: "b" } }, "CV_ERR_NOT_ENTITLED");
  refused({ tenant: "acme", principal: "app", template: "s3-admin" }, "CV_ERR_NOT_ENTITLED");
});

function refusal(overrides: Partial<VendInput> & Pick<VendInput, "template">): CredvendError {
  try {
    plan(overrides);
  } catch (e) {
    assert.ok(e instanceof CredvendError, String(e));
    return e;
  }
  return assert.fail("expected a refusal");
}

test("access: a caller no rule entitles gets the same answer for a missing template as for a forbidden one", () => {
  // acme/app may use s3-tenant only: s3-admin exists, nope and __proto__ do not.
  const shape = (e: CredvendError, name: string) => ({ code: e.code, reason: e.reason, field: e.field, message: e.message.replace(JSON.stringify(name), "<name>") });
  const forbidden = shape(refusal({ tenant: "acme", principal: "app", template: "s3-admin" }), "s3-admin");
  assert.equal(forbidden.reason, "CV_ERR_NOT_ENTITLED");
  for (const name of ["nope", "__proto__", "s3-tenant-x"]) {
    const missing = shape(refusal({ tenant: "acme", principal: "app", template: name }), name);
    // A near name gets a hint that depends on the name alone (see the "did you mean" test).
    assert.deepEqual({ ...missing, message: missing.message.replace(/; did you mean "s3-tenant"\?$/, "") }, forbidden, name);
  }
  // Acting for another tenant: the same on-behalf refusal whether or not the template exists.
  const onBehalf = (name: string) => shape(refusal({ tenant: "platform", principal: "backend", onBehalfOf: "other", template: name }), name);
  assert.equal(onBehalf("s3-tenant").reason, "CV_ERR_ON_BEHALF_OF_DENIED");
  assert.deepEqual(onBehalf("nope"), onBehalf("s3-tenant"));
});

test("access: a caller whose rules name the template learns that it does not exist", () => {
  refused({ tenant: "ops", principal: "admin", template: "nope" }, "CV_ERR_TEMPLATE_NOT_FOUND", "template");
  refused({ tenant: "ops", principal: "admin", template: "__proto__" }, "CV_ERR_TEMPLATE_NOT_FOUND");
  // acme/app's rules name s3-tenant, so a request for it is never NOT_FOUND while it exists.
  assert.equal(assumeRole({ tenant: "acme", principal: "app", template: "s3-tenant", params: { bucket: "acme-short" } }).template, "s3-tenant");
});

test("access: a misspelt template name gets a hint naming only a template the caller may use", () => {
  const hint = (tenant: string, principal: string, template: string) => /did you mean "([^"]+)"\?$/.exec(refusal({ tenant, principal, template }).message)?.[1];
  // acme/app may use s3-tenant only: a typo of it is answered, a typo of s3-admin is not.
  assert.equal(hint("acme", "app", "s3-tenat"), "s3-tenant");
  assert.equal(refusal({ tenant: "acme", principal: "app", template: "s3-tenat" }).reason, "CV_ERR_NOT_ENTITLED");
  assert.equal(hint("acme", "app", "s3-admn"), undefined);
  // The hint is the same for an existing name the caller may not use and a missing one.
  assert.equal(hint("acme", "app", "s3-admin"), undefined);
  // ops/admin may use every template: its typo of s3-admin is answered.
  assert.equal(hint("ops", "admin", "s3-admn"), "s3-admin");
  assert.equal(refusal({ tenant: "ops", principal: "admin", template: "s3-admn" }).reason, "CV_ERR_TEMPLATE_NOT_FOUND");
  // A caller no rule names gets no hint at all.
  assert.equal(hint("nobody", "app", "s3-tenat"), undefined);
});

test("access: a later, narrower deny is not shadowed by an earlier broad allow", () => {
  assert.equal(assumeRole({ tenant: "platform", principal: "ops", template: "s3-tenant", params: { bucket: "fine", customer: "platform" } }).accessRule, "platform-broad");
  refused({ tenant: "platform", principal: "ops", template: "s3-tenant", params: { bucket: "secret-bucket", customer: "platform" } }, "CV_ERR_NOT_ENTITLED");
  refused({ tenant: "acme", principal: "app", template: "s3-tenant", params: { bucket: "secret-bucket" } }, "CV_ERR_NOT_ENTITLED");
});

test("access: bindings tie a parameter to the caller's tenant", () => {
  assumeRole({ tenant: "platform", principal: "ops", template: "s3-tenant", params: { bucket: "b", customer: "platform" } });
  refused({ tenant: "platform", principal: "ops", template: "s3-tenant", params: { bucket: "b", customer: "cust-a" } }, "CV_ERR_PARAM_NOT_ALLOWED", "params.customer");
});

test("access: allowed-values list (issue 3 form) and parameter validation order", () => {
  refused({ tenant: "acme", principal: "app", template: "s3-tenant", params: { bucket: "B A D" } }, "CV_ERR_PARAM_INVALID", "params.bucket");
  refused({ tenant: "acme", principal: "app", template: "s3-tenant", params: {} }, "CV_ERR_PARAM_MISSING", "params.bucket");
  refused({ tenant: "acme", principal: "app", template: "s3-tenant", params: { bucket: "b", extra: "x" } }, "CV_ERR_PARAM_UNKNOWN", "params.extra");
});

test("access: duration caps pick the first rule that allows the duration", () => {
  const short = assumeRole({ tenant: "acme", principal: "app", template: "s3-tenant", params: { bucket: "any" } });
  assert.equal(short.durationSeconds, 900, "default capped by acme-short");
  assert.equal(short.accessRule, "acme-short");
  refused({ tenant: "acme", principal: "app", template: "s3-tenant", params: { bucket: "any" }, durationSeconds: 3600 }, "CV_ERR_DURATION_INVALID", "duration_seconds");
  const long = assumeRole({ tenant: "acme", principal: "app", template: "s3-tenant", params: { bucket: "acme-long" }, durationSeconds: 3600 });
  assert.equal(long.accessRule, "acme-long");
  assert.equal(long.durationSeconds, 3600);
  refused({ tenant: "acme", principal: "app", template: "s3-tenant", params: { bucket: "any" }, durationSeconds: 60 }, "CV_ERR_DURATION_INVALID");
  refused({ tenant: "acme", principal: "app", template: "s3-tenant", params: { bucket: "any" }, durationSeconds: 900.5 }, "CV_ERR_DURATION_INVALID");
  assert.equal(assumeRole({ tenant: "platform", principal: "ops", template: "s3-tenant", params: { bucket: "b", customer: "platform" }, durationSeconds: 7200 }).durationSeconds, 7200);
  refused({ tenant: "platform", principal: "ops", template: "s3-tenant", params: { bucket: "b", customer: "platform" }, durationSeconds: 7201 }, "CV_ERR_DURATION_INVALID");
});

test("access: principal globs", () => {
  assumeRole({ tenant: "acme", principal: "batch-1", template: "s3-tenant", params: { bucket: "b" } });
  refused({ tenant: "acme", principal: "batch-12", template: "s3-tenant", params: { bucket: "b" } }, "CV_ERR_NOT_ENTITLED");
});

test("on_behalf_of: the customer tenant drives resources, tags and rate limits", () => {
  const p = assumeRole({ tenant: "platform", principal: "backend", template: "s3-tenant", onBehalfOf: "cust-a", params: { bucket: "shared-x", customer: "cust-a" } });
  assert.equal(p.effectiveTenant, "cust-a");
  assert.equal(p.callerTenant, "platform");
  assert.equal(p.accessRule, "platform-for-customers");
  assert.deepEqual(JSON.parse(p.policy ?? "").Statement[0].Resource, ["arn:aws:s3:::shared-x/cust-a/*", "arn:aws:s3:::shared-x/shared/cust-a/*"]);
  const tags = Object.fromEntries(p.tags.map((t) => [t.key, t.value]));
  assert.equal(tags["credvend-tenant"], "cust-a");
  assert.equal(tags["credvend-caller-tenant"], "platform");
  assert.equal(tags["credvend-principal"], "backend");
  assert.ok(p.rateLimits.every((r) => r.key.startsWith("cust-a:")), JSON.stringify(p.rateLimits));
  assert.deepEqual(p.rateLimits.map((r) => r.scope), ["principal", "tenant", "template", "rule:platform-for-customers"]);
  assert.equal(p.rateLimits[0]?.key, "cust-a:principal:platform.backend");
});

test("on_behalf_of: refused unless a rule allows that tenant", () => {
  const params = { bucket: "shared-x", customer: "cust-evil" };
  refused({ tenant: "platform", principal: "backend", template: "s3-tenant", onBehalfOf: "cust-evil", params }, "CV_ERR_NOT_ENTITLED");
  refused({ tenant: "platform", principal: "backend", template: "s3-tenant", onBehalfOf: "acme", params: { bucket: "shared-x", customer: "acme" } }, "CV_ERR_ON_BEHALF_OF_DENIED", "on_behalf_of");
  refused({ tenant: "platform", principal: "ops", template: "s3-tenant", onBehalfOf: "cust-a", params: { bucket: "shared-x", customer: "cust-a" } }, "CV_ERR_ON_BEHALF_OF_DENIED");
  refused({ tenant: "acme", principal: "app", template: "s3-tenant", onBehalfOf: "cust-a", params: { bucket: "b" } }, "CV_ERR_ON_BEHALF_OF_DENIED");
  refused({ tenant: "platform", principal: "backend", template: "s3-tenant", onBehalfOf: "Cust A", params }, "CV_ERR_REQUEST_FIELD", "on_behalf_of");
  // The binding follows the effective tenant: naming another customer is not allowed.
  refused({ tenant: "platform", principal: "backend", template: "s3-tenant", onBehalfOf: "cust-a", params: { bucket: "shared-x", customer: "cust-b" } }, "CV_ERR_PARAM_NOT_ALLOWED", "params.customer");
  // Acting for your own tenant is a direct request.
  assert.equal(assumeRole({ tenant: "platform", principal: "backend", template: "s3-tenant", onBehalfOf: "platform", params: { bucket: "b", customer: "platform" } }).effectiveTenant, "platform");
});

const tenantName = fc.stringMatching(/^[a-z0-9][a-z0-9_-]{0,20}$/);

test("isolation: tenant A's request never names tenant B's resources (property)", () => {
  const config = okConfig(`
templates:
  own:
    kind: assume_role
    role_arn: arn:aws:iam::123456789012:role/r
    params: { bucket: { max_length: 63 }, prefix: { type: s3_prefix, max_length: 100, default: data } }
    policy: { Statement: [{ Effect: Allow, Action: s3:GetObject, Resource: ["arn:aws:s3:::{{bucket}}/{{tenant}}/{{prefix}}", "arn:aws:s3:::{{bucket}}/{{tenant}}/{{prefix}}/*"] }] }
access:
  - { tenants: ["*"], principals: ["*"], templates: [own] }
`);
  fc.assert(fc.property(tenantName, fc.stringMatching(/^[a-z0-9-]{1,63}$/), fc.stringMatching(/^[a-z0-9._-]{1,20}(\/[a-z0-9._-]{1,20}){0,3}$/), (tenant, bucket, prefix) => {
    let p: StsPlan;
    try {
      p = planRequest(config, input({ tenant, template: "own", params: { bucket, prefix } }));
    } catch (e) {
      assert.ok(e instanceof CredvendError && e.reason === "CV_ERR_PARAM_INVALID", String(e));
      return;
    }
    assert.equal(p.kind, "assume_role");
    for (const resource of JSON.parse((p as AssumeRolePlan).policy ?? "").Statement[0].Resource as string[]) {
      // bucket has no '/', so the first path segment is always the caller's tenant.
      const key = resource.slice("arn:aws:s3:::".length);
      assert.equal(key.split("/")[1], tenant, resource);
      assert.ok(!key.split("/").slice(2).includes(".."));
    }
    assert.ok(p.rateLimits.every((r) => r.key.startsWith(`${tenant}:`)));
  }), { numRuns: 300 });
});

test("isolation: acting for tenant B gives B's scope only where a rule allows it (property)", () => {
  fc.assert(fc.property(tenantName, (target) => {
    const params = { bucket: "shared-x", customer: target };
    const call = () => planRequest(CONFIG, input({ tenant: "platform", principal: "backend", template: "s3-tenant", onBehalfOf: target, params }));
    const allowed = /^cust-/.test(target) && target !== "cust-evil" && target !== "platform";
    if (target === "platform") return;
    if (!allowed) {
      assert.throws(call, (e: unknown) => e instanceof CredvendError && e.code === "PERMISSION_DENIED");
      return;
    }
    const p = call() as AssumeRolePlan;
    assert.equal(p.effectiveTenant, target);
    assert.ok(JSON.parse(p.policy ?? "").Statement[0].Resource.every((r: string) => r.split("/").includes(target)));
  }), { numRuns: 300 });
});
