import { createHash } from "node:crypto";
import type { CredentialRequest } from "@credvend/protocol";

/**
 * What makes two requests "the same" for idempotency: everything the requester asked for, but
 * not its timing fields (a retry is re-stamped). The MFA code is content: a stored success must
 * not be handed to a retry that carries another code (a fresh code is a new request, with a new
 * request_id). Secret inputs enter only as hashes inside this one-way digest, never stored.
 */
export function requestFingerprint(request: CredentialRequest): string {
  // One string, hashed once: the digest is that of every field in turn (stored records compare
  // equal across versions), at about two thirds of the cost of one hash update per field.
  let text = "";
  const field = (name: string, value: string) => { text += `${name.length}:${name}${value.length}:${value}`; };
  field("template", request.template);
  for (const key of Object.keys(request.params).sort()) field(`param.${key}`, request.params[key] ?? "");
  field("duration", String(request.durationSeconds));
  field("on_behalf_of", request.onBehalfOf);
  const digest = (v: string | null | undefined) => (v ? createHash("sha256").update(v).digest("hex") : "");
  field("mfa.serial", request.mfa?.serialNumber ?? "");
  field("mfa.token_code", digest(request.mfa?.tokenCode));
  field("web_identity_token", digest(request.federation?.webIdentityToken));
  field("provider_id", request.federation?.providerId ?? "");
  field("saml_assertion", digest(request.federation?.samlAssertion));
  field("saml_provider_arn", request.federation?.samlProviderArn ?? "");
  field("reply_public_key", Buffer.from(request.replyPublicKey ?? new Uint8Array()).toString("base64"));
  return createHash("sha256").update(text).digest("base64url");
}
