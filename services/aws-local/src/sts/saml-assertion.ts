// Verifies a base64 SAML 2.0 Response for AssumeRoleWithSAML. Defences against the known attacks:
// no DOCTYPE (entity expansion, external entities); exactly one Assertion in the whole document,
// a direct child of the Response, and no EncryptedAssertion; the Assertion carries exactly one
// Signature, checked with xml-crypto against the provider's certificates only (never a KeyInfo
// certificate from the message); the signature must reference that very Assertion (by ID), and
// every field is then read from the signed bytes (`getSignedReferences()`), never from the
// original document, so comments, wrapped copies and unsigned siblings change nothing.
import { SignedXml } from "xml-crypto";
import { AwsError } from "../types.js";
import { tagsFromSamlAttributes, type FederatedTags } from "./federated-tags.js";
import type { SamlProvider } from "./saml-provider.js";
import { parseStrictXml } from "./strict-xml.js";

const PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
const DS_NS = "http://www.w3.org/2000/09/xmldsig#";
const SUCCESS = "urn:oasis:names:tc:SAML:2.0:status:Success";
const NAMEID_PREFIX = "urn:oasis:names:tc:SAML:2.0:nameid-format:";
export const SAML_ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role";
export const SAML_SESSION_NAME_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName";
export const SAML_SESSION_DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
export const SAML_SOURCE_IDENTITY_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SourceIdentity";
/** The audiences/recipients AWS accepts: the sign-in endpoint (global or regional) or the legacy URN. */
const AWS_AUDIENCE = /^(https:\/\/([a-z]{2}(-[a-z]+)+-\d\.)?signin\.aws\.amazon\.com\/saml|urn:amazon:webservices)$/;

export interface SamlRolePair {
  readonly roleArn: string;
  readonly providerArn: string;
}

export interface VerifiedAssertion {
  readonly issuer: string;
  readonly subject: string;
  readonly subjectType: string;
  /** The SubjectConfirmationData Recipient (the reply's Audience, the SAML:aud key). */
  readonly recipient: string;
  readonly roles: readonly SamlRolePair[];
  readonly roleSessionName: string | undefined;
  readonly sessionDurationSeconds: number | undefined;
  readonly sourceIdentity: string | undefined;
  /** The AuthnStatement's SessionNotOnOrAfter: the session may not outlast it. */
  readonly sessionNotOnOrAfterMs: number | undefined;
  /** Session tags from the PrincipalTag:<key> and TransitiveTagKeys attributes. */
  readonly tags: FederatedTags;
}

const invalid = (message: string) => new AwsError("InvalidIdentityToken", message, 400);

type El = Element;

function children(parent: El, ns: string, name: string): El[] {
  const out: El[] = [];
  for (let n = parent.firstChild; n !== null; n = n.nextSibling) {
    if (n.nodeType === 1 && (n as El).namespaceURI === ns && (n as El).localName === name) out.push(n as El);
  }
  return out;
}

function child(parent: El | undefined, ns: string, name: string): El | undefined {
  return parent === undefined ? undefined : children(parent, ns, name)[0];
}

function text(el: El | undefined): string | undefined {
  const t = el?.textContent?.trim();
  return t === undefined || t === "" ? undefined : t;
}

function time(el: El | undefined, attribute: string): number | undefined {
  const raw = el?.getAttribute(attribute);
  if (raw === null || raw === undefined || raw === "") return undefined;
  const ms = Date.parse(raw);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(raw) || Number.isNaN(ms)) throw invalid(`Invalid ${attribute} time in the SAML assertion: ${raw.slice(0, 40)}`);
  return ms;
}

