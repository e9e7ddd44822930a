// Drives aws-local with the real AWS CLI (botocore signs differently from the JS SDK: fewer signed
// headers, no x-amz-content-sha256, `; charset=utf-8`). The CLI must be installed: a missing CLI
// fails this test rather than skipping it.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { devCredentials } from "./dev-seed.js";
import { startQuiet } from "./testing/harness.js";

const run = promisify(execFile);
type Local = Awaited<ReturnType<typeof startQuiet>>;

function requireAwsCli(): string {
  const probe = spawnSync("aws", ["--version"], { encoding: "utf8" });
  if (probe.error !== undefined || probe.status !== 0) {
    assert.fail(
      "the AWS CLI (`aws`) is not on PATH; install it with `apt-get install awscli` (or `pip install awscli`) and re-run the aws-local tests",
    );
  }
  return `${probe.stdout}${probe.stderr}`.trim();
}

describe("AWS CLI against aws-local", () => {
  let local: Local;
  let isolated: string;
  before(async () => {
    local = await startQuiet();
    isolated = mkdtempSync(join(tmpdir(), "aws-local-cli-"));
  });
  after(async () => {
    await local?.stop();
    if (isolated !== undefined) rmSync(isolated, { recursive: true, force: true });
  });

  async function aws(args: string[], creds: { accessKeyId: string; secretAccessKey: string; sessionToken?: string }): Promise<unknown> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env["PATH"],
      HOME: isolated,
      AWS_CONFIG_FILE: join(isolated, "config"),
      AWS_SHARED_CREDENTIALS_FILE: join(isolated, "credentials"),
      AWS_ENDPOINT_URL: local.endpoint,
      AWS_ACCESS_KEY_ID: creds.accessKeyId,
      AWS_SECRET_ACCESS_KEY: creds.secretAccessKey,
      AWS_DEFAULT_REGION: "eu-west-1",
      AWS_REGION: "eu-west-1",
      AWS_EC2_METADATA_DISABLED: "true",
      AWS_PAGER: "",
      ...(creds.sessionToken === undefined ? {} : { AWS_SESSION_TOKEN: creds.sessionToken }),
    };
    // --endpoint-url as well as AWS_ENDPOINT_URL: CLI v2 before 2.13 and v1 before 1.29 ignore the variable.
    const { stdout } = await run("aws", [...args, "--endpoint-url", local.endpoint, "--output", "json"], { env, timeout: 60_000 });
    return JSON.parse(stdout);
  }

  it("aws sts get-caller-identity and aws sts assume-role work, and the issued credentials work too", async () => {
    const version = requireAwsCli();
    const me = (await aws(["sts", "get-caller-identity"], devCredentials("credvend-vendor"))) as { Arn: string };
    assert.equal(me.Arn, "arn:aws:iam::000000000000:user/credvend-vendor", version);
    const assumed = (await aws(
      [
        "sts",
        "assume-role",
        "--role-arn",
        "arn:aws:iam::000000000000:role/credvend-demo",
        "--role-session-name",
        "from-cli",
        "--duration-seconds",
        "900",
        "--tags",
        "Key=tenant,Value=t1",
        "--transitive-tag-keys",
        "tenant",
      ],
      devCredentials("credvend-vendor"),
    )) as { Credentials: { AccessKeyId: string; SecretAccessKey: string; SessionToken: string }; AssumedRoleUser: { Arn: string } };
    assert.equal(assumed.AssumedRoleUser.Arn, "arn:aws:sts::000000000000:assumed-role/credvend-demo/from-cli");
    const again = (await aws(["sts", "get-caller-identity"], {
      accessKeyId: assumed.Credentials.AccessKeyId,
      secretAccessKey: assumed.Credentials.SecretAccessKey,
      sessionToken: assumed.Credentials.SessionToken,
    })) as { Arn: string };
    assert.equal(again.Arn, "arn:aws:sts::000000000000:assumed-role/credvend-demo/from-cli");
    const view = await local.admin.session(assumed.Credentials.AccessKeyId);
    assert.deepEqual(view?.sessionTags, { tenant: "t1" });
  });

  it("a wrong secret fails in the CLI with SignatureDoesNotMatch", async () => {
    requireAwsCli();
    await assert.rejects(
      () => aws(["sts", "get-caller-identity"], { accessKeyId: devCredentials("demo-app").accessKeyId, secretAccessKey: "dev-only-wrong" }),
      /SignatureDoesNotMatch/,
    );
  });
});
