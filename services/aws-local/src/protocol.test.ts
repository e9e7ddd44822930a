import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { DescribeKeyCommand, KMSClient } from "@aws-sdk/client-kms";
import { createHash, createHmac } from "node:crypto";
import { SignatureV4 } from "@smithy/signature-v4";
import { devCredentials } from "./dev-seed.js";
import { FORM, kmsClient, rawRequest, sdkError, startQuiet, stsClient, xmlCode } from "./testing/harness.js";

type Local = Awaited<ReturnType<typeof startQuiet>>;
const vendor = devCredentials("credvend-vendor");
const GCI = "Action=GetCallerIdentity&Version=2011-06-15";
const toBytes = (d: string | ArrayBuffer | ArrayBufferView): string | Uint8Array =>
  typeof d === "string" ? d : d instanceof ArrayBuffer ? new Uint8Array(d) : new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
const KMS_JSON = { "content-type": "application/x-amz-json-1.1" };

describe("SigV4 verification", () => {
  let local: Local;
  before(async () => {
    local = await startQuiet();
  });
  after(async () => local.stop());

  it("a wrong secret is SignatureDoesNotMatch 403 (STS) / InvalidSignatureException 400 (KMS)", async () => {
    const bad = { accessKeyId: vendor.accessKeyId, secretAccessKey: "dev-only-wrong-secret-0000000000000000000" };
    const sts = await sdkError(() => stsClient(local, bad).send(new GetCallerIdentityCommand({})));
    assert.equal(sts.name, "SignatureDoesNotMatch");
    assert.equal(sts.$metadata?.httpStatusCode, 403);
    const kms = await sdkError(() => kmsClient(local, bad).send(new DescribeKeyCommand({ KeyId: "alias/credvend-replies" })));
    assert.equal(kms.name, "InvalidSignatureException");
    assert.equal(kms.$metadata?.httpStatusCode, 400);
  });

  it("an unknown access key is InvalidClientTokenId 403 / UnrecognizedClientException 400", async () => {
    const unknown = { accessKeyId: "AKIAUNKNOWNUNKNOWN00", secretAccessKey: "whatever-whatever-whatever" };
    const sts = await sdkError(() => stsClient(local, unknown).send(new GetCallerIdentityCommand({})));
    assert.equal(sts.name, "InvalidClientTokenId");
    assert.equal(sts.$metadata?.httpStatusCode, 403);
    assert.equal(sts.message, "The security token included in the request is invalid.");
    const kms = await sdkError(() => kmsClient(local, unknown).send(new DescribeKeyCommand({ KeyId: "alias/credvend-replies" })));
    assert.equal(kms.name, "UnrecognizedClientException");
  });

  it("temporary credentials need their own session token, and expire on the emulated clock", async () => {
    const out = await stsClient(local).send(
      new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/credvend-demo", RoleSessionName: "tok", DurationSeconds: 900 }),
    );
    const c = out.Credentials;
    const wrongToken = { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: "bm90LXRoZS10b2tlbg==" };
    assert.equal((await sdkError(() => stsClient(local, wrongToken).send(new GetCallerIdentityCommand({})))).name, "InvalidClientTokenId");
    const noToken = { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "" };
    assert.equal((await sdkError(() => stsClient(local, noToken).send(new GetCallerIdentityCommand({})))).name, "InvalidClientTokenId");
    const good = { accessKeyId: c?.AccessKeyId ?? "", secretAccessKey: c?.SecretAccessKey ?? "", sessionToken: c?.SessionToken ?? "" };
    await local.admin.advanceClock(3600);
    try {
      const kms = await sdkError(() => kmsClient(local, good).send(new DescribeKeyCommand({ KeyId: "alias/credvend-replies" })));
      assert.equal(kms.name, "ExpiredTokenException");
      assert.equal(kms.$metadata?.httpStatusCode, 400);
    } finally {
      await local.admin.reset();
    }
  });

  it("a request signed outside the clock-skew window is refused with 'Signature expired'", async () => {
    const r = await rawRequest(local, { headers: FORM, body: GCI, sign: { creds: vendor, service: "sts", nowMs: Date.now() - 10 * 60_000 } });
    assert.equal(r.status, 403);
    assert.equal(xmlCode(r.text), "SignatureDoesNotMatch");
    assert.match(r.text, /Signature expired: \d{8}T\d{6}Z is now earlier than/);
    const future = await rawRequest(local, { headers: FORM, body: GCI, sign: { creds: vendor, service: "sts", nowMs: Date.now() + 10 * 60_000 } });
    assert.match(future.text, /Signature not yet current/);
  });

  it("a request signed for another region than the endpoint's is refused, as a regional AWS endpoint refuses it", async () => {
    // The SDK signs for the client's region; this aws-local serves TEST_REGION (eu-west-1).
    const sts = new STSClient({ region: "us-west-2", endpoint: local.endpoint, credentials: vendor, maxAttempts: 1 });
    const kms = new KMSClient({ region: "us-west-2", endpoint: local.endpoint, credentials: vendor, maxAttempts: 1 });
    try {
      const stsErr = await sdkError(() => sts.send(new GetCallerIdentityCommand({})));
      assert.deepEqual([stsErr.name, stsErr.$metadata?.httpStatusCode], ["SignatureDoesNotMatch", 403]);
      assert.match(stsErr.message, /Credential should be scoped to a valid region, not 'us-west-2'.*serves eu-west-1/);
      const kmsErr = await sdkError(() => kms.send(new DescribeKeyCommand({ KeyId: "alias/credvend-replies" })));
      assert.deepEqual([kmsErr.name, kmsErr.$metadata?.httpStatusCode], ["InvalidSignatureException", 400]);
    } finally {
      sts.destroy();
      kms.destroy();
    }
  });

  it("a credential scope for another service is refused", async () => {
    const r = await rawRequest(local, { headers: FORM, body: GCI, sign: { creds: vendor, service: "kms" } });
    assert.equal(xmlCode(r.text), "SignatureDoesNotMatch");
    assert.match(r.text, /scoped to correct service: 'sts'/);
  });

  it("a body that does not match x-amz-content-sha256 is refused", async () => {
    const signed = await rawRequest(local, { headers: FORM, body: GCI, sign: { creds: vendor, service: "sts" } });
    assert.equal(signed.status, 200);
    // Re-send the signed headers with a different body.
    const url = new URL("/", local.endpoint);
    const { signHeaders } = await import("./sigv4.js");
    const h = signHeaders({ method: "POST", host: url.host, headers: FORM, body: GCI, ...vendor, region: "eu-west-1", service: "sts", nowMs: Date.now() });
    const res = await fetch(url, { method: "POST", headers: { ...FORM, ...h }, body: `${GCI}&x=1` });
    assert.equal(res.status, 403);
    assert.match(await res.text(), /x-amz-content-sha256/);
  });

  it("a presigned GET URL (the EKS/Vault IAM-auth pattern) is accepted; tampering is refused", async () => {
    // @smithy/signature-v4 is the SDK's own signer (installed with @aws-sdk/client-sts).
    class Sha256 {
      private readonly h;
      constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
        this.h = secret === undefined ? createHash("sha256") : createHmac("sha256", toBytes(secret));
      }
      update(data: string | ArrayBuffer | ArrayBufferView): void {
        this.h.update(toBytes(data));
      }
      digest(): Promise<Uint8Array> {
        return Promise.resolve(new Uint8Array(this.h.digest()));
      }
    }
    const url = new URL(local.endpoint);
    const signer = new SignatureV4({ service: "sts", region: "eu-west-1", sha256: Sha256, credentials: vendor });
    const signed = await signer.presign(
      { method: "GET", protocol: "http:", hostname: url.hostname, port: Number(url.port), path: "/", query: { Action: "GetCallerIdentity", Version: "2011-06-15" }, headers: { host: url.host } },
      { expiresIn: 60 },
    );
    const qs = new URLSearchParams(signed.query as Record<string, string>);
    const ok = await rawRequest(local, { method: "GET", path: `/?${qs}` });
    assert.equal(ok.status, 200, ok.text);
    assert.match(ok.text, /user\/credvend-vendor/);
    qs.set("Version", "2011-06-16");
    const tampered = await rawRequest(local, { method: "GET", path: `/?${qs}` });
    assert.equal(xmlCode(tampered.text), "SignatureDoesNotMatch");
  });

  it("no Authorization is MissingAuthenticationToken; a malformed one is IncompleteSignature", async () => {
    const none = await rawRequest(local, { headers: FORM, body: GCI });
    assert.equal(none.status, 403);
    assert.equal(xmlCode(none.text), "MissingAuthenticationToken");
    const partial = await rawRequest(local, { headers: { ...FORM, authorization: "AWS4-HMAC-SHA256 Credential=AKIADEVONLYVENDOR001/20261129/eu-west-1/sts/aws4_request" }, body: GCI });
    assert.equal(partial.status, 400);
    assert.equal(xmlCode(partial.text), "IncompleteSignature");
    const kmsNone = await rawRequest(local, { headers: { ...KMS_JSON, "x-amz-target": "TrentService.DescribeKey" }, body: "{}" });
    assert.equal(kmsNone.status, 400);
    assert.equal(JSON.parse(kmsNone.text).__type, "MissingAuthenticationTokenException");
  });
});

