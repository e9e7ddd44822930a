// The cheap checks of a SAML assertion, made before an STS call is spent on it. The signature is
// STS's to verify: nothing read here is trusted for anything but refusing early or shortening the
// session (which no forged value can turn into more access). Messages never quote the assertion.
import { DOMParser } from "@xmldom/xmldom";
import { CredvendError, type Reason } from "@credvend/protocol";

const PROTOCOL_NS = "urn:oasis:names:tc:SAML:2.0:protocol";
const ASSERTION_NS = "urn:oasis:names:tc:SAML:2.0:assertion";
const ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role";
const SESSION_DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration";
/** NotBefore a little in the future is the IdP's clock, not an attack; NotOnOrAfter gets no grace. */
const NOT_YET_VALID_LEEWAY_MS = 60_000;
/**
 * Line breaks are dropped before this is tested. Once the pattern allowed them both inside the
 * text and after the padding, and a 100,000-character assertion of line breaks took V8's
 * backtracking engine seconds to refuse: a worker stalled for every tenant. No two parts of this
 * one can match the same character, so it runs in linear time.
 */
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
const LINE_BREAKS = /[\r\n]+/g;
const FIELD = "federation.saml_assertion";

const refuse = (reason: Reason, message: string) => new CredvendError(reason, message, { field: FIELD });

export interface SamlCheckInput {
  readonly template: string;
  readonly assertionBase64: string;
  readonly roleArn: string;
  readonly providerArn: string;
  /**
   * What the access rule binds (its `claims`): "NameID" is the Subject's NameID, any other name an
   * Attribute's Name, which must hold exactly this one value. An assertion is a bearer credential;
   * without this, a caller could spend one issued to another tenant's user.
   */
  readonly expectedClaims?: Readonly<Record<string, string>>;
  readonly nowMs: number;
}

export interface SamlCheckResult {
  /** The most the session may last by the assertion's SessionDuration and SessionNotOnOrAfter; undefined when it says nothing. */
  readonly maxSessionSeconds?: number;
}

export function checkSamlAssertion(input: SamlCheckInput): SamlCheckResult {
  const { template, nowMs } = input;
  const malformed = (what: string) => refuse("CV_ERR_SAML_MALFORMED", `template ${template}: federation.saml_assertion ${what}; send the base64 SAMLResponse exactly as the IdP posted it`);
  if (!BASE64.test(input.assertionBase64.replace(LINE_BREAKS, ""))) throw malformed("is not base64");
  const xml = Buffer.from(input.assertionBase64, "base64").toString("utf8");
  // A DOCTYPE is how entity-expansion attacks start; STS refuses it too.
  if (/<!DOCTYPE/i.test(xml)) throw malformed("has a DOCTYPE");
  const doc = parse(xml);
  if (doc === undefined) throw malformed("is not well-formed XML");
  const root = doc.documentElement;
  if (root === null || root.localName !== "Response" || root.namespaceURI !== PROTOCOL_NS) throw malformed("is not a samlp:Response");
  const bound = Object.keys(input.expectedClaims ?? {});
  // An encrypted assertion can not be read here; STS decides alone, unless the rule binds claims,
  // which then can not be checked: refused rather than served unbound.
  if (root.getElementsByTagNameNS(ASSERTION_NS, "EncryptedAssertion").length > 0) {
    if (bound.length === 0) return {};
    throw claimMismatch(template, `the SAML assertion is encrypted, so the ${bound.join(", ")} the access rule binds can not be checked; send an unencrypted assertion (TLS protects it on the wire)`);
  }
  const assertions = root.getElementsByTagNameNS(ASSERTION_NS, "Assertion");
  // More than one is how signature wrapping hides a forged assertion beside a signed one.
  if (assertions.length !== 1) throw malformed(`has ${assertions.length} Assertion elements; exactly one is accepted`);
  const assertion = assertions.item(0) as Element;

  for (const el of [...elements(assertion, "Conditions"), ...elements(assertion, "SubjectConfirmationData")]) {
    const notBefore = timeAttribute(el, "NotBefore");
    const notOnOrAfter = timeAttribute(el, "NotOnOrAfter");
    if (Number.isNaN(notBefore) || Number.isNaN(notOnOrAfter)) throw malformed(`has an unreadable time in ${el.localName}`);
    if (notOnOrAfter !== undefined && notOnOrAfter <= nowMs) {
      throw refuse("CV_ERR_SAML_EXPIRED", `template ${template}: the SAML assertion expired (${el.localName} NotOnOrAfter has passed); sign in to the IdP again`);
    }
    if (notBefore !== undefined && notBefore > nowMs + NOT_YET_VALID_LEEWAY_MS) {
      throw refuse("CV_ERR_SAML_EXPIRED", `template ${template}: the SAML assertion is not valid yet (NotBefore is in the future); check the IdP's clock`);
    }
  }
  if (!grantsRole(attributeValues(assertion, ROLE_ATTRIBUTE), input.roleArn, input.providerArn)) {
    throw refuse("CV_ERR_SAML_ROLE_NOT_GRANTED", `template ${template}: the assertion's Role attribute does not grant ${input.roleArn} with provider ${input.providerArn}; ask the IdP's administrator to map this user to the role`);
  }
  for (const [claim, expected] of Object.entries(input.expectedClaims ?? {})) {
    const values = claim === NAME_ID_CLAIM ? nameIds(assertion) : attributeValues(assertion, claim);
    if (values.length !== 1 || values[0] !== expected) {
      throw claimMismatch(template, `the SAML assertion's ${claim === NAME_ID_CLAIM ? "NameID" : `attribute ${claim}`} is not the value the access rule requires for this caller; use an assertion issued to this caller`);
    }
  }
  return sessionCap(template, assertion, nowMs);
}

