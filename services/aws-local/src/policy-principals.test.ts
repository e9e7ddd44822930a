// Principals named in trust and key policies must exist, as IAM (CreateRole: MalformedPolicyDocument
// "Invalid principal in policy") and KMS (CreateKey: MalformedPolicyDocumentException "Policy contains
// a statement with one or more invalid principals.") require. In a seed that is a load error naming
// the entry; through KMS CreateKey it is AWS's error, seen by the unmodified SDK.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { validateSeed } from "./seed/load.js";
import type { SeedInput } from "./seed/schema.js";
import { kmsClient, sdkError, startQuiet } from "./testing/harness.js";
import { seedProblem } from "./testing/seed.js";

const HOME = "123456789012";
const OTHER = "222222222222";
const ADMIN = { accessKeyId: "AKIAPRINCIPALADMIN01", secretAccessKey: "test-only-principal-admin-secret-000000" };

const trust = (aws: string | readonly string[]) => ({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { AWS: aws }, Action: "sts:AssumeRole" }],
});

const keyPolicy = (aws: string | readonly string[]) => ({
  Version: "2012-10-17",
  Statement: [
    { Sid: "Admin", Effect: "Allow", Principal: { AWS: `arn:aws:iam::${HOME}:user/admin` }, Action: "kms:*", Resource: "*" },
    { Sid: "Use", Effect: "Allow", Principal: { AWS: aws }, Action: "kms:Decrypt", Resource: "*" },
  ],
});

/** A seed whose role `app` trusts `aws`; user admin (path /ops/ when `userPath`), role later, account OTHER. */
function seedTrusting(aws: string | readonly string[], userPath = "/"): SeedInput {
  return {
    account_id: HOME,
    users: [
      {
        name: "admin",
        path: userPath,
        access_keys: [{ access_key_id: ADMIN.accessKeyId, secret_access_key: ADMIN.secretAccessKey }],
        policies: [{ name: "kms", document: { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: "kms:*", Resource: "*" }] } }],
      },
    ],
    // `app` names `later`, defined after it: principals resolve once the whole seed is read.
    roles: [
      { name: "app", trust_policy: trust(aws) },
      { name: "later", path: "/apps/", trust_policy: trust(HOME) },
    ],
    accounts: [{ account_id: OTHER, roles: [{ name: "remote", trust_policy: trust(`arn:aws:iam::${HOME}:root`) }] }],
  };
}

describe("seed trust policies name principals that exist", () => {
  it("accepts \"*\", seeded accounts (id or root), users, roles defined later, other accounts' roles, session ARNs", () => {
    for (const aws of [
      "*",
      HOME,
      `arn:aws:iam::${OTHER}:root`,
      `arn:aws:iam::${HOME}:user/admin`,
      `arn:aws:iam::${HOME}:role/apps/later`,
      `arn:aws:iam::${OTHER}:role/remote`,
      `arn:aws:sts::${HOME}:assumed-role/later/any-session`,
      `arn:aws:sts::${HOME}:federated-user/anyone`,
    ]) {
      assert.doesNotThrow(() => validateSeed(seedTrusting(aws), "test seed"), aws);
    }
  });

  it("refuses a user, role, account or session role that does not exist, naming the entry and the fix", () => {
    const cases: readonly [string, RegExp][] = [
      [`arn:aws:iam::${HOME}:user/ghost`, /no IAM user has exactly this ARN/],
      [`arn:aws:iam::${HOME}:role/ghost`, /no IAM role has exactly this ARN/],
      // The role's path is part of its ARN.
      [`arn:aws:iam::${HOME}:role/later`, /no IAM role has exactly this ARN \(path included\)/],
      ["999999999999", /account 999999999999 does not exist/],
      ["arn:aws:iam::999999999999:root", /account 999999999999 does not exist/],
      [`arn:aws:sts::${HOME}:assumed-role/ghost/s1`, /the session's role ghost does not exist/],
      [`arn:aws:iam::${HOME}:group/admins`, /not an AWS principal/],
      ["AIDAEXAMPLEUNIQUEID1", /not an AWS principal/],
    ];
    for (const [aws, why] of cases) {
      const message = seedProblem(seedTrusting(aws));
      assert.match(message, /^test seed is invalid:\n {2}roles\.0\.trust_policy \(role "app"\): Invalid principal in policy: "AWS":/, aws);
      assert.ok(message.includes(JSON.stringify(aws)), `${aws}: ${message}`);
      assert.match(message, why, aws);
      assert.match(message, /name an account, user or role defined in this seed/, aws);
    }
    // A user's path is part of its ARN too.
    assert.match(seedProblem(seedTrusting(`arn:aws:iam::${HOME}:user/admin`, "/ops/")), /no IAM user has exactly this ARN/);
  });

  it("refuses partial wildcards in AWS principals (only \"*\" on its own)", () => {
    for (const aws of [`arn:aws:iam::${HOME}:role/*`, `arn:aws:iam::${HOME}:user/adm?n`, "arn:aws:iam::*:root", "12345678901*"]) {
      assert.match(seedProblem(seedTrusting(aws)), /a wildcard may only be the whole principal/, aws);
    }
  });

  it("checks every value of a list, NotPrincipal too, and another account's policies", () => {
    const message = seedProblem(seedTrusting([HOME, `arn:aws:iam::${HOME}:user/ghost`]));
    assert.match(message, /Statement\[0\]\.Principal: no IAM user/);
    const notPrincipal = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Deny", NotPrincipal: { AWS: `arn:aws:iam::${HOME}:user/ghost` }, Action: "sts:AssumeRole" }],
    };
    const seed = { ...seedTrusting(HOME), accounts: [{ account_id: OTHER, roles: [{ name: "remote", trust_policy: notPrincipal }] }] };
    assert.match(seedProblem(seed), /accounts\.0\.roles\.0\.trust_policy \(role "remote"\): Invalid principal in policy: .*Statement\[0\]\.NotPrincipal/);
  });
});

