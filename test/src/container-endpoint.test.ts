// `credvend exec` and `credvend serve`: the container-credentials endpoint that the unmodified JS
// SDK and the AWS CLI use given only AWS_CONTAINER_CREDENTIALS_FULL_URI and the token. Shown: both
// get the assumed role; they keep working across a credential's expiry (aws-local's clock is set
// back so the first credential lives seconds, then put right so it is really refused); requests
// without the token or with a wrong one are refused; a non-loopback bind is refused; exec passes
// the exit code and signals through and keeps the requester's own secrets from the command.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { uniqueName } from "@credvend/testkit";
import { credvend, ROOT, runFile, spawnCredvend, type CliProcess } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { kmsRequesterEnv, REGION, startHarness, type Harness } from "./support/harness.js";

const TEMPLATE = ["--template", "s3-tenant-read", "--param", "bucket=acme-data"];

/** A JS SDK job: GetCallerIdentity every `gapMs` for `count` calls, one JSON line per call. */
const JOB = `import { GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
const sts = new STSClient({});
const [count, gapMs] = process.argv.slice(2).map(Number);
for (let i = 0; i < count; i += 1) {
  const id = await sts.send(new GetCallerIdentityCommand({}));
  const creds = await sts.config.credentials();
  console.log(JSON.stringify({ arn: id.Arn, accessKeyId: creds.accessKeyId, envKey: process.env.AWS_ACCESS_KEY_ID ?? null, natsPassword: process.env.NATS_PASSWORD ?? null, ownKey: process.env.CREDVEND_AWS_SECRET_ACCESS_KEY ?? null }));
  if (i + 1 < count) await new Promise((r) => setTimeout(r, gapMs));
}
process.exit(Number(process.env.JOB_EXIT ?? 0));
`;

interface JobLine {
  readonly arn: string;
  readonly accessKeyId: string;
  readonly envKey: string | null;
  readonly natsPassword: string | null;
  readonly ownKey: string | null;
}