/** Checks the signature and returns the Assertion element parsed from the signed bytes. */
function signedAssertion(xml: string, provider: SamlProvider): El {
  if (/<!DOCTYPE/i.test(xml)) throw invalid("The SAML response must not contain a DOCTYPE.");
  let doc: Document;
  try {
    doc = parseStrictXml(xml);
  } catch {
    throw invalid("The SAML response is not well-formed XML.");
  }
  const response = doc.documentElement;
  if (response === null || response.namespaceURI !== PROTOCOL_NS || response.localName !== "Response") {
    throw invalid("The SAML assertion must be a base64-encoded samlp:Response.");
  }
  const status = child(child(response, PROTOCOL_NS, "Status"), PROTOCOL_NS, "StatusCode")?.getAttribute("Value");
  if (status !== SUCCESS) throw invalid("The SAML response's status is not Success.");
  // SAML 2.0 Core 3.2.2: a Destination, when present, must be where the response was received (AWS's
  // sign-in endpoint); otherwise the response must be discarded. It is outside the signed Assertion,
  // so checking it only ever refuses more.
  const destination = response.getAttribute("Destination");
  if (destination !== null && destination !== "" && !AWS_AUDIENCE.test(destination)) {
    throw invalid("The SAML response's Destination is not the AWS sign-in endpoint (https://signin.aws.amazon.com/saml); the IdP must address the response to AWS.");
  }
  if (doc.getElementsByTagNameNS(ASSERTION_NS, "EncryptedAssertion").length > 0) {
    throw invalid("aws-local does not decrypt EncryptedAssertion; send a signed, unencrypted assertion.");
  }
  const everywhere = doc.getElementsByTagNameNS(ASSERTION_NS, "Assertion");
  const direct = children(response, ASSERTION_NS, "Assertion");
  if (everywhere.length !== 1 || direct.length !== 1) throw invalid("The SAML response must contain exactly one Assertion, directly inside the Response.");
  const assertion = direct[0] as El;
  const id = assertion.getAttribute("ID") ?? "";
  if (id === "") throw invalid("The Assertion has no ID.");
  const signatures = children(assertion, DS_NS, "Signature");
  if (signatures.length !== 1) throw invalid("The Assertion must carry exactly one Signature.");

  for (const cert of provider.certificates) {
    // No getCertFromKeyInfo: a certificate inside the message is never trusted.
    const sig = new SignedXml({ publicCert: cert });
    sig.loadSignature(signatures[0] as unknown as Node);
    let valid = false;
    try {
      valid = sig.checkSignature(xml);
    } catch {
      valid = false;
    }
    if (!valid) continue;
    const signed = sig.getSignedReferences();
    if (signed.length !== 1) throw invalid("The Assertion's signature must have exactly one Reference (to the Assertion).");
    let signedDoc: Document;
    try {
      signedDoc = parseStrictXml(signed[0] ?? "");
    } catch {
      throw invalid("The signed part of the SAML response is not well-formed XML.");
    }
    const root = signedDoc.documentElement;
    if (root === null || root.namespaceURI !== ASSERTION_NS || root.localName !== "Assertion" || root.getAttribute("ID") !== id) {
      throw invalid("The signature does not cover the Assertion.");
    }
    return root;
  }
  throw invalid("The SAML response's signature is not valid for the identity provider's certificate.");
}

