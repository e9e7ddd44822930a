import { test } from "node:test";
import assert from "node:assert/strict";
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from "jose";
import { CredvendError } from "@credvend/protocol";
import { checkWebIdentityToken } from "./web-identity-check.js";

const ISS = "https://idp.example.com";
const NOW_MS = 1_800_000_000_000;
const now = NOW_MS / 1000;

const { privateKey, publicKey } = await generateKeyPair("ES256");
const { privateKey: otherKey } = await generateKeyPair("ES256");
const jwk: JWK = { ...(await exportJWK(publicKey)), kid: "k1", alg: "ES256" };
const check = { issuers: [ISS], audiences: ["app"], jwks: { keys: [jwk as { kty: string }] } };

const sign = (claims: Record<string, unknown>, key: CryptoKey = privateKey) =>
  new SignJWT({ iss: ISS, aud: "app", sub: "alice", iat: now - 10, exp: now + 300, ...claims }).setProtectedHeader({ alg: "ES256", kid: "k1" }).sign(key);

async function reason(token: string, o: { expected?: Record<string, string>; withJwks?: boolean; noCheck?: boolean } = {}): Promise<string> {
  try {
    await checkWebIdentityToken({
      template: "t", token, nowMs: NOW_MS, expectedClaims: o.expected ?? {},
      check: o.noCheck === true ? undefined : o.withJwks === false ? { issuers: check.issuers, audiences: check.audiences } : check,
    });
    return "ok";
  } catch (error) {
    assert.ok(error instanceof CredvendError);
    assert.ok(!error.message.includes(token), "the message never repeats the token");
    return error.reason;
  }
}

test("a well-formed token from the allowed issuer and audience, signed by the JWKS, passes", async () => {
  assert.equal(await reason(await sign({}), { expected: { sub: "alice" } }), "ok");
  assert.equal(await reason(await sign({ aud: ["other", "app"] })), "ok", "aud may be a list");
});

test("each cheap refusal has its own reason", async () => {
  const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const cases: [string, string, string][] = [
    ["not a JWT", "abc.def", "CV_ERR_WEB_IDENTITY_MALFORMED"],
    ["JSON that is not a JWT", `${b64({ alg: "ES256" })}.bm90LWpzb24.sig`, "CV_ERR_WEB_IDENTITY_MALFORMED"],
    ["alg none", `${b64({ alg: "none" })}.${b64({ iss: ISS, aud: "app", exp: now + 60 })}.`, "CV_ERR_WEB_IDENTITY_ALGORITHM"],
    ["HMAC", `${b64({ alg: "HS256" })}.${b64({ iss: ISS, aud: "app", exp: now + 60 })}.c2ln`, "CV_ERR_WEB_IDENTITY_ALGORITHM"],
    ["issuer", await sign({ iss: "https://evil.example.com" }), "CV_ERR_WEB_IDENTITY_ISSUER"],
    ["audience", await sign({ aud: "other" }), "CV_ERR_WEB_IDENTITY_AUDIENCE"],
    ["expired", await sign({ exp: now - 1 }), "CV_ERR_WEB_IDENTITY_EXPIRED"],
    ["no exp", await sign({ exp: undefined }), "CV_ERR_WEB_IDENTITY_EXPIRED"],
    ["nbf in the future", await sign({ nbf: now + 600 }), "CV_ERR_WEB_IDENTITY_EXPIRED"],
    ["signature", await sign({}, otherKey), "CV_ERR_WEB_IDENTITY_SIGNATURE"],
  ];
  for (const [label, token, expected] of cases) assert.equal(await reason(token), expected, label);
  assert.equal(await reason(await sign({ sub: "mallory" }), { expected: { sub: "alice" } }), "CV_ERR_WEB_IDENTITY_CLAIM_MISMATCH");
  assert.equal(await reason(await sign({}), { expected: { email: "alice@example.com" } }), "CV_ERR_WEB_IDENTITY_CLAIM_MISMATCH", "a missing claim never matches");
});

test("without a JWKS the signature is left to STS", async () => {
  assert.equal(await reason(await sign({}, otherKey), { withJwks: false }), "ok");
});

test("a template without an issuer allow-list (slipped past lint, or removed by a reload since planning) is refused, not waved through", async () => {
  // Once every issuer, audience and signature check was skipped then: any IdP's token cost an STS call.
  assert.equal(await reason(await sign({ iss: "https://evil.example.com", aud: "other" }, otherKey), { noCheck: true }), "CV_ERR_STS_REJECTED_INPUT");
});
