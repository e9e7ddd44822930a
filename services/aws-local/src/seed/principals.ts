// A seed's trust and key policies must name principals that exist, as CreateRole and CreateKey would
// have required (iam/principal-directory.ts). Checked after the whole seed is read, so a policy may
// name a user or role defined later in the file, or in another of its accounts.
import { describeInvalidPrincipal, invalidPrincipals, type InvalidPrincipal, type PrincipalDirectory } from "../iam/principal-directory.js";
import type { Seed, SeedAccount } from "./schema.js";

function accountsOf(seed: Seed): readonly SeedAccount[] {
  const { accounts, ...home } = seed;
  return [home, ...accounts];
}

/** The accounts, users, roles and identity providers of a validated seed. */
export function seedPrincipalDirectory(seed: Seed): PrincipalDirectory {
  const accounts = new Set<string>();
  const userArns = new Set<string>();
  const roleArns = new Set<string>();
  const roleNames = new Set<string>();
  const oidcArns = new Set<string>();
  const samlArns = new Set<string>();
  for (const account of accountsOf(seed)) {
    const acct = account.account_id;
    accounts.add(acct);
    for (const u of account.users) userArns.add(`arn:aws:iam::${acct}:user${u.path}${u.name}`);
    for (const r of account.roles) {
      roleArns.add(`arn:aws:iam::${acct}:role${r.path}${r.name}`);
      // Role names are unique per account whatever their case, as in IAM.
      roleNames.add(`${acct}/${r.name.toLowerCase()}`);
    }
    // The ARNs sts/oidc-provider.ts and sts/saml-provider.ts give these providers.
    for (const p of account.oidc_providers) oidcArns.add(`arn:aws:iam::${acct}:oidc-provider/${p.url.slice("https://".length)}`);
    for (const p of account.saml_providers) samlArns.add(`arn:aws:iam::${acct}:saml-provider/${p.name}`);
  }
  return {
    hasAccount: (id) => accounts.has(id),
    hasUserArn: (arn) => userArns.has(arn),
    hasRoleArn: (arn) => roleArns.has(arn),
    hasRoleName: (acct, name) => roleNames.has(`${acct}/${name.toLowerCase()}`),
    hasOidcProviderArn: (arn) => oidcArns.has(arn),
    hasSamlProviderArn: (arn) => samlArns.has(arn),
  };
}

const FIX: Readonly<Record<InvalidPrincipal["kind"], string>> = {
  AWS: 'name an account, user or role defined in this seed, or "*"',
  Federated: "name an oidc_providers or saml_providers entry of this seed by its ARN",
  Service: "name an AWS service principal such as ec2.amazonaws.com",
};

/** One line per invalid principal, each naming the seed path of its policy. */
export function seedPrincipalProblems(seed: Seed): readonly string[] {
  const directory = seedPrincipalDirectory(seed);
  const lines: string[] = [];
  accountsOf(seed).forEach((account, n) => {
    const at = n === 0 ? "" : `accounts.${n - 1}.`;
    account.roles.forEach((r, i) => {
      for (const p of invalidPrincipals(r.trust_policy, directory)) {
        lines.push(`  ${at}roles.${i}.trust_policy (role "${r.name}"): ${describeInvalidPrincipal(p)}; ${FIX[p.kind]}`);
      }
    });
    account.kms_keys.forEach((k, i) => {
      if (k.policy === undefined) return;
      for (const p of invalidPrincipals(k.policy, directory)) {
        lines.push(`  ${at}kms_keys.${i}.policy (key ${k.id}): Policy contains a statement with one or more invalid principals: ${JSON.stringify(p.value)} (${p.where}: ${p.why}); ${FIX[p.kind]}`);
      }
    });
  });
  return lines;
}
