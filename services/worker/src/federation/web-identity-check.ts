// The cheap checks of a web identity token, made before an STS call is spent on it. STS verifies
// everything again; these only refuse early what STS would refuse anyway, so nothing read from the
// token here grants anything. Messages name the claim, never the token or a claim's value.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, errors, jwtVerify, type JSONWebKeySet, type JWTPayload } from "jose";
import { CredvendError, type Reason } from "@credvend/protocol";
import type { WebIdentityCheck } from "@credvend/policy";

/** The algorithms AssumeRoleWithWebIdentity accepts: asymmetric only (no `none`, no HMAC). */
export const WEB_IDENTITY_ALGORITHMS = ["RS256", "RS384", "RS512", "ES256", "ES384", "ES512"] as const;

/** nbf / iat a little in the future are the IdP's clock, not an attack; exp gets no grace. */
const NOT_YET_VALID_LEEWAY_SECONDS = 60;
const FIELD = "federation.web_identity_token";

const refuse = (reason: Reason, message: string) => new CredvendError(reason, message, { field: FIELD });

// Config objects are frozen and replaced whole on reload, so the key set is built once per version.
const keySets = new WeakMap<object, ReturnType<typeof createLocalJWKSet>>();
function keySetOf(jwks: NonNullable<WebIdentityCheck["jwks"]>): ReturnType<typeof createLocalJWKSet> {
  let set = keySets.get(jwks);
  if (set === undefined) {
    set = createLocalJWKSet(structuredClone(jwks) as JSONWebKeySet);
    keySets.set(jwks, set);
  }
  return set;
}

export interface WebIdentityCheckInput {
  readonly template: string;
  readonly token: string;
  /**
   * The template's allow-lists, from the config the request was planned with. Undefined only for
   * a config that slipped past lint: refused (fail closed), since without them any IdP's token
   * would cost an STS call.
   */
  readonly check: WebIdentityCheck | undefined;
  /** Claims that must equal these values (the access rule's `claims`). */
  readonly expectedClaims: Readonly<Record<string, string>>;
  readonly nowMs: number;
}

export async function checkWebIdentityToken(input: WebIdentityCheckInput): Promise<void> {
  const { template, token, check, nowMs } = input;
  if (check === undefined) {
    throw new CredvendError("CV_ERR_STS_REJECTED_INPUT", `template ${template} has no web_identity allow-list (issuers, audiences) in the config this worker holds; add one to the template, or retry if the config was just reloaded`, { field: "template" });
  }
  let alg: unknown;
  let claims: JWTPayload;
  try {
    if (token.split(".").length !== 3) throw new Error("not a JWS");
    alg = decodeProtectedHeader(token).alg;
    claims = decodeJwt(token);
  } catch {
    throw refuse("CV_ERR_WEB_IDENTITY_MALFORMED", `template ${template}: federation.web_identity_token is not a JWT (three base64url parts: JSON header, JSON claims, signature); send the IdP's ID token`);
  }
  if (typeof alg !== "string" || !(WEB_IDENTITY_ALGORITHMS as readonly string[]).includes(alg)) {
    throw refuse("CV_ERR_WEB_IDENTITY_ALGORITHM", `template ${template}: the token's alg is not one STS accepts (${WEB_IDENTITY_ALGORITHMS.join(", ")}); unsigned and HMAC tokens are refused`);
  }
  if (typeof claims.iss !== "string" || !check.issuers.includes(claims.iss)) {
    throw refuse("CV_ERR_WEB_IDENTITY_ISSUER", `template ${template} accepts tokens only from ${check.issuers.join(", ")}; the token's iss is not one of them`);
  }
  const audiences = typeof claims.aud === "string" ? [claims.aud] : Array.isArray(claims.aud) ? claims.aud : [];
  if (!audiences.some((a) => check.audiences.includes(a))) {
    throw refuse("CV_ERR_WEB_IDENTITY_AUDIENCE", `template ${template} accepts tokens for ${check.audiences.join(", ")}; the token's aud names none of them`);
  }
  const now = nowMs / 1000;
  if (typeof claims.exp !== "number" || claims.exp <= now) {
    throw refuse("CV_ERR_WEB_IDENTITY_EXPIRED", `template ${template}: the token ${typeof claims.exp === "number" ? "has expired" : "has no exp"}; get a fresh token from the IdP`);
  }
  for (const at of ["nbf", "iat"] as const) {
    const value = claims[at];
    if (typeof value === "number" && value > now + NOT_YET_VALID_LEEWAY_SECONDS) {
      throw refuse("CV_ERR_WEB_IDENTITY_EXPIRED", `template ${template}: the token's ${at} is in the future; check the IdP's clock`);
    }
  }
  if (check.jwks !== undefined) await verifySignature(template, token, check.jwks, nowMs);
  for (const [claim, expected] of Object.entries(input.expectedClaims)) {
    if (claims[claim] !== expected) {
      throw new CredvendError("CV_ERR_WEB_IDENTITY_CLAIM_MISMATCH", `template ${template}: the token's ${claim} claim is not the value the access rule requires for this caller; use a token issued to this caller`, { field: FIELD });
    }
  }
}

async function verifySignature(template: string, token: string, jwks: NonNullable<WebIdentityCheck["jwks"]>, nowMs: number): Promise<void> {
  try {
    // Times were checked above with the rules STS applies; here only the signature counts.
    await jwtVerify(token, keySetOf(jwks), { algorithms: [...WEB_IDENTITY_ALGORITHMS], currentDate: new Date(nowMs), clockTolerance: NOT_YET_VALID_LEEWAY_SECONDS });
  } catch (error) {
    const why = error instanceof errors.JWKSNoMatchingKey ? "no key of the template's jwks matches its kid and alg" : "its signature does not verify with the template's jwks";
    if (error instanceof errors.JWTExpired) throw refuse("CV_ERR_WEB_IDENTITY_EXPIRED", `template ${template}: the token has expired; get a fresh token from the IdP`);
    throw refuse("CV_ERR_WEB_IDENTITY_SIGNATURE", `template ${template}: the token is not from the IdP the template trusts: ${why}`);
  }
}
