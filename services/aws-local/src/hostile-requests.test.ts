// Hostile requests against aws-local (server, SigV4, STS core, admin): each test pins one hole that was
// found and fixed. Requests an SDK would never send are built by hand (node:http + node:crypto).
import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import { request } from "node:http";
import { createHash, createHmac } from "node:crypto";
import { AssumeRoleCommand, GetSessionTokenCommand } from "@aws-sdk/client-sts";
import { ADMIN_TOKEN_HEADER } from "./admin/guard.js";
import { devCredentials, DEV_MFA_SERIAL, DEV_MFA_TOTP_SECRET } from "./dev-seed.js";
import { totp } from "./totp.js";
import { createSessionStore, type IssuedSession } from "./core/sessions.js";
import { FORM, rawRequest, sdkError, startQuiet, stsClient, TEST_REGION, xmlCode, type Creds } from "./testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const vendor = devCredentials("credvend-vendor");
const GCI = "Action=GetCallerIdentity&Version=2011-06-15";
const DEMO_ROLE = "arn:aws:iam::000000000000:role/credvend-demo";
const UNSIGNED = "UNSIGNED-PAYLOAD";

const sha256 = (d: string | Buffer): string => createHash("sha256").update(d).digest("hex");
const hmac = (k: string | Buffer, d: string): Buffer => createHmac("sha256", k).update(d).digest();
const amz = (ms: number): string => new Date(ms).toISOString().replace(/[-:]/g, "").replace(/\.\d{3}Z$/, "Z");
const esc = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** A from-the-spec SigV4 signer that signs exactly the headers given (botocore-like control). */
function sign(opts: {
  method: string;
  host: string;
  query?: Record<string, string>;
  signed: Record<string, string>;
  payloadHash: string;
  creds: Creds;
  service: string;
  region?: string;
  amzDate?: string;
  presignExpires?: number;
}): { query: string; authorization?: string } {
  const amzDate = opts.amzDate ?? amz(Date.now());
  const region = opts.region ?? TEST_REGION;
  const scope = `${amzDate.slice(0, 8)}/${region}/${opts.service}/aws4_request`;
  const headers: Record<string, string> = { host: opts.host, ...opts.signed };
  const names = Object.keys(headers).map((n) => n.toLowerCase()).sort();
  const query: Record<string, string> = { ...opts.query };
  if (opts.presignExpires !== undefined) {
    Object.assign(query, {
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Credential": `${opts.creds.accessKeyId}/${scope}`,
      "X-Amz-Date": amzDate,
      "X-Amz-Expires": String(opts.presignExpires),
      "X-Amz-SignedHeaders": names.join(";"),
    });
  }
  const cq = Object.keys(query)
    .sort()
    .map((k) => `${esc(k)}=${esc(query[k] ?? "")}`)
    .join("&");
  const lower = Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
  const canonical = [opts.method, "/", cq, names.map((n) => `${n}:${lower[n]}\n`).join(""), names.join(";"), opts.payloadHash].join("\n");
  const sts = `AWS4-HMAC-SHA256\n${amzDate}\n${scope}\n${sha256(canonical)}`;
  const key = ["aws4_request"].reduce(
    (k, part) => hmac(k, part),
    hmac(hmac(hmac(`AWS4${opts.creds.secretAccessKey}`, amzDate.slice(0, 8)), region), opts.service),
  );
  const signature = createHmac("sha256", key).update(sts).digest("hex");
  if (opts.presignExpires !== undefined) return { query: `${cq}&X-Amz-Signature=${signature}` };
  return { query: cq, authorization: `AWS4-HMAC-SHA256 Credential=${opts.creds.accessKeyId}/${scope}, SignedHeaders=${names.join(";")}, Signature=${signature}` };
}

/** Raw node:http request: can send a body with GET and arbitrary headers (fetch can do neither). */
function raw(local: Local, method: string, path: string, headers: Record<string, string>, body = ""): Promise<{ status: number; text: string; headers: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(local.endpoint + path, { method, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c: string) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, text, headers: res.headers }));
    });
    req.on("error", reject);
    req.end(body);
  });
}