describe("awsQuery / awsJson framing and hostile input", () => {
  let local: Local;
  before(async () => {
    local = await startQuiet();
  });
  after(async () => local.stop());
  const signedSts = (body: string | Buffer, headers: Record<string, string> = FORM) =>
    rawRequest(local, { headers, body, sign: { creds: vendor, service: "sts" } });

  it("every reply has x-amzn-requestid and an accurate Date, success or error", async () => {
    for (const r of [await signedSts(GCI), await rawRequest(local, { headers: FORM, body: GCI })]) {
      assert.match(r.headers.get("x-amzn-requestid") ?? "", /^[0-9a-f-]{36}$/);
      assert.ok(Math.abs(Date.parse(r.headers.get("date") ?? "") - Date.now()) < 5_000);
    }
  });

  it("the success XML has <Op>Response/<Op>Result and ResponseMetadata/RequestId", async () => {
    const r = await signedSts(GCI, { "content-type": "application/x-www-form-urlencoded" });
    assert.equal(r.status, 200);
    assert.equal(r.headers.get("content-type"), "text/xml");
    assert.match(r.text, /^<GetCallerIdentityResponse xmlns="https:\/\/sts.amazonaws.com\/doc\/2011-06-15\/">/);
    assert.match(r.text, /<GetCallerIdentityResult><UserId>AIDA/);
    assert.ok(r.text.includes(`<RequestId>${r.headers.get("x-amzn-requestid")}</RequestId>`));
  });

  it("GET with a query string works (signed)", async () => {
    const r = await rawRequest(local, { method: "GET", path: `/?${GCI}`, sign: { creds: vendor, service: "sts" } });
    assert.equal(r.status, 200, r.text);
    assert.match(r.text, /user\/credvend-vendor/);
  });

  it("garbage body -> MissingAction; unknown action -> InvalidAction; missing Version -> MissingParameter", async () => {
    const garbage = await signedSts(Buffer.from([0xff, 0x00, 0x3c, 0x26, 0x3d, 0x25]));
    assert.equal(garbage.status, 400);
    assert.equal(xmlCode(garbage.text), "MissingAction");
    assert.match(garbage.text, /<ErrorResponse xmlns=[^>]+>\s*<Error><Type>Sender<\/Type><Code>MissingAction/);
    const unknown = await signedSts("Action=DeleteEverything&Version=2011-06-15");
    assert.equal(xmlCode(unknown.text), "InvalidAction");
    assert.match(unknown.text, /Could not find operation DeleteEverything for version 2011-06-15/);
    const noVersion = await signedSts("Action=GetCallerIdentity");
    assert.equal(xmlCode(noVersion.text), "MissingParameter");
  });

  it("missing required parameters -> ValidationError naming them", async () => {
    const r = await signedSts("Action=AssumeRole&Version=2011-06-15");
    assert.equal(r.status, 400);
    assert.equal(xmlCode(r.text), "ValidationError");
    assert.match(r.text, /2 validation errors detected: Value null at 'roleArn'.*Value null at 'roleSessionName'/);
  });

  it("user input in messages is XML-escaped (the SDK reads it back verbatim)", async () => {
    const err = await sdkError(() =>
      stsClient(local).send(new AssumeRoleCommand({ RoleArn: "arn:aws:iam::000000000000:role/credvend-demo", RoleSessionName: "<x&'\">" })),
    );
    assert.match(err.message, /Value '<x&'">' at 'roleSessionName'/);
    const raw = await signedSts(`Action=AssumeRole&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A000000000000%3Arole%2Fx&RoleSessionName=%3Cx%26`);
    assert.ok(raw.text.includes("&lt;x&amp;"));
  });

  it("a body over 1 MiB is 413 in the service's spelling, and the server stays up", async () => {
    const big = `Action=GetCallerIdentity&Version=2011-06-15&pad=${"a".repeat(2 * 1024 * 1024)}`;
    const sts = await rawRequest(local, { headers: FORM, body: big });
    assert.equal(sts.status, 413);
    assert.equal(xmlCode(sts.text), "RequestEntityTooLarge");
    const kms = await rawRequest(local, { headers: { ...KMS_JSON, "x-amz-target": "TrentService.Encrypt" }, body: big });
    assert.equal(kms.status, 413);
    assert.equal(JSON.parse(kms.text).__type, "RequestEntityTooLargeException");
    assert.equal((await signedSts(GCI)).status, 200);
  });

  it("KMS: unknown target -> UnknownOperationException; garbage JSON -> SerializationException", async () => {
    const other = await rawRequest(local, { headers: { ...KMS_JSON, "x-amz-target": "DynamoDB_20120810.GetItem" }, body: "{}" });
    assert.equal(other.status, 400);
    assert.equal(JSON.parse(other.text).__type, "UnknownOperationException");
    assert.equal(other.headers.get("content-type"), "application/x-amz-json-1.1");
    const signedKms = (target: string, body: string) =>
      rawRequest(local, { headers: { ...KMS_JSON, "x-amz-target": target }, body, sign: { creds: vendor, service: "kms" } });
    assert.equal(JSON.parse((await signedKms("TrentService.NoSuchOp", "{}")).text).__type, "UnknownOperationException");
    assert.equal(JSON.parse((await signedKms("TrentService.DescribeKey", "{oops")).text).__type, "SerializationException");
    assert.equal(JSON.parse((await signedKms("TrentService.DescribeKey", "[1]")).text).__type, "SerializationException");
  });

  it("unsigned STS operations are routed before authentication: missing members are a ValidationError, not a signature error", async () => {
    for (const action of ["AssumeRoleWithWebIdentity", "AssumeRoleWithSAML"]) {
      const r = await rawRequest(local, { headers: FORM, body: `Action=${action}&Version=2011-06-15` });
      assert.equal(r.status, 400);
      assert.equal(xmlCode(r.text), "ValidationError");
      assert.match(r.text, /at 'roleArn' failed to satisfy constraint: Member must not be null/);
    }
  });

  it("other paths and methods get AWS-shaped errors", async () => {
    const path = await rawRequest(local, { path: "/nope", headers: FORM, body: GCI });
    assert.equal(path.status, 404);
    assert.equal(xmlCode(path.text), "InvalidAction");
    const put = await rawRequest(local, { method: "PUT", headers: FORM, body: GCI });
    assert.equal(put.status, 405);
  });
});
