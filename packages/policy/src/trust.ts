// trustPolicyFor: the trust policy a template's role needs so the vendor can assume it with
// exactly the inputs credvend sends (session tags, source identity, external id, MFA).
import type { CredvendConfig } from "./schema.js";
import { hasPlaceholder, parseTemplateString } from "./placeholders.js";
import { didYouMean } from "./suggest.js";

const VENDOR_PRINCIPAL = /^arn:(?:aws|aws-cn|aws-us-gov):(?:iam::\d{12}:(?:root|role\/[\w+=,.@/-]+|user\/[\w+=,.@/-]+)|sts::\d{12}:assumed-role\/[\w+=,.@-]+\/[\w+=,.@-]+)$/;

export interface TrustPolicyOptions {
  /** The vendor's own identity, e.g. arn:aws:iam::111122223333:role/credvend-vendor. */
  vendorPrincipalArn: string;
}

export function trustPolicyFor(config: CredvendConfig, template: string, options: TrustPolicyOptions): object {
  const tpl = Object.hasOwn(config.templates, template) ? config.templates[template] : undefined;
  if (tpl === undefined) throw new RangeError(`no template is named ${JSON.stringify(template)}${didYouMean(template, Object.keys(config.templates))}`);
  if (tpl.kind !== "assume_role") {
    throw new RangeError(`template ${template} is ${tpl.kind}: only assume_role roles trust the vendor (web_identity and saml roles trust the identity provider; session_token and federation_token use no role)`);
  }
  if (!VENDOR_PRINCIPAL.test(options.vendorPrincipalArn)) {
    throw new RangeError(`${JSON.stringify(options.vendorPrincipalArn)} is not an IAM role, user or account root ARN`);
  }
  const actions = ["sts:AssumeRole", "sts:TagSession"];
  if (tpl.source_identity !== false) actions.push("sts:SetSourceIdentity");
  const condition: Record<string, Record<string, string>> = {};
  if (tpl.external_id !== undefined) {
    // A per-tenant external id (with variables) can only be matched by pattern in a trust policy.
    if (hasPlaceholder(tpl.external_id)) {
      condition.StringLike = { "sts:ExternalId": parseTemplateString(tpl.external_id).map((p) => ("text" in p ? p.text : "*")).join("") };
    } else {
      condition.StringEquals = { "sts:ExternalId": tpl.external_id };
    }
  }
  if (tpl.mfa?.required) condition.Bool = { "aws:MultiFactorAuthPresent": "true" };
  const statement: Record<string, unknown> = {
    Sid: "CredvendVendorAssumesRole",
    Effect: "Allow",
    Principal: { AWS: options.vendorPrincipalArn },
    Action: actions,
  };
  if (Object.keys(condition).length > 0) statement.Condition = condition;
  return { Version: "2012-10-17", Statement: [statement] };
}
