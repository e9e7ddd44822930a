import { test } from "node:test";
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import { decodeRequest, encodeRequest, MAX_REQUEST_BYTES } from "./codec.js";
import { CredvendError } from "./errors.js";
import { MAX_REQUEST_PARAM_ENTRIES, MAX_REQUEST_WIRE_FIELDS } from "./request-shape.js";

const refusedAs = (reason: string, field?: string) => (e: unknown) =>
  e instanceof CredvendError && e.reason === reason && (field === undefined || e.field === field);

function manyParams(n: number): Record<string, string> {
  const params: Record<string, string> = {};
  for (let i = 0; i < n; i += 1) params[i.toString(36)] = "";
  return params;
}


test("a request with every field, 64 params and a 100,000-character SAML assertion decodes", () => {
  const request = decodeRequest(encodeRequest({
    requestId: "abcdefgh", template: "t", params: manyParams(MAX_REQUEST_PARAM_ENTRIES), durationSeconds: 900, clientTimeMs: 1, deadlineMs: 2,
    onBehalfOf: "x", federation: { webIdentityToken: "w", providerId: "p", samlAssertion: "s".repeat(100_000), samlProviderArn: "a" },
    mfa: { serialNumber: "s", tokenCode: "123456" }, replyPublicKey: new Uint8Array(32), clientVersion: "ü-1.0",
  }));
  assert.equal(Object.keys(request.params).length, MAX_REQUEST_PARAM_ENTRIES);
  assert.equal(request.federation?.samlAssertion?.length, 100_000);
});

test("params beyond the limit are refused before decoding, naming params, however many are packed in", () => {
  assert.throws(() => decodeRequest(encodeRequest({ requestId: "abcdefgh", params: manyParams(MAX_REQUEST_PARAM_ENTRIES + 1) })), refusedAs("CV_ERR_REQUEST_FIELD", "params"));
  // 14,000 one-character params fit in 124 KiB; protobufjs took ~10 ms and 1.7 MB to decode them.
  const flood = encodeRequest({ requestId: "abcdefgh", params: manyParams(14_000) });
  assert.ok(flood.length <= MAX_REQUEST_BYTES);
  assert.throws(() => decodeRequest(flood), refusedAs("CV_ERR_REQUEST_FIELD", "params"));
});

// What a refusal costs is measured end to end (test/src/hostile-input.test.ts), not timed here.
test("a flood of unknown or repeated fields is refused after the field limit", () => {
  // Field 100 as a varint, 1, repeated: 3 bytes each.
  const unknown = new Uint8Array(120_000);
  for (let i = 0; i + 3 <= unknown.length; i += 3) unknown.set([0xa0, 0x06, 0x01], i);
  assert.throws(() => decodeRequest(unknown), refusedAs("CV_ERR_REQUEST_DECODE"));
  const repeated = encodeRequest({ template: "t" });
  const many = new Uint8Array(repeated.length * (MAX_REQUEST_WIRE_FIELDS + 1));
  for (let i = 0; i <= MAX_REQUEST_WIRE_FIELDS; i += 1) many.set(repeated, i * repeated.length);
  assert.throws(() => decodeRequest(many), refusedAs("CV_ERR_REQUEST_DECODE"));
  // A few unknown fields (a newer client's additions) are still skipped, as proto3 wants.
  const newer = Uint8Array.from([...encodeRequest({ requestId: "abcdefgh" }), 0xa0, 0x06, 0x01, 0xaa, 0x06, 0x01, 0x78]);
  assert.equal(decodeRequest(newer).requestId, "abcdefgh");
});

test("nested groups, truncated lengths and invalid wire types are CV_ERR_REQUEST_DECODE", () => {
  for (const bad of [new Uint8Array(100_000).fill(0x0b), Uint8Array.from([0x12, 0x7f, 0x61]), Uint8Array.from([0x0e]), Uint8Array.from([0x42, 0x05, 0x0a, 0x09, 0x61])]) {
    assert.throws(() => decodeRequest(bad), refusedAs("CV_ERR_REQUEST_DECODE"));
  }
});

test("invalid UTF-8 is refused naming the field it is in", () => {
  const badUtf8 = [0xff, 0xed, 0xa0, 0x80];
  const cases: [number[], string][] = [
    [[0x12, 4, ...badUtf8], "template"],
    [[0x0a, 4, ...badUtf8], "request_id"],
    [[0x42, 6, 0x0a, 4, ...badUtf8], "federation.web_identity_token"],
    [[0x4a, 6, 0x12, 4, ...badUtf8], "mfa.token_code"],
    [[0x1a, 9, 0x0a, 1, 0x62, 0x12, 4, ...badUtf8], "params"],
  ];
  for (const [bytes, field] of cases) {
    assert.throws(() => decodeRequest(Uint8Array.from(bytes)), (e: unknown) => refusedAs("CV_ERR_REQUEST_FIELD")(e) && (e as CredvendError).field?.startsWith(field) === true, field);
  }
});

test("every string field of the .proto's CredentialRequest, nested ones included, is checked under its own name", () => {
  // The walk names fields by number; this keeps it in step with the schema (a string field added
  // or renumbered there, and not here, fails).
  const root = new protobuf.Root().loadSync(fileURLToPath(new URL("../../../proto/credvend/v1/credvend.proto", import.meta.url)), { keepCase: true });
  const request = root.lookupType("credvend.v1.CredentialRequest");
  const badUtf8 = [0xff, 0xed, 0xa0, 0x80];
  const lengthDelimited = (id: number, body: number[]) => [(id << 3) | 2, body.length, ...body];
  let checked = 0;
  for (const field of request.fieldsArray) {
    const resolved = field.resolve();
    if (resolved.type === "string" && !resolved.map) {
      const bytes = Uint8Array.from(lengthDelimited(resolved.id, badUtf8));
      assert.throws(() => decodeRequest(bytes), refusedAs("CV_ERR_REQUEST_FIELD", resolved.name), resolved.name);
      checked += 1;
    }
    if (resolved.resolvedType instanceof protobuf.Type) {
      for (const inner of resolved.resolvedType.fieldsArray.filter((f) => f.type === "string")) {
        const bytes = Uint8Array.from(lengthDelimited(resolved.id, lengthDelimited(inner.id, badUtf8)));
        assert.throws(() => decodeRequest(bytes), refusedAs("CV_ERR_REQUEST_FIELD", `${resolved.name}.${inner.name}`), `${resolved.name}.${inner.name}`);
        checked += 1;
      }
    }
  }
  assert.ok(checked >= 10, `only ${checked} string fields found: is the .proto path right?`);
});
