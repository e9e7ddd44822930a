// Session tags of the two federation calls come from the identity provider, not the request: the
// JWT claim `https://aws.amazon.com/tags` ({principal_tags: {key: [value]}, transitive_tag_keys})
// or the SAML attributes `…/PrincipalTag:<key>` and `…/TransitiveTagKeys`. They are checked as
// Tags of AssumeRole are (count, characters, aws: prefix, duplicates, packed size), and need
// sts:TagSession in the trust policy.
import { AwsError, type PolicyRequest } from "../types.js";
import { checkSessionInputs, MAX_SESSION_TAGS, type RawSessionInputs, type SessionInputs } from "./session-inputs.js";
import { TAG_KEY_PATTERN, TAG_VALUE_PATTERN } from "./validation.js";

export interface FederatedTags {
  readonly tags: readonly (readonly [string, string])[];
  readonly transitiveTagKeys: readonly string[];
}

export const NO_FEDERATED_TAGS: FederatedTags = { tags: [], transitiveTagKeys: [] };

const invalid = (message: string) => new AwsError("InvalidIdentityToken", message, 400);

/** Checks the provider's tags and returns the session inputs with them (packed size included). */
export function withFederatedTags(raw: RawSessionInputs, federated: FederatedTags, source: string): SessionInputs {
  if (federated.tags.length > MAX_SESSION_TAGS) throw invalid(`The ${source} carries ${federated.tags.length} session tags; at most ${MAX_SESSION_TAGS} are allowed.`);
  const seen = new Set<string>();
  for (const [key, value] of federated.tags) {
    const lower = key.toLowerCase();
    if (lower.startsWith("aws:")) throw invalid(`The ${source}'s session tag key '${key}' begins with the reserved prefix aws:.`);
    if (seen.has(lower)) throw invalid(`The ${source} repeats the session tag key '${key}' (tag keys are case insensitive).`);
    seen.add(lower);
    if (key.length < 1 || key.length > 128 || !TAG_KEY_PATTERN.test(key)) throw invalid(`The ${source} has a session tag key that is not 1-128 characters of [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@].`);
    if (value.length > 256 || !TAG_VALUE_PATTERN.test(value)) throw invalid(`The ${source}'s session tag '${key}' has a value that is not 0-256 characters of [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@].`);
  }
  for (const key of federated.transitiveTagKeys) {
    if (!seen.has(key.toLowerCase())) throw invalid(`The ${source}'s transitive tag key '${key}' is not one of its session tags.`);
  }
  return checkSessionInputs({ ...raw, tags: federated.tags, transitiveTagKeys: federated.transitiveTagKeys });
}

/** The request keys tags add to the trust evaluation (aws:RequestTag/*, aws:TagKeys, sts:TransitiveTagKeys). */
export function tagContext(inputs: SessionInputs): PolicyRequest["context"] {
  if (inputs.tags.length === 0) return {};
  return {
    "aws:TagKeys": inputs.tags.map(([k]) => k),
    "sts:TransitiveTagKeys": inputs.transitiveTagKeys.length > 0 ? inputs.transitiveTagKeys : undefined,
    ...Object.fromEntries(inputs.tags.map(([k, v]) => [`aws:RequestTag/${k}`, v])),
  };
}

/** The tags of a session: transitive ones carry on into a role chain. */
export function transitiveTagsOf(inputs: SessionInputs): Record<string, string> {
  const keys = new Set(inputs.transitiveTagKeys.map((k) => k.toLowerCase()));
  return Object.fromEntries(inputs.tags.filter(([k]) => keys.has(k.toLowerCase())));
}

/** Reads the JWT claim; a malformed claim is InvalidIdentityToken. */
export function tagsFromJwtClaim(claim: unknown): FederatedTags {
  if (claim === undefined) return NO_FEDERATED_TAGS;
  const bad = () => invalid('The token\'s https://aws.amazon.com/tags claim must be {"principal_tags": {"key": ["value"]}, "transitive_tag_keys": ["key"]}.');
  if (typeof claim !== "object" || claim === null || Array.isArray(claim)) throw bad();
  const { principal_tags: principalTags, transitive_tag_keys: transitive } = claim as Record<string, unknown>;
  const tags: [string, string][] = [];
  if (principalTags !== undefined) {
    if (typeof principalTags !== "object" || principalTags === null || Array.isArray(principalTags)) throw bad();
    for (const [key, values] of Object.entries(principalTags as Record<string, unknown>)) {
      const value = Array.isArray(values) && values.length === 1 && typeof values[0] === "string" ? values[0] : typeof values === "string" ? values : undefined;
      if (value === undefined) throw bad();
      tags.push([key, value]);
    }
  }
  if (transitive !== undefined && !(Array.isArray(transitive) && transitive.every((k) => typeof k === "string"))) throw bad();
  return { tags, transitiveTagKeys: (transitive as string[] | undefined) ?? [] };
}

export const SAML_PRINCIPAL_TAG_PREFIX = "https://aws.amazon.com/SAML/Attributes/PrincipalTag:";
export const SAML_TRANSITIVE_TAG_KEYS = "https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys";

/** Reads the SAML attributes (each PrincipalTag attribute carries one value). */
export function tagsFromSamlAttributes(attributes: ReadonlyMap<string, readonly string[]>): FederatedTags {
  const tags: [string, string][] = [];
  for (const [name, values] of attributes) {
    if (!name.startsWith(SAML_PRINCIPAL_TAG_PREFIX)) continue;
    if (values.length !== 1) throw invalid(`The SAML attribute ${name} must have exactly one value.`);
    tags.push([name.slice(SAML_PRINCIPAL_TAG_PREFIX.length), values[0] ?? ""]);
  }
  return { tags, transitiveTagKeys: attributes.get(SAML_TRANSITIVE_TAG_KEYS) ?? [] };
}
