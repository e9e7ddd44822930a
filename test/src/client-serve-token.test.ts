// `credvend serve` prints AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE for its clients: the file must be
// one the SDKs can use as it is. They send its bytes unchanged as the Authorization header (the
// JS SDK's header then fails in Node with a trailing newline; botocore refuses one), so these run
// the unmodified JS SDK and AWS CLI with exactly the two variables serve prints, nothing else.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { uniqueName } from "@credvend/testkit";
import { ROOT, runFile, spawnCredvend, type CliProcess } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { kmsRequesterEnv, REGION, startHarness, type Harness } from "./support/harness.js";

const TEMPLATE = ["--template", "s3-tenant-read", "--param", "bucket=acme-data"];
const JOB = `import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
const id = await new STSClient({}).send(new GetCallerIdentityCommand({}));
console.log(id.Arn);
`;

describe("credvend serve's token file, as the AWS SDKs read it", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-serve-token-"));
  const job = path.join(ROOT, "test", ".client-serve-token-job.mjs");
  const tenant = uniqueName("servetok");
  let h: Harness;
  const running: CliProcess[] = [];

  before(async () => {
    writeFileSync(job, JOB);
    h = await startHarness({ config: demoConfig({ tenants: [tenant] }) });
  });
  after(async () => {
    for (const p of running) p.kill();
    await h?.stop();
    rmSync(job, { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  test("the JS SDK and the AWS CLI, given only the printed URI and token file, get the assumed role", async () => {
    const tokenFile = path.join(dir, "token");
    const p = spawnCredvend(["serve", ...TEMPLATE, "--token-file", tokenFile, "--port", "0"], kmsRequesterEnv(h, tenant, path.join(dir, "cache")));
    running.push(p);
    await p.waitFor(/AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE/, 30_000);
    const printed = (name: string) => new RegExp(`export ${name}='([^']+)'`).exec(p.output())?.[1] ?? "";
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH ?? "",
      HOME: dir,
      AWS_CONFIG_FILE: path.join(dir, "none"),
      AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "none"),
      AWS_ENDPOINT_URL: h.awsLocal.endpoint,
      AWS_REGION: REGION,
      AWS_DEFAULT_REGION: REGION,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      AWS_CONTAINER_CREDENTIALS_FULL_URI: printed("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
      AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE: printed("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
    };
    assert.equal(env.AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, tokenFile);
    const js = await runFile(process.execPath, [job], env);
    assert.equal(js.code, 0, js.stderr);
    assert.match(js.stdout, /assumed-role\/credvend-demo\//);
    const cli = await runFile("aws", ["sts", "get-caller-identity", "--query", "Arn", "--output", "text"], env);
    assert.equal(cli.code, 0, cli.stderr);
    assert.match(cli.stdout, /assumed-role\/credvend-demo\//);
  });
});