describe("the container-credentials endpoint of credvend exec and serve", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-endpoint-"));
  const job = path.join(ROOT, "test", ".endpoint-job.mjs");
  const tenant = uniqueName("endpoint");
  let h: Harness;
  const running: CliProcess[] = [];

  before(async () => {
    // The job lives in the checkout so that it finds the AWS SDK as any project would.
    writeFileSync(job, JOB);
    // 15 minutes, as AWS allows: the expiry test sets aws-local's clock back by almost that much.
    h = await startHarness({ config: demoConfig({ tenants: [tenant] }), clockSkewSeconds: 900 });
  });
  after(async () => {
    for (const p of running) p.kill();
    await h?.stop();
    rmSync(job, { force: true });
    rmSync(dir, { recursive: true, force: true });
  });

  const requesterEnv = (cache: string): Record<string, string> => ({
    ...kmsRequesterEnv(h, tenant, path.join(dir, cache)),
    NATS_PASSWORD: "not-for-the-job",
    AWS_DEFAULT_REGION: REGION,
    // Would shadow the endpoint in the job if exec passed it on.
    AWS_ACCESS_KEY_ID: "AKIAWRONGWRONGWRONG1",
    AWS_SECRET_ACCESS_KEY: "wrong",
  });
  /** Only the endpoint and where AWS is: what the job is given. */
  const endpointEnv = (url: string, token: string): NodeJS.ProcessEnv => ({
    PATH: process.env.PATH ?? "",
    HOME: dir,
    AWS_CONFIG_FILE: path.join(dir, "none"),
    AWS_SHARED_CREDENTIALS_FILE: path.join(dir, "none"),
    AWS_ENDPOINT_URL: h.awsLocal.endpoint,
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true",
    AWS_CONTAINER_CREDENTIALS_FULL_URI: url,
    AWS_CONTAINER_AUTHORIZATION_TOKEN: token,
  });

  test("exec: the JS SDK job gets the assumed role from the endpoint, not from keys in its environment, and its exit code passes through", async () => {
    const r = await credvend(["exec", ...TEMPLATE, "--", process.execPath, job, "2", "10"], { ...requesterEnv("exec"), JOB_EXIT: "7" }, 60_000);
    assert.equal(r.code, 7, r.stderr);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as JobLine);
    assert.equal(lines.length, 2);
    for (const line of lines) {
      assert.match(line.arn, /assumed-role\/credvend-demo\//);
      assert.match(line.accessKeyId, /^ASIA/);
      assert.deepEqual([line.envKey, line.natsPassword, line.ownKey], [null, null, null]);
    }
  });

  test("exec: the AWS CLI gets the assumed role; no command after '--' is a usage error", async () => {
    const r = await credvend(["exec", ...TEMPLATE, "--", "aws", "sts", "get-caller-identity", "--output", "json"], requesterEnv("exec"), 60_000);
    assert.equal(r.code, 0, r.stderr);
    assert.match((JSON.parse(r.stdout) as { Arn: string }).Arn, /assumed-role\/credvend-demo\//);
    const usage = await credvend(["exec", ...TEMPLATE], requesterEnv("exec"));
    assert.equal(usage.code, 2);
    assert.match(usage.stderr, /give the command to run after '--'/);
  });

  test("exec: signals reach the command, and credvend ends as the command ended", async () => {
    const script = "process.on('SIGTERM', () => process.exit(42)); console.log('ready'); setInterval(() => {}, 1000);";
    const p = spawnCredvend(["exec", ...TEMPLATE, "--", process.execPath, "-e", script], requesterEnv("exec"));
    running.push(p);
    await p.waitFor(/ready/, 30_000);
    p.child.kill("SIGTERM");
    assert.equal(await p.exited, 42);
    const killed = spawn(process.execPath, [path.join(ROOT, "services/cli/bin/credvend.js"), "exec", ...TEMPLATE, "--", "sh", "-c", "kill -KILL $$"], { env: { ...process.env, ...requesterEnv("exec") }, stdio: "ignore" });
    const signal = await new Promise<NodeJS.Signals | null>((resolve) => killed.once("exit", (_code, s) => resolve(s)));
    assert.equal(signal, "SIGKILL");
  });

  test("serve: token required and compared, health without it, loopback only", async () => {
    const tokenFile = path.join(dir, "serve-token");
    const p = spawnCredvend(["serve", ...TEMPLATE, "--token-file", tokenFile, "--port", "0"], requesterEnv("serve"));
    running.push(p);
    await p.waitFor(/AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE/, 30_000);
    const url = /AWS_CONTAINER_CREDENTIALS_FULL_URI='([^']+)'/.exec(p.output())?.[1] ?? "";
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/credentials$/);
    assert.equal(statSync(tokenFile).mode & 0o777, 0o600);
    const token = readFileSync(tokenFile, "utf8").trim();
    assert.ok(!p.output().includes(token), "the token is never printed");
    assert.equal((await fetch(url)).status, 401);
    assert.equal((await fetch(url, { headers: { authorization: `${token}x` } })).status, 403);
    assert.equal((await fetch(url, { headers: { authorization: token.slice(0, -1) } })).status, 403);
    assert.equal((await fetch(url, { headers: { authorization: token, origin: "http://evil.example" } })).status, 403);
    const ok = await fetch(url, { headers: { authorization: token } });
    assert.equal(ok.status, 200);
    const body = (await ok.json()) as { AccessKeyId: string; Token: string; Expiration: string };
    assert.match(body.AccessKeyId, /^ASIA/);
    assert.ok(Date.parse(body.Expiration) > Date.now());
    const health = await fetch(url.replace("/credentials", "/healthz"));
    assert.equal(health.status, 200);
    assert.doesNotMatch(await health.text(), /ASIA/);
    // The AWS CLI with only the URI and the token (the JS SDK: the expiry test below); the
    // endpoint serves what it holds, so commands in a row cost no AssumeRole.
    const before = (await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0;
    for (let i = 0; i < 3; i += 1) {
      const cli = await runFile("aws", ["sts", "get-caller-identity", "--output", "json"], endpointEnv(url, token));
      assert.equal(cli.code, 0, cli.stderr);
      assert.match((JSON.parse(cli.stdout) as { Arn: string }).Arn, /assumed-role\/credvend-demo\//);
    }
    assert.equal(((await h.awsLocal.admin.calls())["sts:AssumeRole"]?.ok ?? 0) - before, 0);
    const wrong = await runFile("aws", ["sts", "get-caller-identity"], endpointEnv(url, "x".repeat(43)));
    assert.notEqual(wrong.code, 0);
    p.child.kill("SIGTERM");
    assert.equal(await p.exited, 0);
    const shared = path.join(dir, "shared-token");
    writeFileSync(shared, "t".repeat(40), { mode: 0o644 });
    const open = await credvend(["serve", ...TEMPLATE, "--token-file", shared], requesterEnv("serve"));
    assert.equal(open.code, 1);
    assert.match(open.stderr, /is readable by other users \(mode 0644\); run chmod 600/);
    for (const host of ["0.0.0.0", "192.168.1.10", "::"]) {
      const refused = await credvend(["serve", ...TEMPLATE, "--token-file", tokenFile, "--host", host], requesterEnv("serve"));
      assert.equal(refused.code, 2, `${host}: ${refused.stderr}`);
      assert.match(refused.stderr, /is not a loopback address/);
    }
  });

  test("env prints export lines a shell evaluates for the AWS CLI; json and powershell; request --output env and table", async () => {
    const lines = await credvend(["env", ...TEMPLATE], requesterEnv("env"));
    assert.equal(lines.code, 0, lines.stderr);
    assert.match(lines.stdout, /^export AWS_ACCESS_KEY_ID='ASIA[A-Z0-9]+'$/m);
    const shell = await runFile("sh", ["-c", `eval "$CREDS" && aws sts get-caller-identity --output json`], { ...endpointEnv("", ""), AWS_CONTAINER_CREDENTIALS_FULL_URI: "", AWS_CONTAINER_AUTHORIZATION_TOKEN: "", CREDS: lines.stdout });
    assert.equal(shell.code, 0, shell.stderr);
    assert.match((JSON.parse(shell.stdout) as { Arn: string }).Arn, /assumed-role\/credvend-demo\//);
    const json = await credvend(["env", ...TEMPLATE, "--format", "json"], requesterEnv("env"));
    const vars = JSON.parse(json.stdout) as Record<string, string>;
    assert.deepEqual(Object.keys(vars).sort(), ["AWS_ACCESS_KEY_ID", "AWS_CREDENTIAL_EXPIRATION", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"]);
    const ps = await credvend(["env", ...TEMPLATE, "--format", "powershell"], requesterEnv("env"));
    assert.match(ps.stdout, /^\$Env:AWS_SESSION_TOKEN='[^']+'$/m);
    const bad = await credvend(["env", ...TEMPLATE, "--format", "yaml"], requesterEnv("env"));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /--format must be one of env, json, powershell/);
    const table = await credvend(["request", ...TEMPLATE, "--output", "table"], requesterEnv("env"));
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^access key id\s+ASIA/m);
    assert.match(table.stdout, /^secret access key\s+.{4}…\(\d+ chars, masked\)$/m);
    // A plain substring test: a secret key holds '+' and '/', which a RegExp would read as syntax.
    const secretTail = vars.AWS_SECRET_ACCESS_KEY?.slice(8) ?? "";
    assert.ok(secretTail.length > 20 && !table.stdout.includes(secretTail), "the table masks the secret key");
    const env = await credvend(["request", ...TEMPLATE, "--output", "env"], requesterEnv("env"));
    assert.match(env.stdout, /^export AWS_SESSION_TOKEN='/m);
  });

  test("serve: the JS SDK and the AWS CLI keep working across a credential's expiry", async () => {
    // aws-local's clock runs 880 s behind: the first credential (900 s) expires 20 s from now.
    await h.awsLocal.admin.advanceClock(-880);
    const tokenFile = path.join(dir, "expiry-token");
    const p = spawnCredvend(["serve", ...TEMPLATE, "--token-file", tokenFile, "--refresh-margin", "8"], requesterEnv("expiry"));
    running.push(p);
    try {
      await p.waitFor(/AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE/, 30_000);
    } finally {
      // Back to the real time: from now on the first credential expires when it says it does.
      await h.awsLocal.admin.advanceClock(880);
    }
    const url = /AWS_CONTAINER_CREDENTIALS_FULL_URI='([^']+)'/.exec(p.output())?.[1] ?? "";
    const token = readFileSync(tokenFile, "utf8").trim();
    const first = (await (await fetch(url, { headers: { authorization: token } })).json()) as { AccessKeyId: string; SecretAccessKey: string; Token: string; Expiration: string };
    const lifeMs = Date.parse(first.Expiration) - Date.now();
    assert.ok(lifeMs < 30_000, `the first credential lives ${lifeMs} ms`);
    // The job runs past the first credential's expiry, calling every 2 s.
    const calls = Math.ceil((lifeMs + 6000) / 2000);
    const r = await runFile(process.execPath, [job, String(calls), "2000"], endpointEnv(url, token), 90_000);
    assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}\nserve: ${p.output()}`);
    const lines = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as JobLine);
    assert.equal(lines.length, calls);
    for (const line of lines) assert.match(line.arn, /assumed-role\/credvend-demo\//);
    assert.equal(lines[0]?.accessKeyId, first.AccessKeyId);
    assert.notEqual(lines.at(-1)?.accessKeyId, first.AccessKeyId, "the job moved to a new credential");
    assert.ok(Date.now() > Date.parse(first.Expiration));
    const cli = await runFile("aws", ["sts", "get-caller-identity", "--output", "json"], endpointEnv(url, token));
    assert.equal(cli.code, 0, cli.stderr);
    assert.match((JSON.parse(cli.stdout) as { Arn: string }).Arn, /assumed-role\/credvend-demo\//);
    // The first credential really has expired: aws-local refuses it.
    const stale = new STSClient({ region: REGION, endpoint: h.awsLocal.endpoint, credentials: { accessKeyId: first.AccessKeyId, secretAccessKey: first.SecretAccessKey, sessionToken: first.Token } });
    await assert.rejects(stale.send(new GetCallerIdentityCommand({})), (e: Error) => /Expired/i.test(e.name));
    stale.destroy();
    p.child.kill("SIGTERM");
    assert.equal(await p.exited, 0);
  });
});