export function verifySamlAssertion(base64: string, provider: SamlProvider, nowMs: number): VerifiedAssertion {
  const compact = base64.replace(/[\r\n\t ]/g, "");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(compact) || compact.length % 4 !== 0) throw invalid("The SAML assertion is not valid base64.");
  const assertion = signedAssertion(Buffer.from(compact, "base64").toString("utf8"), provider);

  const issuer = text(child(assertion, ASSERTION_NS, "Issuer"));
  if (issuer !== provider.issuer) throw invalid("Issuer not valid: the assertion's Issuer is not the SAML provider's entity id.");
  const subjectEl = child(assertion, ASSERTION_NS, "Subject");
  const nameId = child(subjectEl, ASSERTION_NS, "NameID");
  const subject = text(nameId);
  if (subject === undefined) throw invalid("The assertion has no Subject NameID.");
  const format = nameId?.getAttribute("Format") ?? "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified";
  const subjectType = format.startsWith(NAMEID_PREFIX) ? format.slice(NAMEID_PREFIX.length) : format;

  const confirmations = subjectEl === undefined ? [] : children(subjectEl, ASSERTION_NS, "SubjectConfirmation");
  const bearer = confirmations.find((c) => c.getAttribute("Method") === "urn:oasis:names:tc:SAML:2.0:cm:bearer");
  const data = child(bearer, ASSERTION_NS, "SubjectConfirmationData");
  const recipient = data?.getAttribute("Recipient") ?? "";
  if (!AWS_AUDIENCE.test(recipient)) throw invalid("The bearer SubjectConfirmationData Recipient must be https://signin.aws.amazon.com/saml.");

  const conditions = child(assertion, ASSERTION_NS, "Conditions");
  const audiences = (conditions === undefined ? [] : children(conditions, ASSERTION_NS, "AudienceRestriction")).flatMap((r) =>
    children(r, ASSERTION_NS, "Audience").map((a) => text(a) ?? ""),
  );
  if (!audiences.some((a) => AWS_AUDIENCE.test(a))) throw invalid("The assertion's AudienceRestriction must name https://signin.aws.amazon.com/saml.");

  const notBefore = time(conditions, "NotBefore");
  if (notBefore !== undefined && notBefore > nowMs) throw invalid("The SAML assertion is not yet valid (Conditions NotBefore is in the future).");
  const authn = child(assertion, ASSERTION_NS, "AuthnStatement");
  // NotOnOrAfter (Conditions, bearer confirmation) bounds when the assertion may be redeemed;
  // SessionNotOnOrAfter bounds the session it starts.
  const redeemBy = [time(conditions, "NotOnOrAfter"), time(data, "NotOnOrAfter")].filter((t): t is number => t !== undefined);
  if (redeemBy.length === 0) throw invalid("The assertion has no NotOnOrAfter: a bearer assertion must expire.");
  if (Math.min(...redeemBy) <= nowMs) throw new AwsError("ExpiredTokenException", "The SAML assertion has expired (NotOnOrAfter is in the past).", 400);
  const sessionEnd = time(authn, "SessionNotOnOrAfter");
  if (sessionEnd !== undefined && sessionEnd <= nowMs) throw new AwsError("ExpiredTokenException", "The SAML assertion's SessionNotOnOrAfter is in the past.", 400);

  const attributes = new Map<string, string[]>();
  for (const statement of children(assertion, ASSERTION_NS, "AttributeStatement")) {
    for (const attribute of children(statement, ASSERTION_NS, "Attribute")) {
      const name = attribute.getAttribute("Name") ?? "";
      const values = children(attribute, ASSERTION_NS, "AttributeValue").map((v) => text(v) ?? "");
      attributes.set(name, [...(attributes.get(name) ?? []), ...values]);
    }
  }
  // "This element contains one AttributeValue element" (IAM User Guide, "Configure SAML assertions for
  // the authentication response"): a second value is refused, not silently dropped.
  const single = (name: string, shortName: string): string | undefined => {
    const values = attributes.get(name);
    if (values === undefined) return undefined;
    if (values.length !== 1) throw invalid(`The assertion's ${shortName} attribute must have exactly one value; it has ${values.length}.`);
    return values[0];
  };
  const roles = (attributes.get(SAML_ROLE_ATTRIBUTE) ?? []).flatMap((value): SamlRolePair[] => {
    const [a, b, extra] = value.split(",").map((s) => s.trim());
    if (a === undefined || b === undefined || extra !== undefined) return [];
    if (a.includes(":role/") && b.includes(":saml-provider/")) return [{ roleArn: a, providerArn: b }];
    if (b.includes(":role/") && a.includes(":saml-provider/")) return [{ roleArn: b, providerArn: a }];
    return [];
  });
  const durationText = single(SAML_SESSION_DURATION_ATTRIBUTE, "SessionDuration");
  let sessionDurationSeconds: number | undefined;
  if (durationText !== undefined) {
    sessionDurationSeconds = /^\d+$/.test(durationText) ? Number(durationText) : NaN;
    if (!(sessionDurationSeconds >= 900 && sessionDurationSeconds <= 43200)) {
      throw invalid("The SessionDuration attribute must be a whole number of seconds from 900 to 43200.");
    }
  }
  const roleSessionName = single(SAML_SESSION_NAME_ATTRIBUTE, "RoleSessionName");
  const sourceIdentity = single(SAML_SOURCE_IDENTITY_ATTRIBUTE, "SourceIdentity");
  return {
    issuer,
    subject,
    subjectType,
    recipient,
    roles,
    roleSessionName,
    sessionDurationSeconds,
    sourceIdentity,
    sessionNotOnOrAfterMs: sessionEnd,
    tags: tagsFromSamlAttributes(attributes),
  };
}