describe("seed key policies name principals that exist", () => {
  const KEY_ID = "11111111-2222-4333-8444-555555555555";
  const withKey = (aws: string): SeedInput => ({ ...seedTrusting(HOME), kms_keys: [{ id: KEY_ID, policy: keyPolicy(aws) }] });

  it("accepts existing principals and refuses a missing one with KMS's sentence and the entry", () => {
    assert.doesNotThrow(() => validateSeed(withKey(`arn:aws:iam::${OTHER}:role/remote`), "test seed"));
    const message = seedProblem(withKey(`arn:aws:iam::${OTHER}:role/ghost`));
    assert.match(message, new RegExp(`kms_keys\\.0\\.policy \\(key ${KEY_ID}\\): Policy contains a statement with one or more invalid principals`));
    assert.match(message, /Statement\[1\]\.Principal: no IAM role has exactly this ARN/);
  });
});

describe("KMS CreateKey refuses a key policy naming a principal that does not exist", () => {
  let local: Awaited<ReturnType<typeof startQuiet>>;
  before(async () => {
    local = await startQuiet({ seed: seedTrusting(HOME) });
  });
  after(async () => local.stop());

  const createKey = (aws: string) => kmsClient(local, ADMIN).send(new CreateKeyCommand({ Policy: JSON.stringify(keyPolicy(aws)) }));

  for (const [aws, why] of [
    [`arn:aws:iam::${HOME}:user/ghost`, /no IAM user/],
    [`arn:aws:iam::${HOME}:role/*`, /wildcard/],
    ["arn:aws:iam::999999999999:root", /account 999999999999 does not exist/],
  ] as const) {
    it(`MalformedPolicyDocumentException for ${aws}`, async () => {
      const error = await sdkError(() => createKey(aws));
      assert.equal(error.name, "MalformedPolicyDocumentException");
      assert.equal(error.$metadata?.httpStatusCode, 400);
      assert.ok(error.message.startsWith("Policy contains a statement with one or more invalid principals."), error.message);
      assert.match(error.message, why);
    });
  }

  it("a policy naming existing principals (another seeded account's role, a session ARN, \"*\") is accepted", async () => {
    for (const aws of [`arn:aws:iam::${OTHER}:role/remote`, `arn:aws:sts::${HOME}:assumed-role/app/s`, "*"]) {
      const out = await createKey(aws);
      assert.match(out.KeyMetadata?.KeyId ?? "", /^[0-9a-f-]{36}$/, aws);
    }
  });
});
