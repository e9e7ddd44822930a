// Federation fixtures: the dev seed plus an OIDC provider whose key the test generates, a SAML
// provider with a test certificate, roles that trust them, and a long-term IAM user (with an MFA
// device) that session_token / federation_token templates sign with through an AWS profile.
import { DEV_ACCOUNT_ID, DEV_SEED, type Seed } from "@credvend/aws-local";
import { makeTestIdp, type TestIdp } from "@credvend/aws-local/testing/saml";
import { onProcessExit } from "@credvend/testkit";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportJWK, generateKeyPair, type CryptoKey, type JWK } from "jose";

const ACCT = DEV_ACCOUNT_ID;
export const OIDC_ISSUER = "https://idp.credvend.test";
export const OIDC_CLIENT_ID = "credvend-web";
export const OIDC_KID = "credvend-test-key-1";
export const WEB_ROLE_ARN = `arn:aws:iam::${ACCT}:role/web-reader`;
export const SAML_ISSUER = "https://idp.credvend.test/saml";
export const SAML_PROVIDER_ARN = `arn:aws:iam::${ACCT}:saml-provider/corp-idp`;
export const SAML_ROLE_ARN = `arn:aws:iam::${ACCT}:role/saml-reader`;

/** A long-term IAM user only the worker holds (TEST-ONLY key and TOTP seed). */
export const LEGACY_USER = "legacy-batch";
export const LEGACY_ACCESS_KEY_ID = "AKIATESTLEGACYBATCH1";
export const LEGACY_SECRET = "test-only-legacy-batch-secret-key-000000";
export const LEGACY_MFA_SERIAL = `arn:aws:iam::${ACCT}:mfa/${LEGACY_USER}`;
export const LEGACY_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPTESTONLY";

export interface OidcKey {
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
}

export async function makeOidcKey(): Promise<OidcKey> {
  const pair = await generateKeyPair("RS256");
  return { privateKey: pair.privateKey, publicJwk: { ...(await exportJWK(pair.publicKey)), kid: OIDC_KID, alg: "RS256", use: "sig" } };
}

export { makeTestIdp, type TestIdp };

const readPolicy = (bucket: string) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow" as const, Action: ["s3:GetObject"], Resource: [`arn:aws:s3:::${bucket}/*`] }],
});

export function federationSeed(oidc: OidcKey, idp: TestIdp): Seed {
  const webTrust = {
    Version: "2012-10-17",
    Statement: [{
      Effect: "Allow" as const,
      Principal: { Federated: `arn:aws:iam::${ACCT}:oidc-provider/idp.credvend.test` },
      Action: "sts:AssumeRoleWithWebIdentity",
      Condition: { StringEquals: { "idp.credvend.test:aud": OIDC_CLIENT_ID } },
    }],
  };
  const samlTrust = {
    Version: "2012-10-17",
    Statement: [{
      Effect: "Allow" as const,
      Principal: { Federated: SAML_PROVIDER_ARN },
      Action: "sts:AssumeRoleWithSAML",
      Condition: { StringEquals: { "SAML:aud": "https://signin.aws.amazon.com/saml" } },
    }],
  };
  const input = {
    ...DEV_SEED,
    users: [
      ...DEV_SEED.users,
      {
        name: LEGACY_USER,
        access_keys: [{ access_key_id: LEGACY_ACCESS_KEY_ID, secret_access_key: LEGACY_SECRET }],
        mfa_devices: [{ serial: LEGACY_MFA_SERIAL, totp_secret: LEGACY_TOTP_SECRET }],
        policies: [{
          name: "federate",
          document: {
            Version: "2012-10-17",
            Statement: [
              { Effect: "Allow", Action: ["sts:GetFederationToken", "sts:TagSession"], Resource: "*" },
              { Effect: "Allow", Action: ["s3:GetObject", "s3:ListBucket"], Resource: "*" },
            ],
          },
        }],
      },
    ],
    roles: [
      ...DEV_SEED.roles,
      { name: "web-reader", trust_policy: webTrust, policies: [{ name: "read", document: readPolicy("credvend-web") }] },
      { name: "saml-reader", max_session_duration: 7200, trust_policy: samlTrust, policies: [{ name: "read", document: readPolicy("credvend-saml") }] },
    ],
    oidc_providers: [{ url: OIDC_ISSUER, client_ids: [OIDC_CLIENT_ID], jwks: { keys: [oidc.publicJwk] } }],
    saml_providers: [{ name: "corp-idp", certificate: idp.certificatePem, issuer: SAML_ISSUER }],
  };
  return input as unknown as Seed;
}

/**
 * An AWS shared credentials file holding the legacy user's key under its profile name. The worker
 * runs in this test process, and the SDK reads AWS_SHARED_CREDENTIALS_FILE as it would in
 * production (the worker's own settings never see the key).
 */
export function useLegacyProfile(): void {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-profile-"));
  // The SDK may read the file at any time until the process ends.
  onProcessExit(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "credentials");
  writeFileSync(file, `[${LEGACY_USER}]\naws_access_key_id = ${LEGACY_ACCESS_KEY_ID}\naws_secret_access_key = ${LEGACY_SECRET}\n`, { mode: 0o600 });
  process.env.AWS_SHARED_CREDENTIALS_FILE = file;
  process.env.AWS_CONFIG_FILE = path.join(dir, "config-none");
}

/** Every captured worker log line is free of each secret (tokens, assertions, codes, keys). */
export function assertNoSecrets(lines: readonly string[], secrets: readonly string[]): void {
  assert.ok(lines.length > 0, "the worker logged something at trace level");
  const text = lines.join("");
  for (const secret of secrets) {
    assert.ok(secret.length >= 6, "a secret worth looking for");
    // Codes are 6 digits: as a whole number, not inside a longer one (timestamps).
    const found = /^\d+$/.test(secret) ? new RegExp(`(?<!\\d)${secret}(?!\\d)`).test(text) : text.includes(secret);
    assert.equal(found, false, `a worker log line contains a secret (${secret.slice(0, 4)}…)`);
  }
}
