// `Federated` and `Service` principals of trust and key policies are checked as IAM checks them when it
// stores a policy (CreateRole / UpdateAssumeRolePolicy: MalformedPolicyDocument "Federated principals
// must be valid domain names or SAML metadata ARNs" for a malformed one, "Invalid principal in policy:
// \"SERVICE\":\"…\"" for a service name IAM does not know) and as KMS CreateKey checks a key policy
// ("Policy contains a statement with one or more invalid principals."). The same rule as for `AWS`
// principals (iam/principal-directory.ts): a seed naming a provider that does not exist fails to load.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { validateSeed } from "./seed/load.js";
import type { SeedInput } from "./seed/schema.js";
import { kmsClient, sdkError, startQuiet } from "./testing/harness.js";
import { seedProblem } from "./testing/seed.js";
import { makeTestIdp } from "./testing/saml.js";

const HOME = "123456789012";
const OTHER = "222222222222";
const ADMIN = { accessKeyId: "AKIAPROVIDERADMIN001", secretAccessKey: "test-only-provider-admin-secret-00000" };
const OIDC_ARN = `arn:aws:iam::${HOME}:oidc-provider/idp.example.invalid/realm`;
const SAML_ARN = `arn:aws:iam::${HOME}:saml-provider/corp`;

type Principal = { readonly Federated: string | readonly string[] } | { readonly Service: string | readonly string[] };

const trust = (principal: Principal) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: principal, Action: ["sts:AssumeRole", "sts:AssumeRoleWithWebIdentity", "sts:AssumeRoleWithSAML"] }],
});

const idp = makeTestIdp();

function seedTrusting(principal: Principal): SeedInput {
  return {
    account_id: HOME,
    users: [
      {
        name: "admin",
        access_keys: [{ access_key_id: ADMIN.accessKeyId, secret_access_key: ADMIN.secretAccessKey }],
        policies: [{ name: "kms", document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] } }],
      },
    ],
    roles: [{ name: "app", trust_policy: trust(principal) }],
    oidc_providers: [{ url: "https://idp.example.invalid/realm", client_ids: ["app"], jwks: { keys: [{ kty: "RSA", kid: "k1", n: "AQAB", e: "AQAB" }] } }],
    saml_providers: [{ name: "corp", certificate: idp.certificatePem, issuer: "https://idp.example.invalid/saml" }],
    accounts: [{ account_id: OTHER }],
  };
}

describe("seed trust policies: Federated principals", () => {
  it("accepts the seed's own OIDC and SAML providers and the built-in web identity providers", () => {
    for (const federated of [OIDC_ARN, SAML_ARN, "cognito-identity.amazonaws.com", "accounts.google.com", "graph.facebook.com", "www.amazon.com"]) {
      assert.doesNotThrow(() => validateSeed(seedTrusting({ Federated: federated }), "test seed"), federated);
    }
  });

  it("refuses a provider ARN that names no seeded provider, and says which", () => {
    const cases: readonly [string, RegExp][] = [
      [`arn:aws:iam::${HOME}:oidc-provider/other.example.invalid`, /no OIDC provider has this ARN/],
      [`arn:aws:iam::${HOME}:saml-provider/ghost`, /no SAML provider has this ARN/],
      // The provider belongs to its account: the same name in another account is not it.
      [`arn:aws:iam::${OTHER}:saml-provider/corp`, /no SAML provider has this ARN/],
      ["arn:aws:iam::999999999999:saml-provider/corp", /account 999999999999 does not exist/],
    ];
    for (const [federated, why] of cases) {
      const message = seedProblem(seedTrusting({ Federated: federated }));
      assert.match(message, /roles\.0\.trust_policy \(role "app"\): Invalid principal in policy: "Federated":/, federated);
      assert.ok(message.includes(JSON.stringify(federated)), `${federated}: ${message}`);
      assert.match(message, why, federated);
    }
  });

  it("refuses a malformed Federated value, a wildcard, or an arbitrary domain, with IAM's sentence", () => {
    for (const federated of ["*", `arn:aws:iam::${HOME}:oidc-provider/*`, `arn:aws:iam//${HOME}:oidc-provider/idp.example.invalid/realm`, "idp.example.invalid", `arn:aws:iam::${HOME}:role/app`, ""]) {
      const message = seedProblem(seedTrusting({ Federated: federated }));
      assert.match(message, /Federated principals must be valid domain names or SAML metadata ARNs/, federated);
    }
  });

  it("checks every value of a list", () => {
    assert.match(seedProblem(seedTrusting({ Federated: [OIDC_ARN, `arn:aws:iam::${HOME}:saml-provider/ghost`] })), /saml-provider\/ghost/);
  });
});

describe("seed trust policies: Service principals", () => {
  it("accepts service principal names (global and regional)", () => {
    for (const service of ["ec2.amazonaws.com", "lambda.amazonaws.com", "states.us-east-1.amazonaws.com", ["ecs-tasks.amazonaws.com", "ops.apigateway.amazonaws.com"]]) {
      assert.doesNotThrow(() => validateSeed(seedTrusting({ Service: service }), "test seed"), String(service));
    }
  });

  it("refuses a wildcard, a name that is no AWS service principal, or another partition's, as \"SERVICE\"", () => {
    for (const service of ["*", "*.amazonaws.com", "ec2", "ec2.amazonaws.co", "EC2.amazonaws.com", "eks.amazonaws.com.cn", "ec2.amazonaws.com ", `arn:aws:iam::${HOME}:role/app`]) {
      const message = seedProblem(seedTrusting({ Service: service }));
      assert.match(message, /Invalid principal in policy: "SERVICE":/, service);
      assert.ok(message.includes(JSON.stringify(service)), `${service}: ${message}`);
    }
  });
});

describe("KMS CreateKey: Federated and Service principals of a key policy", () => {
  let local: Awaited<ReturnType<typeof startQuiet>>;
  before(async () => {
    local = await startQuiet({ seed: seedTrusting({ Service: "ec2.amazonaws.com" }) });
  });
  after(async () => local.stop());

  const keyPolicy = (principal: Principal) => ({
    Version: "2012-10-17",
    Statement: [
      { Sid: "Admin", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${HOME}:user/admin` }, Action: "kms:*", Resource: "*" },
      { Sid: "Use", Effect: "Allow", Principal: principal, Action: "kms:Decrypt", Resource: "*" },
    ],
  });
  const createKey = (principal: Principal) => kmsClient(local, ADMIN).send(new CreateKeyCommand({ Policy: JSON.stringify(keyPolicy(principal)) }));

  for (const principal of [{ Service: "*" }, { Service: "not-a-service" }, { Federated: `arn:aws:iam::${HOME}:saml-provider/ghost` }] as const) {
    it(`MalformedPolicyDocumentException for ${JSON.stringify(principal)}`, async () => {
      const error = await sdkError(() => createKey(principal));
      assert.equal(error.name, "MalformedPolicyDocumentException");
      assert.equal(error.$metadata?.httpStatusCode, 400);
      assert.ok(error.message.startsWith("Policy contains a statement with one or more invalid principals."), error.message);
    });
  }

  it("accepts a service principal and the seed's SAML provider", async () => {
    for (const principal of [{ Service: "logs.us-east-1.amazonaws.com" }, { Federated: SAML_ARN }]) {
      const out = await createKey(principal);
      assert.match(out.KeyMetadata?.KeyId ?? "", /^[0-9a-f-]{36}$/, JSON.stringify(principal));
    }
  });
});
