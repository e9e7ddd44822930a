// The inputs AssumeRole and GetFederationToken share: Policy, PolicyArns, Tags, TransitiveTagKeys.
// Syntax goes through the Validator (ValidationError); the rules that follow (duplicate keys,
// transitive keys, policy JSON, packed size) throw their own AWS errors.
import { AwsError, type PolicyDocument } from "../types.js";
import { parsePolicyJson } from "../core/policy-document.js";
import type { IamWorld } from "../core/world.js";
import { packedPolicySizePercent } from "./packed-size.js";
import type { QueryParams } from "./query-params.js";
import { ARN_PATTERN, MAX_MODELED_POLICY_CHARS, POLICY_CHARS, TAG_KEY_PATTERN, TAG_VALUE_PATTERN, validationError, type Validator } from "./validation.js";

export const MAX_SESSION_POLICY_CHARS = 2048;
export const MAX_POLICY_ARNS = 10;
export const MAX_SESSION_TAGS = 50;

export interface RawSessionInputs {
  readonly policyText: string | undefined;
  readonly policyArns: readonly string[];
  readonly tags: readonly (readonly [string, string])[];
  readonly transitiveTagKeys: readonly string[];
}

export interface SessionInputs extends RawSessionInputs {
  readonly policy: PolicyDocument | undefined;
  readonly minifiedPolicy: string | undefined;
  /** Tags as a record (keys as given). */
  readonly tagRecord: Readonly<Record<string, string>>;
  /** Present when a policy, ARNs or tags were passed (AWS omits the field otherwise). */
  readonly packedPolicySize: number | undefined;
}

/** Which of the shared inputs an operation takes (the federation calls take no Tags). */
export interface SessionInputKinds {
  readonly tags: boolean;
  readonly transitiveTagKeys: boolean;
  /**
   * Whether the model itself caps Policy at 2048 characters (sessionPolicyDocumentType: a longer one
   * is a ValidationError). AssumeRole's Policy has no such cap in the model
   * (unrestrictedSessionPolicyDocumentType): STS refuses it past 2048 as MalformedPolicyDocument.
   */
  readonly policyLengthModeled: boolean;
}
export const SESSION_INPUTS_ASSUME_ROLE: SessionInputKinds = { tags: true, transitiveTagKeys: true, policyLengthModeled: false };
export const SESSION_INPUTS_FEDERATION_TOKEN: SessionInputKinds = { tags: true, transitiveTagKeys: false, policyLengthModeled: true };
/** AssumeRoleWithWebIdentity / AssumeRoleWithSAML: session tags come from the token, not the request. */
export const SESSION_INPUTS_FEDERATED_ROLE: SessionInputKinds = { tags: false, transitiveTagKeys: false, policyLengthModeled: true };

export function readSessionInputs(p: QueryParams, v: Validator, kinds: SessionInputKinds): RawSessionInputs {
  const policyText = p.get("Policy");
  if (policyText !== undefined) {
    if (policyText.length < 1) v.fail("policy", policyText, "Member must have length greater than or equal to 1");
    else if (kinds.policyLengthModeled && policyText.length > MAX_MODELED_POLICY_CHARS) {
      v.fail("policy", policyText, `Member must have length less than or equal to ${MAX_MODELED_POLICY_CHARS}`);
    }
    if (policyText.length >= 1 && !POLICY_CHARS.test(policyText)) {
      v.fail("policy", policyText, "Member must satisfy regular expression pattern: [\\u0009\\u000A\\u000D\\u0020-\\u00FF]+");
    }
  }
  const arnEntries = p.structList("PolicyArns", ["arn"]);
  v.count("policyArns", arnEntries.length, MAX_POLICY_ARNS);
  const policyArns: string[] = [];
  arnEntries.forEach((e, i) => {
    const member = `policyArns.${i + 1}.member.arn`;
    if (v.required(member, e["arn"])) {
      v.text(member, e["arn"], 20, 2048, ARN_PATTERN);
      policyArns.push(e["arn"]);
    }
  });
  const tagEntries = kinds.tags ? p.structList("Tags", ["Key", "Value"]) : [];
  v.count("tags", tagEntries.length, MAX_SESSION_TAGS);
  const tags: [string, string][] = [];
  tagEntries.forEach((e, i) => {
    const keyMember = `tags.${i + 1}.member.key`;
    const valueMember = `tags.${i + 1}.member.value`;
    const key = e["Key"];
    const value = e["Value"];
    // Both are required members of the model's Tag shape (an empty Value is a value; none is not).
    const hasKey = v.required(keyMember, key);
    const hasValue = v.required(valueMember, value);
    if (hasKey) v.text(keyMember, key, 1, 128, TAG_KEY_PATTERN);
    if (hasValue) v.text(valueMember, value, 0, 256, TAG_VALUE_PATTERN);
    if (hasKey && hasValue) tags.push([key, value]);
  });
  const transitiveTagKeys = kinds.transitiveTagKeys ? p.list("TransitiveTagKeys") : [];
  v.count("transitiveTagKeys", transitiveTagKeys.length, MAX_SESSION_TAGS);
  transitiveTagKeys.forEach((k, i) => v.text(`transitiveTagKeys.${i + 1}.member`, k, 1, 128, TAG_KEY_PATTERN));
  return { policyText, policyArns, tags, transitiveTagKeys };
}

