// The seeded IAM world, indexed for the lookups the request path needs (access key -> user,
// role ARN -> role, issuer -> OIDC provider). Built once at start-up from a validated Seed;
// read-only afterwards. A seed may hold several accounts: the top-level one (the "home" account,
// whose id the health route reports) and those under `accounts`. Lookups by ARN find the account
// named in the ARN; access keys are unique across the whole seed.
import type { PolicyDocument } from "../types.js";
import type { Seed, SeedAccount } from "../seed/schema.js";
import { stableUniqueId } from "./ids.js";
import { buildOidcProvider, type OidcProvider } from "../sts/oidc-provider.js";
import { buildSamlProvider, type SamlProvider } from "../sts/saml-provider.js";

export interface IamUser {
  readonly accountId: string;
  readonly name: string;
  readonly arn: string;
  readonly userId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly mfaDevices: readonly { readonly serial: string; readonly totpSecret: string }[];
  readonly policies: readonly PolicyDocument[];
  /** The permissions boundary's ARN and document, if the user has one. */
  readonly permissionsBoundary?: ManagedPolicyRef;
}

/** A managed policy named by ARN (a permissions boundary). */
export interface ManagedPolicyRef {
  readonly arn: string;
  readonly document: PolicyDocument;
}

export interface IamRole {
  readonly accountId: string;
  readonly name: string;
  readonly arn: string;
  readonly roleId: string;
  readonly trustPolicy: PolicyDocument;
  readonly maxSessionDurationSeconds: number;
  readonly tags: Readonly<Record<string, string>>;
  /** The seeded identity policies (IamPolicyStore holds the live ones, which the IAM API changes). */
  readonly policies: readonly PolicyDocument[];
  /** The same seeded policies with their names, as IAM lists a role's inline policies. */
  readonly namedPolicies: readonly { readonly name: string; readonly document: PolicyDocument }[];
  /** The permissions boundary's ARN and document, if the role has one. */
  readonly permissionsBoundary?: ManagedPolicyRef;
}

export interface IamWorld {
  /** The home (top-level) account of the seed. */
  readonly accountId: string;
  /** Every account id of the seed, home first. */
  readonly accountIds: readonly string[];
  readonly users: readonly IamUser[];
  readonly roles: readonly IamRole[];
  /** A user of `accountId` (default: the home account) by name. */
  userByName(name: string, accountId?: string): IamUser | undefined;
  /** Long-term access key -> owning user and secret. */
  longTermKey(accessKeyId: string): { readonly user: IamUser; readonly secretAccessKey: string } | undefined;
  /** Role by ARN, in the account the ARN names (the path part is ignored: roles are unique by name, as in IAM). */
  roleByArn(arn: string): IamRole | undefined;
  managedPolicy(arn: string): PolicyDocument | undefined;
  /** The OIDC providers of `accountId` whose URL is this `iss`. */
  oidcProvider(accountId: string, issuer: string): OidcProvider | undefined;
  samlProviderByArn(arn: string): SamlProvider | undefined;
}

const ROLE_ARN = /^arn:aws:iam::(\d{12}):role\/(?:.*\/)?([\w+=,.@-]+)$/;

function accountsOf(seed: Seed): readonly SeedAccount[] {
  const { accounts, ...home } = seed;
  return [home, ...accounts];
}

export function buildWorld(seed: Seed): IamWorld {
  const users: IamUser[] = [];
  const roles: IamRole[] = [];
  const usersByName = new Map<string, IamUser>();
  const rolesByName = new Map<string, IamRole>();
  const keys = new Map<string, { user: IamUser; secretAccessKey: string }>();
  const managed = new Map<string, PolicyDocument>();
  const oidc = new Map<string, OidcProvider>();
  const saml = new Map<string, SamlProvider>();
  // Managed policies first: a boundary may name one listed later, or in another account (AWS managed).
  for (const account of accountsOf(seed)) for (const p of account.managed_policies) managed.set(p.arn, p.document);
  // validateSeed has checked that every boundary names a managed policy of the seed.
  const boundary = (arn: string | undefined): { permissionsBoundary?: ManagedPolicyRef } => {
    const document = arn === undefined ? undefined : managed.get(arn);
    return arn === undefined || document === undefined ? {} : { permissionsBoundary: { arn, document } };
  };
  for (const account of accountsOf(seed)) {
    const acct = account.account_id;
    for (const u of account.users) {
      const user: IamUser = {
        accountId: acct,
        name: u.name,
        arn: `arn:aws:iam::${acct}:user${u.path}${u.name}`,
        userId: stableUniqueId("AIDA", acct, u.name),
        tags: u.tags,
        mfaDevices: u.mfa_devices.map((d) => ({ serial: d.serial, totpSecret: d.totp_secret })),
        policies: u.policies.map((p) => p.document),
        ...boundary(u.permissions_boundary),
      };
      users.push(user);
      usersByName.set(`${acct}/${u.name.toLowerCase()}`, user);
      for (const k of u.access_keys) keys.set(k.access_key_id, { user, secretAccessKey: k.secret_access_key });
    }
    for (const r of account.roles) {
      const role: IamRole = {
        accountId: acct,
        name: r.name,
        arn: `arn:aws:iam::${acct}:role${r.path}${r.name}`,
        roleId: stableUniqueId("AROA", acct, r.name),
        trustPolicy: r.trust_policy,
        maxSessionDurationSeconds: r.max_session_duration,
        tags: r.tags,
        policies: r.policies.map((p) => p.document),
        namedPolicies: r.policies.map((p) => ({ name: p.name, document: p.document })),
        ...boundary(r.permissions_boundary),
      };
      roles.push(role);
      rolesByName.set(`${acct}/${r.name.toLowerCase()}`, role);
    }
    for (const p of account.oidc_providers) {
      const provider = buildOidcProvider(acct, p);
      oidc.set(`${acct} ${provider.url}`, provider);
    }
    for (const p of account.saml_providers) {
      const provider = buildSamlProvider(acct, p);
      saml.set(provider.arn, provider);
    }
  }
  return {
    accountId: seed.account_id,
    accountIds: accountsOf(seed).map((a) => a.account_id),
    users,
    roles,
    userByName: (name, accountId = seed.account_id) => usersByName.get(`${accountId}/${name.toLowerCase()}`),
    longTermKey: (id) => keys.get(id),
    roleByArn(arn) {
      const m = ROLE_ARN.exec(arn);
      return m?.[1] === undefined || m[2] === undefined ? undefined : rolesByName.get(`${m[1]}/${m[2].toLowerCase()}`);
    },
    managedPolicy: (arn) => managed.get(arn),
    oidcProvider: (accountId, issuer) => oidc.get(`${accountId} ${issuer}`),
    samlProviderByArn: (arn) => saml.get(arn),
  };
}
