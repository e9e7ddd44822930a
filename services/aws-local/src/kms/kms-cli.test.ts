// KMS through the real AWS CLI (v1 or v2) against a running aws-local with the dev seed: the CLI has
// its own signer (botocore) and blob handling, so this catches what the JS SDK tests can't.

import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { DEV_REPLY_KEY_ALIAS, devCredentials } from "../dev-seed.js";
import { startQuiet, TEST_REGION } from "../testing/harness.js";

const run = promisify(execFile);
type Local = Awaited<ReturnType<typeof startQuiet>>;

const CONTEXT_ARG = "credvend:tenant=acme,credvend:principal=demo-app";

interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

async function findAws(): Promise<void> {
  try {
    await run("aws", ["--version"], { timeout: 30_000 });
  } catch {
    assert.fail("the `aws` CLI is not on PATH; install it (e.g. `apt-get install awscli`) so this test can drive KMS through it");
  }
}

async function aws(local: Local, user: string, args: readonly string[]): Promise<CliResult> {
  const { accessKeyId, secretAccessKey } = devCredentials(user);
  const env = {
    PATH: process.env["PATH"] ?? "",
    HOME: process.env["HOME"] ?? tmpdir(),
    AWS_ENDPOINT_URL: local.endpoint,
    AWS_ACCESS_KEY_ID: accessKeyId,
    AWS_SECRET_ACCESS_KEY: secretAccessKey,
    AWS_REGION: TEST_REGION,
    // CLI v1 reads AWS_DEFAULT_REGION, not AWS_REGION.
    AWS_DEFAULT_REGION: TEST_REGION,
    // Keep a developer's own profile/config out of the test.
    AWS_CONFIG_FILE: "/dev/null",
    AWS_SHARED_CREDENTIALS_FILE: "/dev/null",
    AWS_PAGER: "",
    AWS_MAX_ATTEMPTS: "1",
  };
  try {
    // --endpoint-url as well as AWS_ENDPOINT_URL: CLIs older than v1.29 / v2.13 (Debian 12 ships
    // 2.9.19) ignore the variable and would otherwise call real AWS.
    const { stdout, stderr } = await run("aws", [...args, "--endpoint-url", local.endpoint, "--output", "json"], { env, timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("KMS through the aws CLI", () => {
  let local: Local;
  let dir: string;
  before(async () => {
    local = await startQuiet({ region: TEST_REGION });
    dir = await mkdtemp(join(tmpdir(), "aws-local-cli-"));
  });
  after(async () => {
    await local?.stop();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it("generate-data-key as the vendor, decrypt as demo-app, refuse other-app and a wrong context", async () => {
    // Checked here, not in before(): node:test reports a failed hook as "cancelled", not failed.
    await findAws();
    const generated = await aws(local, "credvend-vendor", [
      "kms", "generate-data-key",
      "--key-id", DEV_REPLY_KEY_ALIAS,
      "--key-spec", "AES_256",
      "--encryption-context", CONTEXT_ARG,
    ]);
    assert.equal(generated.code, 0, generated.stderr);
    const dk = JSON.parse(generated.stdout) as { CiphertextBlob: string; Plaintext: string; KeyId: string };
    assert.match(dk.KeyId, /:key\/c0ffee00-0000-4000-8000-000000000001$/);
    assert.equal(Buffer.from(dk.Plaintext, "base64").length, 32);

    // fileb:// passes raw bytes on both CLI v1 and v2.
    const blobFile = join(dir, "data-key.bin");
    await writeFile(blobFile, Buffer.from(dk.CiphertextBlob, "base64"));

    const decrypted = await aws(local, "demo-app", ["kms", "decrypt", "--ciphertext-blob", `fileb://${blobFile}`, "--encryption-context", CONTEXT_ARG]);
    assert.equal(decrypted.code, 0, decrypted.stderr);
    assert.equal((JSON.parse(decrypted.stdout) as { Plaintext: string }).Plaintext, dk.Plaintext);

    const denied = await aws(local, "other-app", ["kms", "decrypt", "--ciphertext-blob", `fileb://${blobFile}`, "--encryption-context", CONTEXT_ARG]);
    assert.notEqual(denied.code, 0);
    assert.match(denied.stderr, /AccessDeniedException/);

    const wrong = await aws(local, "demo-app", [
      "kms", "decrypt", "--ciphertext-blob", `fileb://${blobFile}`, "--encryption-context", "credvend:tenant=globex,credvend:principal=demo-app",
    ]);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.stderr, /InvalidCiphertextException/);
  });
});
