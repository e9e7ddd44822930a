// Verifies an OIDC ID token (a JWT) as STS does for AssumeRoleWithWebIdentity: an asymmetric
// signature (RS256/384/512, ES256/384/512; never `none` or HMAC) by a key of the provider whose URL
// is the token's `iss`, in the role's account; `aud` among the provider's client ids; integer
// `exp` (required), `nbf` and `iat`. The token itself never appears in an error.
import { compactVerify, createLocalJWKSet, decodeProtectedHeader, errors as joseErrors } from "jose";
import type { IamWorld } from "../core/world.js";
import { AwsError } from "../types.js";
import { tagsFromJwtClaim, type FederatedTags } from "./federated-tags.js";
import { JwksUnavailable, type OidcProvider } from "./oidc-provider.js";

/** What AWS documents it accepts for web identity tokens. */
export const WEB_IDENTITY_ALGORITHMS: readonly string[] = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"];

export interface VerifiedWebIdentity {
  readonly provider: OidcProvider;
  readonly subject: string;
  /** The client id the token was issued to (the `aud` value that matched). */
  readonly audience: string;
  readonly amr: readonly string[] | undefined;
  readonly sourceIdentity: string | undefined;
  /** Session tags from the https://aws.amazon.com/tags claim. */
  readonly tags: FederatedTags;
}

const invalid = (message: string) => new AwsError("InvalidIdentityToken", message, 400);
const NOT_A_JWT = "The ID Token provided is not a valid JWT. (You may see this error if you sent an Access Token)";
const SOURCE_IDENTITY_CLAIM = "https://aws.amazon.com/source_identity";
const SOURCE_IDENTITY = /^[\w+=,.@-]{2,64}$/;

function shown(value: string): string {
  return value.length > 200 ? `${value.slice(0, 200)}…` : value;
}

export async function verifyWebIdentityToken(token: string, accountId: string, world: IamWorld, nowMs: number): Promise<VerifiedWebIdentity> {
  const parts = token.split(".");
  if (parts.length !== 3) throw invalid(NOT_A_JWT);
  let alg: unknown;
  let unverified: Record<string, unknown>;
  try {
    alg = decodeProtectedHeader(token).alg;
    unverified = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    throw invalid(NOT_A_JWT);
  }
  if (typeof unverified !== "object" || unverified === null) throw invalid(NOT_A_JWT);
  if (typeof alg !== "string" || !WEB_IDENTITY_ALGORITHMS.includes(alg)) {
    throw invalid(`Unsupported token signing algorithm ${typeof alg === "string" ? shown(alg) : "(none)"}; use one of ${WEB_IDENTITY_ALGORITHMS.join(", ")}.`);
  }
  const issuer = unverified["iss"];
  if (typeof issuer !== "string") throw invalid("The token has no iss (issuer) claim.");
  const provider = world.oidcProvider(accountId, issuer);
  if (provider === undefined) throw invalid(`No OpenIDConnect provider found in your account for ${shown(issuer)}`);

  let jwks;
  try {
    jwks = await provider.keys();
  } catch (err) {
    if (!(err instanceof JwksUnavailable)) throw err;
    throw new AwsError(
      "IDPCommunicationError",
      `Couldn't retrieve verification key from your identity provider, please reference AssumeRoleWithWebIdentity documentation for requirements (${err.message}).`,
      400,
    );
  }
  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(token, createLocalJWKSet(jwks), { algorithms: [...WEB_IDENTITY_ALGORITHMS] }));
  } catch (err) {
    if (err instanceof joseErrors.JWKSNoMatchingKey) throw invalid("No key of the identity provider matches the token's kid and alg.");
    throw invalid("The token's signature could not be verified with the identity provider's keys.");
  }
  // Read the claims from the verified bytes only.
  let claims: Record<string, unknown>;
  try {
    claims = JSON.parse(Buffer.from(payloadBytes).toString("utf8")) as Record<string, unknown>;
  } catch {
    throw invalid(NOT_A_JWT);
  }
  if (typeof claims !== "object" || claims === null || Array.isArray(claims)) throw invalid(NOT_A_JWT);
  return checkClaims(claims, provider, nowMs);
}

function checkClaims(claims: Record<string, unknown>, provider: OidcProvider, nowMs: number): VerifiedWebIdentity {
  const now = Math.floor(nowMs / 1000);
  for (const name of ["exp", "nbf", "iat"]) {
    const value = claims[name];
    if (value !== undefined && !Number.isInteger(value)) throw invalid(`The token's ${name} claim must be an integer (seconds since the epoch).`);
  }
  const exp = claims["exp"] as number | undefined;
  if (exp === undefined) throw invalid("The token has no exp (expiration) claim.");
  const aud = claims["aud"];
  const audiences = typeof aud === "string" ? [aud] : Array.isArray(aud) ? aud.filter((a): a is string => typeof a === "string") : [];
  const audience = audiences.find((a) => provider.clientIds.includes(a));
  if (audience === undefined) throw invalid("Incorrect token audience");
  if (exp <= now) {
    throw new AwsError("ExpiredTokenException", `Token expired: current date/time ${now} must be before the expiration date/time ${exp}`, 400);
  }
  const nbf = claims["nbf"] as number | undefined;
  const iat = claims["iat"] as number | undefined;
  // A token dated in the future is a claim the provider has not yet made valid.
  if ((nbf !== undefined && nbf > now) || (iat !== undefined && iat > now)) {
    throw new AwsError("IDPRejectedClaim", `The token is not valid yet: current date/time ${now} is before its ${nbf !== undefined && nbf > now ? "nbf" : "iat"}.`, 403);
  }
  const sub = claims["sub"];
  if (typeof sub !== "string" || sub.length < 6 || sub.length > 255) {
    throw invalid("The token's sub claim must be a string of 6 to 255 characters.");
  }
  const amrClaim = claims["amr"];
  const amr = typeof amrClaim === "string" ? [amrClaim] : Array.isArray(amrClaim) ? amrClaim.map(String) : undefined;
  const sourceIdentity = claims[SOURCE_IDENTITY_CLAIM];
  if (sourceIdentity !== undefined && (typeof sourceIdentity !== "string" || !SOURCE_IDENTITY.test(sourceIdentity) || /^aws:/i.test(sourceIdentity))) {
    throw invalid(`The token's ${SOURCE_IDENTITY_CLAIM} claim must be 2 to 64 characters of [\\w+=,.@-], not starting with aws:.`);
  }
  return { provider, subject: sub, audience, amr, sourceIdentity, tags: tagsFromJwtClaim(claims["https://aws.amazon.com/tags"]) };
}
