// CallerIdentity values for unit tests of the policy engine and KMS (not used at run time).

import type { CallerIdentity, PolicyDocument } from "../types.js";
import type { PrincipalDirectory } from "./principal-directory.js";

export const ACCOUNT = "000000000000";

export function userCaller(name: string, extra: Partial<CallerIdentity> = {}): CallerIdentity {
  return {
    accountId: ACCOUNT,
    kind: "user",
    arn: `arn:aws:iam::${ACCOUNT}:user/${name}`,
    userId: `AIDA${name.toUpperCase().replace(/[^A-Z]/g, "").padEnd(17, "X").slice(0, 17)}`,
    userName: name,
    principalTags: {},
    mfaPresent: false,
    accessKeyId: "AKIAEXAMPLEEXAMPLE01",
    identityPolicies: [],
    ...extra,
  };
}

export function roleCaller(role: string, session: string, extra: Partial<CallerIdentity> = {}): CallerIdentity {
  return {
    accountId: ACCOUNT,
    kind: "assumed-role",
    arn: `arn:aws:sts::${ACCOUNT}:assumed-role/${role}/${session}`,
    userId: `AROAEXAMPLEROLEID0001:${session}`,
    roleName: role,
    roleArn: `arn:aws:iam::${ACCOUNT}:role/${role}`,
    principalTags: {},
    mfaPresent: false,
    accessKeyId: "ASIAEXAMPLEEXAMPLE01",
    identityPolicies: [],
    ...extra,
  };
}

export function allow(action: string | readonly string[], resource: string | readonly string[] = "*", extra: object = {}): PolicyDocument {
  return { Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: action, Resource: resource, ...extra }] };
}

/** A directory in which every user, role and identity provider of ACCOUNT exists (the fixtures make callers up freely). */
export const FIXTURE_PRINCIPALS: PrincipalDirectory = {
  hasAccount: (id) => id === ACCOUNT,
  hasUserArn: (arn) => arn.startsWith(`arn:aws:iam::${ACCOUNT}:user/`),
  hasRoleArn: (arn) => arn.startsWith(`arn:aws:iam::${ACCOUNT}:role/`),
  hasRoleName: (acct) => acct === ACCOUNT,
  hasOidcProviderArn: (arn) => arn.startsWith(`arn:aws:iam::${ACCOUNT}:oidc-provider/`),
  hasSamlProviderArn: (arn) => arn.startsWith(`arn:aws:iam::${ACCOUNT}:saml-provider/`),
};
