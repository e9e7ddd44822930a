// TEST-ONLY SAML scaffolding (used by *.test.ts only; dist/testing is not packaged): a throwaway
// RSA key and self-signed certificate made with `openssl` at test time, and SAML Responses signed
// with xml-crypto the way IdPs sign them (enveloped signature on the Assertion, exc-c14n, SHA-256).
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SignedXml } from "xml-crypto";

export interface TestIdp {
  readonly privateKeyPem: string;
  readonly certificatePem: string;
}

/** A fresh key pair and self-signed certificate (openssl must be on PATH; a missing one fails the test). */
export function makeTestIdp(commonName = "aws-local-test-idp"): TestIdp {
  const dir = mkdtempSync(join(tmpdir(), "aws-local-saml-"));
  try {
    const key = join(dir, "key.pem");
    const cert = join(dir, "cert.pem");
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", `/CN=${commonName}`], {
      stdio: "ignore",
    });
    return { privateKeyPem: readFileSync(key, "utf8"), certificatePem: readFileSync(cert, "utf8") };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface AssertionSpec {
  readonly issuer: string;
  readonly nameId: string;
  readonly nameIdFormat?: string;
  readonly roles: readonly string[];
  readonly roleSessionName?: string;
  readonly sessionDuration?: number;
  readonly audience?: string;
  readonly recipient?: string;
  readonly notBeforeMs?: number;
  readonly notOnOrAfterMs?: number;
  readonly id?: string;
  readonly tags?: Readonly<Record<string, string>>;
  readonly transitiveTagKeys?: readonly string[];
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The unsigned Assertion element. */
export function assertionXml(spec: AssertionSpec, nowMs = Date.now()): string {
  const id = spec.id ?? `_a${Math.random().toString(16).slice(2)}`;
  const notOnOrAfter = iso(spec.notOnOrAfterMs ?? nowMs + 300_000);
  const recipient = spec.recipient ?? "https://signin.aws.amazon.com/saml";
  const attr = (name: string, values: readonly string[]) =>
    `<saml:Attribute Name="${name}">${values.map((v) => `<saml:AttributeValue>${v}</saml:AttributeValue>`).join("")}</saml:Attribute>`;
  return (
    `<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="${id}" Version="2.0" IssueInstant="${iso(nowMs)}">` +
    `<saml:Issuer>${spec.issuer}</saml:Issuer>` +
    `<saml:Subject><saml:NameID Format="${spec.nameIdFormat ?? "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"}">${spec.nameId}</saml:NameID>` +
    `<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="${notOnOrAfter}" Recipient="${recipient}"/></saml:SubjectConfirmation></saml:Subject>` +
    `<saml:Conditions NotBefore="${iso(spec.notBeforeMs ?? nowMs - 60_000)}" NotOnOrAfter="${notOnOrAfter}"><saml:AudienceRestriction><saml:Audience>${spec.audience ?? "https://signin.aws.amazon.com/saml"}</saml:Audience></saml:AudienceRestriction></saml:Conditions>` +
    `<saml:AuthnStatement AuthnInstant="${iso(nowMs)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>` +
    `<saml:AttributeStatement>${attr("https://aws.amazon.com/SAML/Attributes/Role", spec.roles)}` +
    (spec.roleSessionName === undefined ? "" : attr("https://aws.amazon.com/SAML/Attributes/RoleSessionName", [spec.roleSessionName])) +
    (spec.sessionDuration === undefined ? "" : attr("https://aws.amazon.com/SAML/Attributes/SessionDuration", [String(spec.sessionDuration)])) +
    Object.entries(spec.tags ?? {}).map(([k, v]) => attr(`https://aws.amazon.com/SAML/Attributes/PrincipalTag:${k}`, [v])).join("") +
    (spec.transitiveTagKeys === undefined ? "" : attr("https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys", spec.transitiveTagKeys)) +
    `</saml:AttributeStatement></saml:Assertion>`
  );
}

/** Signs the (only) Assertion of `responseXml` in place: enveloped signature right after its Issuer. */
export function signAssertion(responseXml: string, idp: TestIdp): string {
  const sig = new SignedXml({
    privateKey: idp.privateKeyPem,
    publicCert: idp.certificatePem,
    signatureAlgorithm: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    canonicalizationAlgorithm: "http://www.w3.org/2001/10/xml-exc-c14n#",
  });
  sig.addReference({
    xpath: "//*[local-name(.)='Assertion']",
    transforms: ["http://www.w3.org/2000/09/xmldsig#enveloped-signature", "http://www.w3.org/2001/10/xml-exc-c14n#"],
    digestAlgorithm: "http://www.w3.org/2001/04/xmlenc#sha256",
  });
  sig.computeSignature(responseXml, { location: { reference: "//*[local-name(.)='Assertion']/*[local-name(.)='Issuer']", action: "after" } });
  return sig.getSignedXml();
}

export function responseXml(assertions: string): string {
  return (
    `<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" Version="2.0" IssueInstant="${iso(Date.now())}" Destination="https://signin.aws.amazon.com/saml">` +
    `<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>${assertions}</samlp:Response>`
  );
}

export function signedResponse(spec: AssertionSpec, idp: TestIdp, nowMs = Date.now()): string {
  return signAssertion(responseXml(assertionXml(spec, nowMs)), idp);
}

export const b64 = (xml: string) => Buffer.from(xml, "utf8").toString("base64");