describe("SigV4 holes", () => {
  let local: Local;
  let host: string;
  before(async () => {
    local = await startQuiet();
    host = new URL(local.endpoint).host;
  });
  after(async () => local.stop());

  it("a botocore-style presigned URL (UNSIGNED-PAYLOAD, as `aws eks get-token` makes) is accepted", async () => {
    const { query } = sign({ method: "GET", host, query: { Action: "GetCallerIdentity", Version: "2011-06-15" }, signed: {}, payloadHash: UNSIGNED, creds: vendor, service: "sts", presignExpires: 60 });
    const r = await raw(local, "GET", `/?${query}`, {});
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /user\/credvend-vendor/);
  });

  it("X-Amz-Expires must be plain digits (\"1e5\" is not 100000 seconds)", async () => {
    const date = amz(Date.now());
    const q = new URLSearchParams(sign({ method: "GET", host, query: { Action: "GetCallerIdentity", Version: "2011-06-15" }, signed: {}, payloadHash: UNSIGNED, creds: vendor, service: "sts", presignExpires: 60, amzDate: date }).query);
    q.set("X-Amz-Expires", "1e5");
    const r = await raw(local, "GET", `/?${q}`, {});
    assert.equal(r.status, 400, r.text);
    assert.equal(xmlCode(r.text), "IncompleteSignature");
  });

  it("a presigned GetCallerIdentity URL can not be turned into AssumeRole by a body + UNSIGNED-PAYLOAD header", async () => {
    // The EKS/Vault pattern hands this URL to a third party; it must only ever prove identity.
    const { query } = sign({ method: "GET", host, query: { Action: "GetCallerIdentity", Version: "2011-06-15" }, signed: {}, payloadHash: UNSIGNED, creds: vendor, service: "sts", presignExpires: 60 });
    const evil = `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(DEMO_ROLE)}&RoleSessionName=stolen`;
    const r = await raw(local, "GET", `/?${query}`, { ...FORM, "x-amz-content-sha256": UNSIGNED }, evil);
    assert.doesNotMatch(r.text, /AssumeRoleResponse|SecretAccessKey/);
    assert.equal(r.status, 403, r.text);
    assert.equal(xmlCode(r.text), "SignatureDoesNotMatch");
  });

  it("x-amz-content-sha256: UNSIGNED-PAYLOAD never lets a body go unsigned", async () => {
    const body = `Action=AssumeRole&Version=2011-06-15&RoleArn=${encodeURIComponent(DEMO_ROLE)}&RoleSessionName=unsigned`;
    const { authorization } = sign({ method: "POST", host, signed: { ...FORM, "x-amz-content-sha256": UNSIGNED, "x-amz-date": amz(Date.now()) }, payloadHash: UNSIGNED, creds: vendor, service: "sts" });
    const r = await raw(local, "POST", "/", { ...FORM, "x-amz-content-sha256": UNSIGNED, "x-amz-date": amz(Date.now()), authorization: authorization ?? "" }, body);
    assert.equal(r.status, 403, r.text);
    assert.equal(xmlCode(r.text), "SignatureDoesNotMatch");
  });

  it("KMS: X-Amz-Target must be signed (else a captured request could be replayed as another operation)", async () => {
    const date = amz(Date.now());
    const body = '{"KeyId":"alias/credvend-replies","KeySpec":"AES_256"}';
    const signed = { "content-type": "application/x-amz-json-1.1", "x-amz-date": date };
    const { authorization } = sign({ method: "POST", host, signed, payloadHash: sha256(body), creds: vendor, service: "kms" });
    const r = await raw(local, "POST", "/", { ...signed, "x-amz-target": "TrentService.GenerateDataKey", authorization: authorization ?? "" }, body);
    assert.equal(r.status, 400, r.text);
    assert.doesNotMatch(r.text, /Plaintext/);
    assert.equal(JSON.parse(r.text).__type, "IncompleteSignatureException");
  });

  it("a signed-header name that is an Object.prototype member is a signature error, not a 500", async () => {
    for (const name of ["constructor", "__proto__", "tostring"]) {
      const auth = `AWS4-HMAC-SHA256 Credential=${vendor.accessKeyId}/${amz(Date.now()).slice(0, 8)}/${TEST_REGION}/sts/aws4_request, SignedHeaders=${name};host;x-amz-date, Signature=${"0".repeat(64)}`;
      const r = await raw(local, "POST", "/", { ...FORM, "x-amz-date": amz(Date.now()), authorization: auth }, GCI);
      assert.equal(r.status, 403, `${name}: ${r.text}`);
      assert.equal(xmlCode(r.text), "SignatureDoesNotMatch");
    }
    assert.deepEqual(local.lines.filter((l) => /internal error/.test(l)), []);
  });

  it("the credential-scope region must look like a region (bounded signing-key cache, AWS's message)", async () => {
    const date = amz(Date.now());
    for (const region of ["x".repeat(4000), "us-east-1&lt;x&gt;", ""]) {
      const auth = `AWS4-HMAC-SHA256 Credential=${vendor.accessKeyId}/${date.slice(0, 8)}/${region}/sts/aws4_request, SignedHeaders=host;x-amz-date, Signature=${"0".repeat(64)}`;
      const r = await raw(local, "POST", "/", { ...FORM, "x-amz-date": date, authorization: auth }, GCI);
      assert.equal(r.status, 403, r.text);
      assert.match(r.text, /Credential should be scoped to a valid region/);
    }
  });

  it("an X-Amz-Date that is not a real calendar time is refused even when correctly signed", async () => {
    const bogus = `${amz(Date.now()).slice(0, 8)}T246099Z`; // hour 24, second 99
    const { authorization } = sign({ method: "POST", host, signed: { ...FORM, "x-amz-date": bogus }, payloadHash: sha256(GCI), creds: vendor, service: "sts", amzDate: bogus });
    const r = await raw(local, "POST", "/", { ...FORM, "x-amz-date": bogus, authorization: authorization ?? "" }, GCI);
    assert.equal(r.status, 400, r.text);
    assert.equal(xmlCode(r.text), "IncompleteSignature");
  });
});

