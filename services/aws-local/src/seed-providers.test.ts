// Seed validation of the identity providers and extra accounts: each mistake is refused at start
// with the path and a reason, before any request.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { buildWorld } from "./core/world.js";
import { validateSeed } from "./seed/load.js";
import { makeTestIdp } from "./testing/saml.js";

const ACCT = "123456789012";
const oidc = (extra: Record<string, unknown>) => ({ account_id: ACCT, oidc_providers: [{ url: "https://idp.example.invalid", client_ids: ["app"], ...extra }] });

describe("seed: oidc_providers, saml_providers, accounts", () => {
  it("refuses an OIDC provider without keys, with both key sources, or with a non-loopback jwks_uri", () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [oidc({}), /exactly one of jwks \(inline\) or jwks_uri/],
      [oidc({ jwks: { keys: [{ kty: "RSA" }] }, jwks_uri: "file:///tmp/x.json" }), /exactly one of jwks/],
      [oidc({ jwks_uri: "https://idp.example.invalid/jwks" }), /oidc_providers\.0\.jwks_uri: must be file:\/\/\/path or an http:\/\/ URL on 127\.0\.0\.1/],
      [oidc({ jwks_uri: "http://127.0.0.1.evil.invalid/jwks" }), /jwks_uri/],
      [{ account_id: ACCT, oidc_providers: [{ url: "http://idp.example.invalid", client_ids: ["a"], jwks: { keys: [{}] } }] }, /must be the issuer URL, https:/],
      [{ account_id: ACCT, oidc_providers: [{ url: "https://idp.example.invalid", client_ids: [], jwks: { keys: [{}] } }] }, /at least one client id/],
    ];
    for (const [seed, message] of cases) assert.throws(() => validateSeed(seed), message, JSON.stringify(seed));
  });

  it("refuses a SAML provider without a certificate source, a certificate without issuer, or bad metadata", () => {
    const idp = makeTestIdp();
    const saml = (p: Record<string, unknown>) => ({ account_id: ACCT, saml_providers: [{ name: "corp", ...p }] });
    assert.throws(() => validateSeed(saml({})), /exactly one of metadata_xml or certificate/);
    assert.throws(() => validateSeed(saml({ certificate: idp.certificatePem })), /also give issuer/);
    const build = (p: Record<string, unknown>) => buildWorld(validateSeed(saml(p)));
    assert.throws(() => build({ metadata_xml: "<not-xml" }), /not well-formed XML/);
    assert.throws(() => build({ metadata_xml: '<!DOCTYPE x><x/>' }), /DOCTYPE/);
    assert.throws(() => build({ metadata_xml: '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="e"/>' }), /no IDPSSODescriptor signing certificate/);
    assert.throws(() => build({ certificate: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----", issuer: "e" }), /not a valid X\.509 certificate/);
    assert.equal(build({ certificate: idp.certificatePem, issuer: "https://e.invalid" }).samlProviderByArn(`arn:aws:iam::${ACCT}:saml-provider/corp`)?.issuer, "https://e.invalid");
  });

  it("accounts: unique ids and keys across the seed, names unique per account; lookups by ARN find the account", () => {
    const key = (id: string) => ({ access_key_id: id, secret_access_key: "test-only-secret-key-00000000" });
    assert.throws(() => validateSeed({ account_id: ACCT, accounts: [{ account_id: ACCT }] }), /duplicates account_id/);
    assert.throws(
      () => validateSeed({ account_id: ACCT, users: [{ name: "a", access_keys: [key("AKIAAAAAAAAAAAAAAAA1")] }], accounts: [{ account_id: "222222222222", users: [{ name: "b", access_keys: [key("AKIAAAAAAAAAAAAAAAA1")] }] }] }),
      /accounts\.0\.users\.0\.access_keys\.0\.access_key_id "AKIAAAAAAAAAAAAAAAA1": duplicates/,
    );
    const trust = { Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { AWS: "*" }, Action: "sts:AssumeRole" }] };
    const world = buildWorld(validateSeed({ account_id: ACCT, roles: [{ name: "r", trust_policy: trust }], accounts: [{ account_id: "222222222222", roles: [{ name: "r", trust_policy: trust }] }] }));
    assert.equal(world.roleByArn("arn:aws:iam::222222222222:role/r")?.accountId, "222222222222");
    assert.equal(world.roleByArn(`arn:aws:iam::${ACCT}:role/r`)?.accountId, ACCT);
    assert.equal(world.roleByArn("arn:aws:iam::333333333333:role/r"), undefined);
    assert.deepEqual(world.accountIds, [ACCT, "222222222222"]);
  });
});
