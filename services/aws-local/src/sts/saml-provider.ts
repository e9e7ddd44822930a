// A seeded IAM SAML provider: its ARN, the IdP's entity id (the assertions' Issuer) and signing
// certificates, read from the IdP metadata document or given directly. Built at start-up, so a bad
// metadata document fails the seed, not the first AssumeRoleWithSAML.
import { createHash, X509Certificate } from "node:crypto";
import type { SeedSamlProvider } from "../seed/schema.js";
import { SeedError } from "../seed/load.js";
import { parseStrictXml } from "./strict-xml.js";

export interface SamlProvider {
  readonly accountId: string;
  readonly name: string;
  readonly arn: string;
  /** The IdP's entity id: an assertion's Issuer must equal it. */
  readonly issuer: string;
  /** PEM certificates whose keys may sign assertions (several during a rotation). */
  readonly certificates: readonly string[];
}

const MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata";
const DS_NS = "http://www.w3.org/2000/09/xmldsig#";

export function buildSamlProvider(accountId: string, seed: SeedSamlProvider): SamlProvider {
  const where = `saml_providers "${seed.name}"`;
  const fromMetadata = seed.metadata_xml === undefined ? undefined : readMetadata(seed.metadata_xml, where);
  const issuer = seed.issuer ?? fromMetadata?.entityId;
  const certificates = seed.certificate !== undefined ? [seed.certificate] : (fromMetadata?.certificates ?? []);
  if (issuer === undefined) throw new SeedError(`${where}: no issuer (entityID)`);
  if (fromMetadata !== undefined && seed.issuer !== undefined && seed.issuer !== fromMetadata.entityId) {
    throw new SeedError(`${where}: issuer "${seed.issuer}" differs from the metadata's entityID "${fromMetadata.entityId}"; give one`);
  }
  for (const pem of certificates) {
    try {
      new X509Certificate(pem);
    } catch {
      throw new SeedError(`${where}: a signing certificate is not a valid X.509 certificate`);
    }
  }
  return { accountId, name: seed.name, arn: `arn:aws:iam::${accountId}:saml-provider/${seed.name}`, issuer, certificates };
}

/** NameQualifier = base64(SHA1(Issuer + account id + "/" + provider name)), as AWS documents. */
export function nameQualifier(provider: SamlProvider): string {
  return createHash("sha1").update(`${provider.issuer}${provider.accountId}/${provider.name}`).digest("base64");
}

function readMetadata(xml: string, where: string): { entityId: string; certificates: string[] } {
  if (/<!DOCTYPE/i.test(xml)) throw new SeedError(`${where}: metadata_xml must not contain a DOCTYPE`);
  let doc: Document;
  try {
    doc = parseStrictXml(xml);
  } catch (err) {
    throw new SeedError(`${where}: metadata_xml is not well-formed XML (${(err as Error).message.split("\n")[0]})`);
  }
  const root = doc.documentElement;
  if (root === null || root.namespaceURI !== MD_NS || root.localName !== "EntityDescriptor") {
    throw new SeedError(`${where}: metadata_xml must be an md:EntityDescriptor (${MD_NS})`);
  }
  const entityId = root.getAttribute("entityID") ?? "";
  if (entityId === "") throw new SeedError(`${where}: the EntityDescriptor has no entityID`);
  const certificates: string[] = [];
  const idps = root.getElementsByTagNameNS(MD_NS, "IDPSSODescriptor");
  for (let i = 0; i < idps.length; i++) {
    const descriptors = idps.item(i)?.getElementsByTagNameNS(MD_NS, "KeyDescriptor");
    for (let j = 0; j < (descriptors?.length ?? 0); j++) {
      const kd = descriptors?.item(j);
      const use = kd?.getAttribute("use") ?? "";
      if (kd === null || kd === undefined || (use !== "" && use !== "signing")) continue;
      const certs = kd.getElementsByTagNameNS(DS_NS, "X509Certificate");
      for (let k = 0; k < certs.length; k++) {
        const body = (certs.item(k)?.textContent ?? "").replace(/\s+/g, "");
        if (body !== "") certificates.push(`-----BEGIN CERTIFICATE-----\n${body.replace(/(.{64})(?!$)/g, "$1\n")}\n-----END CERTIFICATE-----\n`);
      }
    }
  }
  if (certificates.length === 0) throw new SeedError(`${where}: the metadata names no IDPSSODescriptor signing certificate`);
  return { entityId, certificates };
}
