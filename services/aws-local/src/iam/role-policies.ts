// The live inline policies of every role: the seeded ones, plus what PutRolePolicy /
// DeleteRolePolicy changed since. IAM evaluates a role session's permissions on every request, not
// at issue time, so the authenticator reads the role's current documents here for each request
// (that is what makes a deny added later, e.g. a revocation, stop sessions issued earlier).
import type { IamRole, IamWorld } from "../core/world.js";
import type { PolicyDocument } from "../types.js";

export interface RoleInlinePolicy {
  readonly name: string;
  readonly document: PolicyDocument;
  /** The document as submitted (GetRolePolicy returns it unchanged, URL-encoded). */
  readonly text: string;
}

export interface RolePolicyStore {
  /** The role's inline policy names, sorted as IAM lists them. */
  names(role: IamRole): readonly string[];
  /** Inline policy names are not distinguished by case, as every IAM name. */
  get(role: IamRole, name: string): RoleInlinePolicy | undefined;
  /** Adds or replaces (same name, any case) an inline policy. */
  put(role: IamRole, policy: RoleInlinePolicy): void;
  /** False when the role has no inline policy of that name. */
  delete(role: IamRole, name: string): boolean;
  /** The role's current documents; the same array until the role's policies change. */
  documents(role: IamRole): readonly PolicyDocument[];
  /** The role's inline policies if `replaced` were stored under its name: for size checks before a put. */
  withReplacement(role: IamRole, replaced: RoleInlinePolicy): readonly RoleInlinePolicy[];
  /** Back to the seed (admin reset). */
  reset(): void;
}

interface RoleEntry {
  /** Lower-cased name -> policy. */
  readonly byName: Map<string, RoleInlinePolicy>;
  documents: readonly PolicyDocument[];
}

const keyOf = (role: IamRole): string => `${role.accountId}/${role.name.toLowerCase()}`;

export function createRolePolicyStore(world: IamWorld): RolePolicyStore {
  const roles = new Map<string, RoleEntry>();

  function seedAll(): void {
    roles.clear();
    for (const role of world.roles) {
      const byName = new Map<string, RoleInlinePolicy>();
      for (const p of role.namedPolicies) byName.set(p.name.toLowerCase(), { name: p.name, document: p.document, text: JSON.stringify(p.document) });
      roles.set(keyOf(role), { byName, documents: role.policies });
    }
  }

  function entry(role: IamRole): RoleEntry {
    let e = roles.get(keyOf(role));
    if (e === undefined) {
      e = { byName: new Map(), documents: [] };
      roles.set(keyOf(role), e);
    }
    return e;
  }

  function changed(e: RoleEntry): void {
    e.documents = [...e.byName.values()].map((p) => p.document);
  }

  seedAll();
  return {
    names: (role) => [...entry(role).byName.values()].map((p) => p.name).sort(),
    get: (role, name) => entry(role).byName.get(name.toLowerCase()),
    put(role, policy) {
      const e = entry(role);
      e.byName.set(policy.name.toLowerCase(), policy);
      changed(e);
    },
    delete(role, name) {
      const e = entry(role);
      const found = e.byName.delete(name.toLowerCase());
      if (found) changed(e);
      return found;
    },
    documents: (role) => entry(role).documents,
    withReplacement(role, replaced) {
      const next = new Map(entry(role).byName);
      next.set(replaced.name.toLowerCase(), replaced);
      return [...next.values()];
    },
    reset: seedAll,
  };
}
