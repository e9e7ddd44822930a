// The batch example (services/cli/examples/batch-bootstrap), run as its README says: run.sh calls
// `credvend exec --template etl -- node job.js`, and the unmodified AWS SDK in job.js runs as the
// template's role with nothing but the endpoint credvend serves; the host's own secrets stay out.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createPublicKey, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { uniqueName } from "@credvend/testkit";
import { ROOT } from "./support/cli.js";
import { REGION, startHarness, type Harness } from "./support/harness.js";

const EXAMPLE = path.join(ROOT, "services/cli/examples/batch-bootstrap");

describe("batch bootstrap example", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-batch-"));
  const tenant = uniqueName("batch");
  let h: Harness;
  let sealingPublicKey = "";

  before(async () => {
    // The example's config as it is, for a tenant of this test's own.
    const config = readFileSync(path.join(EXAMPLE, "credvend.yaml"), "utf8").replace(/"acme"/g, JSON.stringify(tenant));
    // The fleet's sealing key, as an operator makes it: the batch host pins its public half.
    const pem = String(generateKeyPairSync("x25519").privateKey.export({ format: "pem", type: "pkcs8" }));
    writeFileSync(path.join(dir, "sealing-key.pem"), pem, { mode: 0o600 });
    sealingPublicKey = Buffer.from(createPublicKey(pem).export({ format: "jwk" }).x ?? "", "base64url").toString("base64");
    h = await startHarness({ config, env: { CREDVEND_SEALING_KEY_FILE: path.join(dir, "sealing-key.pem") } });
    // `credvend` on the PATH, as an install puts it there.
    symlinkSync(path.join(ROOT, "services/cli/bin/credvend.js"), path.join(dir, "credvend"));
  });
  after(async () => {
    await h?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("run.sh runs job.js as the etl role on a host with no AWS identity (sealed replies); no static keys and no NATS password in the job's environment", async () => {
    const env: NodeJS.ProcessEnv = {
      PATH: `${dir}:${path.dirname(process.execPath)}:${process.env.PATH ?? ""}`,
      HOME: dir,
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
      AWS_ENDPOINT_URL: h.awsLocal.endpoint,
      AWS_REGION: REGION,
      NATS_URL: h.natsUrl,
      NATS_PASSWORD: "the-host-keeps-this",
      CREDVEND_TENANT: tenant,
      CREDVEND_PRINCIPAL: "demo-app",
      CREDVEND_SEALING_PUBLIC_KEY: sealingPublicKey,
      CREDVEND_CACHE_DIR: path.join(dir, "cache"),
      JOB_STEPS: "2",
      JOB_STEP_GAP_MS: "200",
    };
    const before = (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;
    const decryptsBefore = (await h.awsLocal.admin.calls())["kms:Decrypt"]?.total ?? 0;
    const { stdout } = await new Promise<{ stdout: string }>((resolve, reject) => {
      execFile("sh", [path.join(EXAMPLE, "run.sh")], { env, cwd: dir, timeout: 60_000, encoding: "utf8" }, (error, out, err) => (error ? reject(new Error(`${error.message}\n${err}`)) : resolve({ stdout: out })));
    });
    const steps = stdout.trim().split("\n").map((l) => JSON.parse(l) as { step: number; arn: string; staticKeys: boolean; natsPassword: boolean });
    assert.equal(steps.length, 2);
    for (const s of steps) {
      assert.match(s.arn, /^arn:aws:sts::000000000000:assumed-role\/credvend-demo\//);
      assert.equal(s.staticKeys, false);
      assert.equal(s.natsPassword, false);
    }
    assert.equal(((await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0) - before, 1);
    assert.equal(((await h.awsLocal.admin.calls())["kms:Decrypt"]?.total ?? 0) - decryptsBefore, 0, "the host opened its reply with no AWS call");
  });
});