describe("STS core and admin", () => {
  let local: Local;
  before(async () => {
    local = await startQuiet();
  });
  after(async () => local.stop());
  beforeEach(async () => local.admin.reset());

  it("Action=toString / hasOwnProperty (Object.prototype members) is InvalidAction, not 200 or 500", async () => {
    for (const action of ["toString", "hasOwnProperty", "constructor", "__proto__"]) {
      const r = await rawRequest(local, { headers: FORM, body: `Action=${action}&Version=2011-06-15`, sign: { creds: vendor, service: "sts" } });
      assert.equal(r.status, 400, `${action}: ${r.text}`);
      assert.equal(xmlCode(r.text), "InvalidAction");
    }
  });

  it("call counts are not keyed by attacker-chosen names (unauthenticated memory growth)", async () => {
    for (let i = 0; i < 20; i++) {
      await rawRequest(local, { headers: FORM, body: `Action=Junk${i}&Version=2011-06-15` });
      await rawRequest(local, { headers: { "content-type": "application/x-amz-json-1.1", "x-amz-target": `TrentService.Junk${i}` }, body: "{}" });
    }
    const keys = Object.keys(await local.admin.calls());
    assert.ok(keys.length <= 2, `one bucket per service for unknown operations, got ${keys.length}: ${keys.slice(0, 5).join(", ")}`);
  });

  it("an MFA code is single-use (AWS refuses a replayed TokenCode); the next step's code works", async () => {
    const { nowMs } = await local.admin.clock();
    const code = totp(DEV_MFA_TOTP_SECRET, nowMs);
    await stsClient(local).send(new GetSessionTokenCommand({ SerialNumber: DEV_MFA_SERIAL, TokenCode: code }));
    const replay = await sdkError(() =>
      stsClient(local).send(new AssumeRoleCommand({ RoleArn: DEMO_ROLE, RoleSessionName: "replay", SerialNumber: DEV_MFA_SERIAL, TokenCode: code })),
    );
    assert.equal(replay.name, "AccessDenied");
    assert.equal(replay.$metadata?.httpStatusCode, 403);
    assert.ok(!replay.message.includes(code));
    // A fresh code (next 30 s step, inside the drift window) is accepted.
    await stsClient(local).send(new GetSessionTokenCommand({ SerialNumber: DEV_MFA_SERIAL, TokenCode: totp(DEV_MFA_TOTP_SECRET, nowMs + 30_000) }));
  });

  it("admin: a malformed percent-escape is a 400, not a dropped connection", async () => {
    const r = await raw(local, "GET", "/_aws-local/sessions/%E0%A4%A", { [ADMIN_TOKEN_HEADER]: local.adminToken });
    assert.equal(r.status, 400);
    assert.match(JSON.parse(r.text).error, /percent/);
  });

  it("admin: a browser (any request with an Origin header) is refused, so a web page can not reset or move the clock", async () => {
    const r = await raw(local, "POST", "/_aws-local/clock", { origin: "http://evil.example", "content-type": "text/plain", [ADMIN_TOKEN_HEADER]: local.adminToken }, '{"advanceSeconds":-86400}');
    assert.equal(r.status, 403);
    assert.equal((await local.admin.clock()).offsetMs, 0);
  });

  it("admin: without this start's token (none, or another start's) every route but health is 401", async () => {
    const other = await startQuiet();
    try {
      const attempts: Record<string, string>[] = [{}, { [ADMIN_TOKEN_HEADER]: other.adminToken }, { [ADMIN_TOKEN_HEADER]: `${local.adminToken}x` }];
      for (const headers of attempts) {
        const r = await raw(local, "POST", "/_aws-local/clock", { ...headers, "content-type": "application/json" }, '{"advanceSeconds":-86400}');
        assert.equal(r.status, 401, JSON.stringify(Object.keys(headers)));
        assert.equal((await raw(local, "GET", "/_aws-local/calls", headers)).status, 401);
      }
      assert.equal((await local.admin.clock()).offsetMs, 0);
      assert.equal((await raw(local, "GET", "/_aws-local/health", {})).status, 200);
      assert.notEqual(other.adminToken, local.adminToken, "a token per start");
    } finally {
      await other.stop();
    }
  });

  it("admin: a non-loopback Host header (DNS rebinding) is refused even with the token", async () => {
    for (const host of ["evil.example", "evil.example:4566", "127.0.0.1.evil.example", "10.0.0.5:4566"]) {
      const r = await raw(local, "POST", "/_aws-local/reset", { host, [ADMIN_TOKEN_HEADER]: local.adminToken });
      assert.equal(r.status, 403, host);
      assert.equal((await raw(local, "GET", "/_aws-local/health", { host })).status, 403, host);
    }
    for (const host of ["localhost:1", "127.0.0.1", "[::1]:80"]) {
      assert.equal((await raw(local, "GET", "/_aws-local/calls", { host, [ADMIN_TOKEN_HEADER]: local.adminToken })).status, 200, host);
    }
  });

  it("binding a non-loopback address warns loudly on stderr; loopback does not", async () => {
    const written: string[] = [];
    const original = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stderr.write;
    try {
      const open = await startQuiet({ host: "0.0.0.0" });
      await open.stop();
      const quiet = await startQuiet({ host: "127.0.0.1" });
      await quiet.stop();
    } finally {
      process.stderr.write = original;
    }
    const warnings = written.filter((w) => w.includes("WARNING: aws-local is listening on 0.0.0.0"));
    assert.equal(warnings.length, 1, written.join(""));
    assert.ok(!written.join("").includes("listening on 127.0.0.1"));
  });

  it("admin: an injected error code must be a plain AWS-style code (it becomes an HTTP header)", async () => {
    const r = await raw(local, "POST", "/_aws-local/faults", { "content-type": "application/json", [ADMIN_TOKEN_HEADER]: local.adminToken }, JSON.stringify({ errors: [{ operation: "*", code: "Bad\r\nX: y" }] }));
    assert.equal(r.status, 400, r.text);
  });
});

