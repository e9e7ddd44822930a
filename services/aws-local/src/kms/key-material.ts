// Per-key AES-256 material. Seeded keys without explicit material get material derived from the key
// id, so blobs written before a restart still decrypt after it. This is a local emulator: derived
// material is reproducible by anyone with this source and must never protect real secrets.

import { createHash, hkdfSync, randomBytes } from "node:crypto";

const DERIVATION_SALT = Buffer.from("credvend aws-local kms key material v1", "utf8");

export function deriveKeyMaterial(keyId: string): Buffer {
  return Buffer.from(hkdfSync("sha256", Buffer.from(keyId, "utf8"), DERIVATION_SALT, "aes-256-gcm", 32));
}

export function randomKeyMaterial(): Buffer {
  return randomBytes(32);
}

/** Decodes seed material; throws (without echoing the value) unless it is base64 of exactly 32 bytes. */
export function decodeSeedMaterial(keyId: string, material: string): Buffer {
  const bytes = Buffer.from(material, "base64");
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(material) || bytes.length !== 32) {
    throw new Error(`seed KMS key ${keyId}: material must be base64 of exactly 32 bytes`);
  }
  return bytes;
}

/** KMS's KeyMaterialId: 64 hex characters naming the material without revealing it. */
export function keyMaterialId(material: Buffer): string {
  return createHash("sha256").update("aws-local key material id\0").update(material).digest("hex");
}
