// The seeded IAM world, indexed for the lookups the request path needs (access key -> user,
// role ARN -> role). Built once at start-up from a validated Seed; read-only afterwards.
import type { PolicyDocument } from "../types.js";
import type { Seed } from "../seed/schema.js";
import { stableUniqueId } from "./ids.js";

export interface IamUser {
  readonly name: string;
  readonly arn: string;
  readonly userId: string;
  readonly tags: Readonly<Record<string, string>>;
  readonly mfaDevices: readonly { readonly serial: string; readonly totpSecret: string }[];
  readonly policies: readonly PolicyDocument[];
}

export interface IamRole {
  readonly name: string;
  readonly arn: string;
  readonly roleId: string;
  readonly trustPolicy: PolicyDocument;
  readonly maxSessionDurationSeconds: number;
  readonly tags: Readonly<Record<string, string>>;
  readonly policies: readonly PolicyDocument[];
}

export interface IamWorld {
  readonly accountId: string;
  readonly users: readonly IamUser[];
  readonly roles: readonly IamRole[];
  userByName(name: string): IamUser | undefined;
  /** Long-term access key -> owning user and secret. */
  longTermKey(accessKeyId: string): { readonly user: IamUser; readonly secretAccessKey: string } | undefined;
  /** Role by ARN (the path part is ignored: roles are unique by name, as in IAM). */
  roleByArn(arn: string): IamRole | undefined;
  managedPolicy(arn: string): PolicyDocument | undefined;
}

export function buildWorld(seed: Seed): IamWorld {
  const acct = seed.account_id;
  const users = seed.users.map(
    (u): IamUser => ({
      name: u.name,
      arn: `arn:aws:iam::${acct}:user${u.path}${u.name}`,
      userId: stableUniqueId("AIDA", acct, u.name),
      tags: u.tags,
      mfaDevices: u.mfa_devices.map((d) => ({ serial: d.serial, totpSecret: d.totp_secret })),
      policies: u.policies.map((p) => p.document),
    }),
  );
  const roles = seed.roles.map(
    (r): IamRole => ({
      name: r.name,
      arn: `arn:aws:iam::${acct}:role${r.path}${r.name}`,
      roleId: stableUniqueId("AROA", acct, r.name),
      trustPolicy: r.trust_policy,
      maxSessionDurationSeconds: r.max_session_duration,
      tags: r.tags,
      policies: r.policies.map((p) => p.document),
    }),
  );
  const usersByName = new Map(users.map((u) => [u.name.toLowerCase(), u]));
  const rolesByName = new Map(roles.map((r) => [r.name.toLowerCase(), r]));
  const keys = new Map<string, { user: IamUser; secretAccessKey: string }>();
  seed.users.forEach((u, i) => {
    const user = users[i];
    if (user) for (const k of u.access_keys) keys.set(k.access_key_id, { user, secretAccessKey: k.secret_access_key });
  });
  const managed = new Map(seed.managed_policies.map((p) => [p.arn, p.document]));
  const roleArn = new RegExp(`^arn:aws:iam::${acct}:role/(?:.*/)?([\\w+=,.@-]+)$`);
  return {
    accountId: acct,
    users,
    roles,
    userByName: (name) => usersByName.get(name.toLowerCase()),
    longTermKey: (id) => keys.get(id),
    roleByArn(arn) {
      const m = roleArn.exec(arn);
      return m?.[1] === undefined ? undefined : rolesByName.get(m[1].toLowerCase());
    },
    managedPolicy: (arn) => managed.get(arn),
  };
}