/** The claim name that binds the assertion's Subject NameID. */
export const NAME_ID_CLAIM = "NameID";

const claimMismatch = (template: string, what: string) => refuse("CV_ERR_SAML_CLAIM_MISMATCH", `template ${template}: ${what}`);

function nameIds(assertion: Element): string[] {
  return elements(assertion, "Subject").flatMap((s) => elements(s, "NameID").map((n) => (n.textContent ?? "").trim()));
}

function parse(xml: string): Document | undefined {
  try {
    const fail = (msg: string) => {
      throw new Error(msg);
    };
    return new DOMParser({ errorHandler: { warning: () => undefined, error: fail, fatalError: fail } }).parseFromString(xml, "text/xml");
  } catch {
    return undefined;
  }
}

function elements(scope: Element, localName: string): Element[] {
  const list = scope.getElementsByTagNameNS(ASSERTION_NS, localName);
  return Array.from({ length: list.length }, (_, i) => list.item(i) as Element);
}

/** undefined: absent; NaN: present but not a time. */
function timeAttribute(el: Element, name: string): number | undefined {
  if (!el.hasAttribute(name)) return undefined;
  return Date.parse(el.getAttribute(name) ?? "");
}

function attributeValues(assertion: Element, name: string): string[] {
  return elements(assertion, "Attribute")
    .filter((a) => a.getAttribute("Name") === name)
    .flatMap((a) => elements(a, "AttributeValue").map((v) => (v.textContent ?? "").trim()));
}

/** Role values are "role ARN,provider ARN" pairs, in either order. */
function grantsRole(values: readonly string[], roleArn: string, providerArn: string): boolean {
  return values.some((v) => {
    const parts = v.split(",").map((p) => p.trim());
    return parts.length === 2 && parts.includes(roleArn) && parts.includes(providerArn);
  });
}

function sessionCap(template: string, assertion: Element, nowMs: number): SamlCheckResult {
  const caps: number[] = [];
  const duration = attributeValues(assertion, SESSION_DURATION_ATTRIBUTE)[0];
  if (duration !== undefined && /^\d{1,6}$/.test(duration)) caps.push(Number(duration));
  for (const statement of elements(assertion, "AuthnStatement")) {
    const until = timeAttribute(statement, "SessionNotOnOrAfter");
    if (until === undefined || Number.isNaN(until)) continue;
    // An IdP session that has already ended grants no session at all; STS would refuse it too.
    if (until <= nowMs) throw refuse("CV_ERR_SAML_EXPIRED", `template ${template}: the IdP session has ended (AuthnStatement SessionNotOnOrAfter has passed); sign in to the IdP again`);
    caps.push(Math.floor((until - nowMs) / 1000));
  }
  return caps.length === 0 ? {} : { maxSessionSeconds: Math.min(...caps) };
}