/** Rules beyond syntax; call after the Validator passed. */
export function checkSessionInputs(raw: RawSessionInputs): SessionInputs {
  const seen = new Set<string>();
  const tagRecord: Record<string, string> = {};
  for (const [key, value] of raw.tags) {
    const lower = key.toLowerCase();
    // The aws: prefix is reserved for AWS (IAM and STS refuse such tag keys in any letter case).
    if (lower.startsWith("aws:")) {
      throw validationError(`Tag key '${key}' begins with the reserved prefix aws:; session tag keys can not begin with aws:.`);
    }
    if (seen.has(lower)) {
      throw validationError(`Duplicate tag keys found: '${key}'. Tag keys are case insensitive; pass each key once.`);
    }
    seen.add(lower);
    tagRecord[key] = value;
  }
  for (const key of raw.transitiveTagKeys) {
    if (!seen.has(key.toLowerCase())) {
      throw validationError(`The transitive tag key '${key}' must also be passed as a session tag in Tags.`);
    }
  }
  let policy: PolicyDocument | undefined;
  let minifiedPolicy: string | undefined;
  if (raw.policyText !== undefined) {
    if (raw.policyText.length > MAX_SESSION_POLICY_CHARS) {
      throw new AwsError(
        "MalformedPolicyDocument",
        `The session policy has ${raw.policyText.length} characters; session policies are limited to ${MAX_SESSION_POLICY_CHARS}.`,
      );
    }
    // A session policy is an identity policy: parsePolicyJson applies IAM's grammar as PutRolePolicy does.
    try {
      policy = parsePolicyJson(raw.policyText, "identity");
    } catch (err) {
      throw new AwsError("MalformedPolicyDocument", `The session policy is malformed: ${(err as Error).message.replace(/\.$/, "")}.`);
    }
    minifiedPolicy = JSON.stringify(policy);
  }
  const passedAny = raw.policyText !== undefined || raw.policyArns.length > 0 || raw.tags.length > 0;
  const packedPolicySize = passedAny ? packedPolicySizePercent(minifiedPolicy, raw.policyArns, raw.tags) : undefined;
  if (packedPolicySize !== undefined && packedPolicySize > 100) {
    throw new AwsError(
      "PackedPolicyTooLarge",
      `Packed size of the session policy, policy ARNs and session tags is ${packedPolicySize}% of the allowed maximum. Pass a shorter policy, fewer ARNs or fewer/shorter tags.`,
    );
  }
  return { ...raw, policy, minifiedPolicy, tagRecord, packedPolicySize };
}

/**
 * The effective session policy: the inline policy and the managed policies named by ARN, as one
 * document (statements concatenated, which is exactly their union). ARNs unknown to the seed
 * contribute nothing. Undefined when the session is not restricted by a session policy.
 */
export function effectiveSessionPolicy(inputs: SessionInputs, world: IamWorld): PolicyDocument | undefined {
  if (inputs.policy === undefined && inputs.policyArns.length === 0) return undefined;
  const docs = [inputs.policy, ...inputs.policyArns.map((arn) => world.managedPolicy(arn))].filter(
    (d): d is PolicyDocument => d !== undefined,
  );
  const statements = docs.flatMap((d) => (Array.isArray(d.Statement) ? d.Statement : [d.Statement]));
  return { Version: "2012-10-17", Statement: statements };
}