describe("session store cap", () => {
  const session = (i: number): IssuedSession => ({ accessKeyId: `ASIA${i}`, expiresAtMs: Date.now() + 3600_000 }) as IssuedSession;

  it("past maxSessions the oldest are dropped, one per add (no full-map walk on every add)", () => {
    // Counted, not timed: a busy machine made a wall-clock bound flaky. The store reports every
    // entry its housekeeping examines; a full-map walk on each add past the cap (the old bug)
    // examined ~20,000 entries per add, one eviction per add plus the periodic sweep ~21.
    let examined = 0;
    const store = createSessionStore({ now: Date.now }, 20_000, { onScan: (n) => (examined += n) });
    for (let i = 0; i < 20_000; i++) store.add(session(i));
    examined = 0;
    const adds = 5_000;
    for (let i = 20_000; i < 20_000 + adds; i++) store.add(session(i));
    assert.equal(store.size, 20_000);
    assert.equal(store.get("ASIA4999"), undefined);
    assert.ok(store.get("ASIA5000") !== undefined && store.get("ASIA24999") !== undefined);
    const perAdd = examined / adds;
    assert.ok(perAdd >= 1, `each add past the cap evicts at least one entry (examined ${examined})`);
    assert.ok(perAdd < 50, `${perAdd.toFixed(1)} entries examined per add past the cap; a full walk per add would be ~20,000`);
  });
});
