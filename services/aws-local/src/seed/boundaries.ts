// A seed's permissions boundaries must name a managed policy the entity could have been given: one
// defined in this seed's `managed_policies`, either AWS-managed (arn:aws:iam::aws:policy/…) or a
// customer managed policy of the entity's own account (IAM PutUserPermissionsBoundary /
// PutRolePermissionsBoundary answer NoSuchEntity for a policy that does not exist). Checked after the
// whole seed is read, so the policy may be listed after the user or role (or in another account, for
// AWS-managed ARNs).
import type { Seed, SeedAccount } from "./schema.js";

const ACCOUNT_OF_POLICY = /^arn:aws:iam::(\d{12}|aws):policy\//;

function accountsOf(seed: Seed): readonly SeedAccount[] {
  const { accounts, ...home } = seed;
  return [home, ...accounts];
}

/** One line per boundary that names no usable managed policy, with the seed path and the fix. */
export function seedBoundaryProblems(seed: Seed): readonly string[] {
  const defined = new Set(accountsOf(seed).flatMap((a) => a.managed_policies.map((p) => p.arn)));
  const lines: string[] = [];
  accountsOf(seed).forEach((account, n) => {
    const at = n === 0 ? "" : `accounts.${n - 1}.`;
    const check = (where: string, arn: string | undefined) => {
      if (arn === undefined) return;
      const owner = ACCOUNT_OF_POLICY.exec(arn)?.[1];
      if (owner !== "aws" && owner !== account.account_id) {
        lines.push(`  ${where}.permissions_boundary: ${arn} is another account's policy; a boundary must be an AWS managed policy or one of account ${account.account_id}`);
      } else if (!defined.has(arn)) {
        lines.push(`  ${where}.permissions_boundary: no managed policy ${arn} in this seed; add it (with its document) under managed_policies`);
      }
    };
    account.users.forEach((u, i) => check(`${at}users.${i} (user "${u.name}")`, u.permissions_boundary));
    account.roles.forEach((r, i) => check(`${at}roles.${i} (role "${r.name}")`, r.permissions_boundary));
  });
  return lines;
}
