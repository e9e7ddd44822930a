import { readFileSync } from "node:fs";
import { parse as parseYaml } from "yaml";
import { seedBoundaryProblems } from "./boundaries.js";
import { seedPrincipalProblems } from "./principals.js";
import { seedSchema, type Seed, type SeedInput } from "./schema.js";

/** A seed that failed validation; the message lists every bad path and value. */
export class SeedError extends Error {
  override readonly name = "SeedError";
}

/** Validates a seed object (YAML already parsed, or written in code). `source` names it in errors. */
export function validateSeed(input: SeedInput | unknown, source = "seed"): Seed {
  const result = seedSchema.safeParse(input);
  if (result.success) {
    checkUniqueness(result.data, source);
    // After uniqueness: principals resolve against the whole seed, so it must be unambiguous first.
    const references = [...seedPrincipalProblems(result.data), ...seedBoundaryProblems(result.data)];
    if (references.length > 0) throw new SeedError(`${source} is invalid:\n${references.join("\n")}`);
    return result.data;
  }
  const lines = result.error.issues.map((issue) => {
    const path = issue.path.length === 0 ? "(root)" : issue.path.join(".");
    return `  ${path}: ${issue.message}${describeValue(input, issue.path)}`;
  });
  throw new SeedError(`${source} is invalid:\n${lines.join("\n")}`);
}

/** Reads and validates a YAML seed file. */
export function loadSeedFile(path: string): Seed {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    throw new SeedError(`cannot read seed file ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new SeedError(`seed file ${path} is not valid YAML: ${(err as Error).message}`);
  }
  return validateSeed(doc, path);
}

function checkUniqueness(seed: Seed, source: string): void {
  const problems: string[] = [];
  const seen = new Map<string, string>();
  const claim = (key: string, where: string) => {
    const prior = seen.get(key);
    if (prior !== undefined) problems.push(`  ${where}: duplicates ${prior}`);
    else seen.set(key, where);
  };
  const { accounts, ...home } = seed;
  [home, ...accounts].forEach((account, n) => {
    const at = n === 0 ? "" : `accounts.${n - 1}.`;
    const acct = account.account_id;
    claim(`account:${acct}`, `${at}account_id "${acct}"`);
    account.users.forEach((u, i) => {
      claim(`user:${acct}:${u.name.toLowerCase()}`, `${at}users.${i}.name "${u.name}"`);
      // Access keys and MFA serials are unique across the whole seed: a key names its account.
      u.access_keys.forEach((k, j) => claim(`key:${k.access_key_id}`, `${at}users.${i}.access_keys.${j}.access_key_id "${k.access_key_id}"`));
      u.mfa_devices.forEach((d, j) => claim(`mfa:${d.serial}`, `${at}users.${i}.mfa_devices.${j}.serial "${d.serial}"`));
    });
    account.roles.forEach((r, i) => claim(`role:${acct}:${r.name.toLowerCase()}`, `${at}roles.${i}.name "${r.name}"`));
    // One document per ARN: a second one would silently replace the first (a boundary, PolicyArns).
    account.managed_policies.forEach((p, i) => claim(`policy:${p.arn}`, `${at}managed_policies.${i}.arn "${p.arn}"`));
    account.kms_keys.forEach((k, i) => {
      claim(`kms:${k.id}`, `${at}kms_keys.${i}.id "${k.id}"`);
      k.aliases.forEach((a, j) => claim(`alias:${acct}:${a}`, `${at}kms_keys.${i}.aliases.${j} "${a}"`));
    });
    account.oidc_providers.forEach((p, i) => claim(`oidc:${acct}:${p.url}`, `${at}oidc_providers.${i}.url "${p.url}"`));
    account.saml_providers.forEach((p, i) => claim(`saml:${acct}:${p.name}`, `${at}saml_providers.${i}.name "${p.name}"`));
  });
  if (problems.length > 0) throw new SeedError(`${source} is invalid:\n${problems.join("\n")}`);
}

/** The offending value, shortened; secrets (keys, TOTP seeds) are never echoed. */
function describeValue(root: unknown, path: readonly PropertyKey[]): string {
  const last = String(path[path.length - 1] ?? "");
  if (/secret|material/i.test(last)) return "";
  let v: unknown = root;
  for (const key of path) {
    if (typeof v !== "object" || v === null) return "";
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  if (v === undefined) return " (missing)";
  const text = JSON.stringify(v) ?? String(v);
  return ` (got ${text.length > 80 ? `${text.slice(0, 80)}…` : text})`;
}
