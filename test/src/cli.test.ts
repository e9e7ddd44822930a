// The credvend command, as a person runs it: exit codes, output, and errors that say what to fix.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { devCredentials } from "@credvend/aws-local";
import { startNatsServer, uniqueName, type NatsServerHandle } from "@credvend/testkit";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { credvend, ROOT, spawnCredvend } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { REGION, REPLY_KEY_ARN, startHarness, type Harness } from "./support/harness.js";

const EXAMPLE = path.join(ROOT, "services/cli/examples/credvend.yaml");
const dir = mkdtempSync(path.join(tmpdir(), "credvend-cli-"));
const BAD = path.join(dir, "bad.yaml");
writeFileSync(BAD, `templates:
  too-broad:
    kind: assume_role
    role_arn: arn:aws:iam::000000000000:role/credvend-demo
    duration: { default: 900, max: 3600 }
    policy:
      Version: "2012-10-17"
      Statement:
        - Effect: Allow
          Action: ["s3:*"]
          Resource: ["arn:aws:s3:::{{bucket}}"]
access: []
`);

after(() => rmSync(dir, { recursive: true, force: true }));

// No region anywhere: not in the environment, not in an AWS profile.
const NO_REGION = { AWS_REGION: "", AWS_DEFAULT_REGION: "", AWS_PROFILE: "", AWS_CONFIG_FILE: path.join(dir, "no-aws-config"), HOME: dir };

function oneLine(r: { stderr: string }): string {
  const lines = r.stderr.trimEnd().split("\n");
  assert.equal(lines.length, 1, `expected one line on stderr, got:\n${r.stderr}`);
  return lines[0] ?? "";
}

describe("offline commands", () => {
  test("no command prints usage and exits 2; an unknown one says so", async () => {
    const none = await credvend([]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /usage: credvend <command>/);
    assert.equal(none.stdout, "");
    const unknown = await credvend(["frobnicate"]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, "credvend: unknown command 'frobnicate'; 'credvend --help' lists the commands\n");
    const version = await credvend(["--version"]);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^credvend \d+\.\d+\.\d+\n$/);
  });

  test("a wrong command line is one line on stderr, exit 2, pointing at --help", async () => {
    const cases: [string[], RegExp][] = [
      [["request"], /^credvend request: --template is required \(see 'credvend request --help'\)$/],
      [["request", "--templat", "x"], /^credvend request: Unknown option '--templat' \(see/],
      [["request", "--template", "x", "--duration", "abc"], /--duration must be a whole number, got "abc"/],
      [["dev", "extra"], /^credvend dev: unexpected argument "extra"/],
      [["status", "--wait", "soon"], /--wait must be a whole number/],
      [["status", "--output", "yaml"], /--output must be table or json, got "yaml"/],
      [["status", "--json", "--output", "table"], /--json and --output table contradict each other/],
      [["request", "--template", "x", "--request-id", "not ok!"], /^credvend request: --request-id must be 8 to 128 letters, digits, '-' or '_' \(e\.g\. a UUID such as [0-9a-f-]{36}\), got "not ok!" \(see 'credvend request --help'\)$/],
      [["request", "--template", "x", "--request-id", "short"], /--request-id must be 8 to 128/],
      [["worker", "now"], /^credvend worker: unexpected argument "now"/],
      [["templates"], /templates needs a subcommand: lint or render/],
      [["config", "pull"], /unknown subcommand 'pull'; use push or show/],
      [["aws-local", "--port", "70000"], /--port must be a whole number from 0 to 65535/],
    ];
    for (const [args, expected] of cases) {
      const r = await credvend(args, { CREDVEND_TENANT: "", CREDVEND_PRINCIPAL: "" });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.equal(r.stdout, "", args.join(" "));
      assert.equal(r.stderr.trimEnd().split("\n").length, 1, `${args.join(" ")}: one line, got:\n${r.stderr}`);
      assert.match(r.stderr.trimEnd(), expected);
    }
  });

  test("a config file that is missing, a directory or not YAML is one line naming the file, exit 1", async () => {
    const syntax = path.join(dir, "syntax.yaml");
    writeFileSync(syntax, "templates:\n  a: [\n");
    const missing = path.join(dir, "missing.yaml");
    for (const run of [
      (f: string) => ["templates", "lint", f],
      (f: string) => ["templates", "render", f, "--template", "t", "--tenant", "a", "--principal", "p"],
      (f: string) => ["config", "push", f],
      (f: string) => ["nats-config", f],
      (f: string) => ["iam", "trust-policy", "--config", f, "--template", "t", "--vendor-arn", "arn:aws:iam::111122223333:role/v"],
    ]) {
      for (const [file, expected] of [[missing, /missing\.yaml: no such file$/], [dir, /: is a directory, not a file$/]] as const) {
        const r = await credvend(run(file), { NATS_URL: "nats://127.0.0.1:1" });
        assert.equal(r.code, 1, `${run(file).join(" ")}: ${r.stderr}`);
        assert.equal(r.stdout, "");
        assert.match(r.stderr.trimEnd(), expected);
        assert.equal(r.stderr.trimEnd().split("\n").length, 1, r.stderr);
      }
      const bad = await credvend(run(syntax), { NATS_URL: "nats://127.0.0.1:1" });
      assert.equal(bad.code, 1, bad.stderr);
      const text = bad.stdout + bad.stderr;
      assert.match(text, /syntax\.yaml: Flow sequence .* at line 3, column 1\n/);
      assert.doesNotMatch(text, /error: : |at line 3, column 1:|\n\s+at /);
    }
    const worker = await credvend(["worker"], { CREDVEND_CONFIG: missing, AWS_REGION: REGION });
    assert.equal(worker.code, 1);
    assert.equal(worker.stderr, `credvend worker: CREDVEND_CONFIG ${missing}: no such file\n`);
  });

  test("nats-config writes errors and warnings to stderr, never into the block", async () => {
    const r = await credvend(["nats-config", EXAMPLE], { CREDVEND_VENDOR_NATS_PASSWORD: "vendor-secret-0123456789" });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^# Generated by credvend/);
    assert.match(r.stderr, /has no 'identities:'.*no requester can connect/);
  });

  test("--help prints a command's usage, and so does 'help COMMAND'", async () => {
    const r = await credvend(["request", "--help"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--template T/);
    for (const command of ["request", "status", "dev", "iam"]) {
      const viaHelp = await credvend(["help", command]);
      assert.equal(viaHelp.code, 0, viaHelp.stderr);
      assert.equal(viaHelp.stdout, (await credvend([command, "--help"])).stdout, command);
      assert.match(viaHelp.stdout, new RegExp(`^usage: credvend ${command}`));
    }
    assert.match((await credvend(["help"])).stdout, /help \[COMMAND\]/);
    const unknown = await credvend(["help", "reqest"]);
    assert.equal(unknown.code, 2);
    assert.equal(unknown.stderr, 'credvend: unknown command \'reqest\'; did you mean "request"?\n');
    const two = await credvend(["help", "request", "status"]);
    assert.equal(two.code, 2);
    assert.match(oneLine(two), /help: takes one command, got 2/);
  });

  test("a misspelt command, template or config key gets the nearest valid name", async () => {
    for (const [typo, meant] of [["statsu", "status"], ["templtes", "templates"], ["reqeust", "request"], ["aws-locl", "aws-local"]] as const) {
      const r = await credvend([typo]);
      assert.equal(r.code, 2);
      assert.equal(r.stderr, `credvend: unknown command '${typo}'; did you mean "${meant}"?\n`);
    }
    const template = await credvend(["iam", "trust-policy", "--config", EXAMPLE, "--template", "s3-tenant-reed", "--vendor-arn", "arn:aws:iam::111122223333:role/v"]);
    assert.equal(template.code, 2);
    assert.match(oneLine(template), /no template is named "s3-tenant-reed"; did you mean "s3-tenant-read"\?/);
    const render = await credvend(["templates", "render", EXAMPLE, "--template", "s3-tenant-reed", "--tenant", "acme", "--principal", "demo-app"]);
    assert.match((JSON.parse(render.stdout) as { error: { message: string } }).error.message, /did you mean "s3-tenant-read"\?$/);
    const typoKey = path.join(dir, "typo-key.yaml");
    writeFileSync(typoKey, readFileSync(EXAMPLE, "utf8").replace("role_arn:", "rol_arn:"));
    const lint = await credvend(["templates", "lint", typoKey]);
    assert.equal(lint.code, 1);
    assert.match(lint.stdout + lint.stderr, /unknown key "rol_arn" in templates\.s3-tenant-read; did you mean "role_arn"\?/);
  });

  test("templates lint accepts the example and names each problem of a bad file", async () => {
    const good = await credvend(["templates", "lint", EXAMPLE]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    assert.match(good.stdout, /ok \(1 templates, 1 access rules\)/);
    const bad = await credvend(["templates", "lint", BAD]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /error: templates\.too-broad\.policy\.Statement\[0\]\.Action\[0\]: .*s3:\*/);
    assert.match(bad.stdout, /\{\{bucket\}\}/);
  });

  test("templates render prints the exact STS request, or the error a request would get", async () => {
    const ok = await credvend(["templates", "render", EXAMPLE, "--template", "s3-tenant-read", "--tenant", "acme", "--principal", "demo-app", "--param", "bucket=acme-data", "--request-id", "req-0000001"]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    const plan = JSON.parse(ok.stdout) as Record<string, unknown>;
    assert.equal(JSON.stringify(plan).includes("arn:aws:s3:::acme-data/acme/*"), true);
    assert.equal(JSON.stringify(plan).includes("credvend-demo"), true);
    const denied = await credvend(["templates", "render", EXAMPLE, "--template", "s3-tenant-read", "--tenant", "acme", "--principal", "demo-app", "--param", "bucket=other-data"]);
    assert.equal(denied.code, 1);
    assert.equal((JSON.parse(denied.stdout) as { error: { code: string } }).error.code, "PERMISSION_DENIED");
  });

  test("templates render without required flags is a usage error", async () => {
    const r = await credvend(["templates", "render", EXAMPLE, "--template", "s3-tenant-read"]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs FILE, --template, --tenant and --principal/);
  });

  test("nats-config prints a block scoping each identity to its subjects", async () => {
    const file = path.join(dir, "identities.yaml");
    writeFileSync(file, `${demoConfig({ tenants: ["acme"] })}identities:\n  - { tenant: acme, principal: demo-app, user: demo-app, password: "$DEMO_APP_NATS_PASSWORD" }\n`);
    const secrets = { DEMO_APP_NATS_PASSWORD: "demo-secret-0123456789", CREDVEND_VENDOR_NATS_PASSWORD: "vendor-secret-0123456789" };
    const r = await credvend(["nats-config", file], secrets);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /"credvend\.v1\.req\.acme\.demo-app"/);
    assert.match(r.stdout, /"credvend\.v1\.reply\.acme\.demo-app\.>"/);
    // Hashes of the variables' values, never the values nor references nats-server could resolve to empty.
    assert.match(r.stdout, /user: "demo-app", password: "\$2[ab]\$\d\d\$/);
    assert.ok(!r.stdout.includes(secrets.DEMO_APP_NATS_PASSWORD) && !r.stdout.includes("$DEMO_APP_NATS_PASSWORD"));
  });

  test("nats-config --auditor-user adds a read-only auditor, its password hashed from $CREDVEND_AUDITOR_NATS_PASSWORD or --auditor-password-env", async () => {
    const file = path.join(dir, "auditor.yaml");
    writeFileSync(file, `${demoConfig({ tenants: ["acme"] })}identities:\n  - { tenant: acme, principal: demo-app, password: "$DEMO_APP_NATS_PASSWORD" }\n`);
    const secrets = { DEMO_APP_NATS_PASSWORD: "demo-secret-0123456789", CREDVEND_VENDOR_NATS_PASSWORD: "vendor-secret-0123456789" };
    const AUDITOR = "auditor-secret-0123456789";
    for (const [args, env] of [[["--auditor-user", "aud"], { CREDVEND_AUDITOR_NATS_PASSWORD: AUDITOR }], [["--auditor-user", "aud", "--auditor-password-env", "MY_AUD_PW"], { MY_AUD_PW: AUDITOR }]] as const) {
      const r = await credvend(["nats-config", file, ...args], { ...secrets, ...env });
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /# auditor: credvend audit tail: reads the audit stream only\n {4}\{ user: "aud", password: "\$2[ab]\$\d\d\$[^"]+", permissions: \{ publish: \{ allow: \["\$JS\.API\.STREAM\.INFO\.CREDVEND_AUDIT"/);
      assert.ok(!r.stdout.includes(AUDITOR));
    }
    const unset = await credvend(["nats-config", file, "--auditor-user", "aud"], secrets);
    assert.equal(unset.code, 1);
    assert.match(unset.stderr, /auditor: \$CREDVEND_AUDITOR_NATS_PASSWORD is unset/);
    const alone = await credvend(["nats-config", file, "--auditor-password-env", "MY_AUD_PW"], secrets);
    assert.equal(alone.code, 2);
    assert.match(alone.stderr, /--auditor-password-env needs --auditor-user/);
  });

  test("iam worker-policy and requester-policy print policies, and refuse what IAM could not use", async () => {
    const key = REPLY_KEY_ARN;
    const worker = await credvend(["iam", "worker-policy", EXAMPLE, "--reply-key-arn", key]);
    assert.equal(worker.code, 0, worker.stderr);
    const doc = JSON.parse(worker.stdout) as { Statement: { Action: string[]; Resource: string[] }[] };
    assert.deepEqual(doc.Statement.flatMap((s) => s.Resource).sort(), ["arn:aws:iam::000000000000:role/credvend-demo", key].sort());
    const fromEnv = await credvend(["iam", "worker-policy"], { CREDVEND_CONFIG: EXAMPLE, CREDVEND_REPLY_KEY_ARN: key });
    assert.equal(fromEnv.stdout, worker.stdout);
    const requester = await credvend(["iam", "requester-policy", "--reply-key-arn", key, "--principal", "${aws:username}"]);
    assert.equal(requester.code, 0, requester.stderr);
    assert.match(requester.stdout, /"kms:EncryptionContext:credvend:principal": "\$\{aws:username\}"/);
    assert.match(requester.stdout, /"kms:EncryptionContext:credvend:tenant": "\$\{aws:PrincipalTag\/credvend:tenant\}"/);
    const federated = path.join(dir, "federated.yaml");
    writeFileSync(federated, `templates:
  ft: { kind: federation_token, credential_source: { profile: vend-ft }, policy: { Statement: { Effect: Allow, Action: s3:GetObject, Resource: "arn:aws:s3:::b/{{tenant}}/x" } } }
  st: { kind: session_token, credential_source: { profile: vend-st } }
access: [{ tenants: ["*"], principals: ["*"], templates: ["*"] }]
`);
    const note = await credvend(["iam", "worker-policy", federated, "--reply-key-arn", key]);
    assert.equal(note.code, 0, note.stderr);
    assert.match(note.stderr, /templates ft sign with credential_source profile vend-ft, not this identity/);
    const ft = await credvend(["iam", "worker-policy", federated, "--reply-key-arn", key, "--credential-source", "vend-ft"]);
    assert.match(ft.stdout, /"sts:GetFederationToken"/);
    const st = await credvend(["iam", "worker-policy", federated, "--reply-key-arn", key, "--credential-source", "vend-st"]);
    assert.equal(st.code, 0);
    assert.equal(st.stdout, "");
    assert.match(st.stderr, /GetSessionToken needs no IAM permission/);
    for (const [args, expected] of [
      [["iam", "worker-policy", EXAMPLE, "--reply-key-arn", "alias/credvend-replies"], /is not a KMS key ARN .*not an alias/],
      [["iam", "worker-policy", EXAMPLE], /--reply-key-arn \(or CREDVEND_REPLY_KEY_ARN\) is required/],
      [["iam", "requester-policy", "--reply-key-arn", key, "--tenant", "acme*"], /neither a name .* nor an IAM policy variable/],
      [["iam", "worker-policy", EXAMPLE, "--reply-key-arn", key, "--credential-source", "nope"], /no template names credential_source profile "nope"/],
      [["iam", "worker-polcy"], /unknown subcommand 'worker-polcy'; did you mean "worker-policy"\?/],
      [["iam", "frob"], /unknown subcommand 'frob'; use one of trust-policy, worker-policy, requester-policy/],
    ] as const) {
      const r = await credvend(args, { CREDVEND_REPLY_KEY_ARN: "" });
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stderr}`);
      assert.match(oneLine(r), expected);
    }
  });

  test("iam trust-policy prints what the role must trust", async () => {
    const r = await credvend(["iam", "trust-policy", "--config", EXAMPLE, "--template", "s3-tenant-read", "--vendor-arn", "arn:aws:iam::111122223333:role/credvend-vendor"]);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.stringify(JSON.parse(r.stdout));
    for (const action of ["sts:AssumeRole", "sts:TagSession", "sts:SetSourceIdentity"]) assert.ok(doc.includes(action));
    const fromEnv = await credvend(["iam", "trust-policy", "--template", "s3-tenant-read", "--vendor-arn", "arn:aws:iam::111122223333:role/credvend-vendor"], { CREDVEND_CONFIG: EXAMPLE });
    assert.equal(fromEnv.stdout, r.stdout, "--config defaults to CREDVEND_CONFIG");
    const bad = await credvend(["iam", "trust-policy", "--config", EXAMPLE, "--template", "s3-tenant-read", "--vendor-arn", "not-an-arn"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not an IAM role, user or account root ARN/);
  });

  test("aws-local --print-env prints dev-only exports for a seed user, and refuses unknown users", async () => {
    const r = await credvend(["aws-local", "--print-env", "demo-app", "--port", "4599"]);
    assert.equal(r.code, 0);
    assert.match(r.stdout, /DEV-ONLY/);
    assert.match(r.stdout, new RegExp(`AWS_ACCESS_KEY_ID='${devCredentials("demo-app").accessKeyId}'`));
    assert.match(r.stdout, /AWS_ENDPOINT_URL='http:\/\/127\.0\.0\.1:4599'/);
    const bad = await credvend(["aws-local", "--print-env", "nobody"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not a dev-seed user/);
  });

  test("worker refuses bad settings, naming the variable and its value", async () => {
    const r = await credvend(["worker"], { REDIS_URL: "localhost:6379", CREDVEND_CONFIG: EXAMPLE });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /REDIS_URL="localhost:6379": must start with redis:\/\//);
  });

  test("worker refuses an invalid config file before connecting anywhere", async () => {
    const r = await credvend(["worker"], { CREDVEND_CONFIG: BAD, NATS_URL: "nats://127.0.0.1:1" });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /config from .*bad\.yaml has 2 error/);
  });
});

describe("commands against a running stack", () => {
  let h: Harness;
  const tenant = uniqueName("cli");
  before(async () => {
    h = await startHarness({ config: demoConfig({ tenants: [tenant] }) });
  });
  after(async () => {
    await h?.stop();
  });
  const requesterEnv = () => ({
    NATS_URL: h.natsUrl,
    CREDVEND_TENANT: tenant,
    CREDVEND_PRINCIPAL: "demo-app",
    CREDVEND_REPLY_KEY_ARN: REPLY_KEY_ARN,
    AWS_REGION: REGION,
    AWS_ENDPOINT_URL: h.awsLocal.endpoint,
    AWS_ACCESS_KEY_ID: devCredentials("demo-app").accessKeyId,
    AWS_SECRET_ACCESS_KEY: devCredentials("demo-app").secretAccessKey,
  });

  test("request prints credential_process JSON that works with STS", async () => {
    const r = await credvend(["request", "--template", "s3-tenant-read", "--param", "bucket=acme-data", "--duration", "900"], requesterEnv());
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { Version: number; AccessKeyId: string; SecretAccessKey: string; SessionToken: string; Expiration: string; Arn: string };
    assert.equal(out.Version, 1);
    assert.match(out.AccessKeyId, /^ASIA/);
    assert.ok(out.SecretAccessKey.length >= 40 && out.SessionToken.length > 100);
    assert.match(out.Arn, /assumed-role\/credvend-demo\//);
    assert.ok(Date.parse(out.Expiration) > Date.now());
  });

  test("request errors show the code, the reason and what to fix", async () => {
    const r = await credvend(["request", "--template", "nope"], requesterEnv());
    assert.equal(r.code, 1);
    // Not NOT_FOUND: the caller's rules do not name "nope", so it is not told whether it exists.
    assert.match(r.stderr, /PERMISSION_DENIED \(CV_ERR_NOT_ENTITLED\)/);
    // A typo of a template this caller may use is answered with that template's name.
    const typo = await credvend(["request", "--template", "s3-tenant-reed", "--param", "bucket=acme-data"], requesterEnv());
    assert.equal(typo.code, 1);
    assert.match(oneLine(typo), /PERMISSION_DENIED \(CV_ERR_NOT_ENTITLED\) \[template\]: .*may not use template "s3-tenant-reed"; did you mean "s3-tenant-read"\?$/);
    const missing = await credvend(["request", "--template", "s3-tenant-read"], { ...requesterEnv(), CREDVEND_TENANT: "" });
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /set CREDVEND_TENANT and CREDVEND_PRINCIPAL/);
    const badParam = await credvend(["request", "--template", "s3-tenant-read", "--param", "bucket"], requesterEnv());
    assert.equal(badParam.code, 2);
    assert.match(badParam.stderr, /must be name=value/);
  });

  test("status prints a table by default and every report with --output json", async () => {
    const table = await credvend(["status"], { NATS_URL: h.natsUrl });
    assert.equal(table.code, 0, table.stderr);
    const [header, row, ...rest] = table.stdout.trimEnd().split("\n");
    assert.match(header ?? "", /^WORKER +VERSION +UP SINCE +SERVED +FAILED +REPLAYED +IN FLIGHT +QUEUED +OVERLOADED +CONFIG$/);
    assert.match(row ?? "", new RegExp(`^${h.vendor.worker.id} +\\S+ +\\S+ +\\d+ +\\d+ +\\d+ +\\d+ +\\d+ +\\d+ +file:1 \\(`));
    assert.deepEqual(rest, [], "one worker, one row");
    // The header's columns line up with the row's.
    assert.equal(header?.indexOf("SERVED"), row?.search(/(?<=\S +\S+ +\S+ +)\d/));
    for (const args of [["status", "--output", "json"], ["status", "--json"]]) {
      const json = await credvend(args, { NATS_URL: h.natsUrl });
      assert.equal(json.code, 0, json.stderr);
      const reports = JSON.parse(json.stdout) as { id: string; stats: { served: number; config: { version: string } } }[];
      assert.deepEqual(reports.map((r) => r.id), [h.vendor.worker.id]);
      assert.equal(reports[0]?.stats.config.version, "file:1");
    }
  });

  test("worker as an operator runs it: SIGHUP reloads (a bad file is refused), SIGTERM drains and exits 0", async () => {
    const file = path.join(dir, "worker.yaml");
    writeFileSync(file, demoConfig({ tenants: [tenant] }));
    const worker = spawnCredvend(["worker"], {
      NATS_URL: h.natsUrl, REDIS_URL: h.redisUrl, CREDVEND_CONFIG: file, CREDVEND_LOG_LEVEL: "info", CREDVEND_HTTP_PORT: "0",
      AWS_REGION: REGION, AWS_ENDPOINT_URL: h.awsLocal.endpoint,
      AWS_ACCESS_KEY_ID: devCredentials("credvend-vendor").accessKeyId, AWS_SECRET_ACCESS_KEY: devCredentials("credvend-vendor").secretAccessKey,
    });
    try {
      await worker.waitFor(/"worker ready"/);
      writeFileSync(file, demoConfig({ tenants: [tenant, uniqueName("cli2")] }));
      worker.child.kill("SIGHUP");
      await worker.waitFor(/"version":"file:2".*"config reloaded"/);
      writeFileSync(file, "templates: [\n");
      worker.child.kill("SIGHUP");
      await worker.waitFor(/config reload refused; keeping the last good config/);
      worker.child.kill("SIGTERM");
      assert.equal(await worker.exited, 0, worker.output());
      assert.match(worker.output(), /"draining"[\s\S]*"worker stopped"/);
      assert.doesNotMatch(worker.output(), new RegExp(devCredentials("credvend-vendor").secretAccessKey.replace(/[/]/g, "\\/")));
    } finally {
      worker.kill();
    }
  });

  test("config push refuses an invalid file and writes nothing; a valid one becomes what config show prints", async () => {
    const bucket = uniqueName("cfg");
    const env = { NATS_URL: h.natsUrl };
    const refused = await credvend(["config", "push", BAD, "--bucket", bucket], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /refused, nothing was written/);
    const empty = await credvend(["config", "show", "--bucket", bucket], env);
    assert.equal(empty.code, 1);
    assert.match(empty.stderr, /is empty; push a config/);
    const pushed = await credvend(["config", "push", EXAMPLE, "--bucket", bucket], env);
    assert.equal(pushed.code, 0, pushed.stderr);
    assert.match(pushed.stdout, /revision 1/);
    const shown = await credvend(["config", "show", "--bucket", bucket], env);
    assert.equal(shown.code, 0);
    assert.match(shown.stdout, /revision 1/);
    assert.match(shown.stdout, /s3-tenant-read:/);
  });
});

describe("a wrong environment is one line that names the setting", () => {
  let nats: NatsServerHandle;
  const password = "s3cret-Pw-9f1";
  before(async () => {
    nats = await startNatsServer({
      jetstream: false,
      config: `authorization { users = [
        { user: "app", password: "${password}", permissions: { publish: ["credvend.v1.req.acme.app"], subscribe: ["credvend.v1.reply.acme.app.>"] } },
        { user: "listener", password: "${password}", permissions: { publish: { deny: [">"] }, subscribe: ["credvend.v1.reply.acme.listener.>"] } }
      ] }`,
    });
  });
  after(async () => {
    await nats?.stop();
  });
  /** credvend's own AWS identity (any keys: nothing is decrypted when no vendor answers), resolved before a request is sent. */
  const OWN_IDENTITY = { CREDVEND_AWS_ACCESS_KEY_ID: "AKIAOWNIDENTITY00000", CREDVEND_AWS_SECRET_ACCESS_KEY: "not-used-no-vendor-answers" };
  const requester = { CREDVEND_TENANT: "acme", CREDVEND_PRINCIPAL: "app", CREDVEND_REPLY_KEY_ARN: REPLY_KEY_ARN, AWS_REGION: REGION, ...OWN_IDENTITY };

  test("NATS down, unknown host, wrong password, missing permission", async () => {
    const down = await credvend(["request", "--template", "t"], { ...requester, NATS_URL: "nats://127.0.0.1:1" });
    assert.equal(down.code, 1);
    assert.match(oneLine(down), /^credvend request: cannot connect to NATS at nats:\/\/127\.0\.0\.1:1 \(connection refused\): start nats-server or set NATS_URL$/);
    for (const args of [["status"], ["config", "show"]]) {
      const r = await credvend(args, { NATS_URL: "nats://127.0.0.1:1" });
      assert.equal(r.code, 1);
      assert.match(oneLine(r), /cannot connect to NATS at nats:\/\/127\.0\.0\.1:1/);
    }
    const host = await credvend(["status"], { NATS_URL: "nats://no-such-host.invalid:4222" });
    assert.equal(host.code, 1);
    assert.match(oneLine(host), /unknown host\): check NATS_URL$/);
    const wrong = await credvend(["request", "--template", "t"], { ...requester, NATS_URL: nats.url, NATS_USER: "app", NATS_PASSWORD: "not-it" });
    assert.equal(wrong.code, 1);
    assert.match(oneLine(wrong), /refused user "app": check NATS_USER and NATS_PASSWORD$/);
    const denied = await credvend(["status"], { NATS_URL: nats.url, NATS_USER: "app", NATS_PASSWORD: password });
    assert.equal(denied.code, 1);
    assert.match(oneLine(denied), /NATS denied user "app": Permissions Violation .*; use a NATS user whose permissions allow it$/);
    for (const r of [wrong, denied]) assert.doesNotMatch(r.stdout + r.stderr, new RegExp(password));
  });

  test("a principal NATS does not permit gets a permission error at once, not 'no vendor listening' after the timeouts", async () => {
    const started = Date.now();
    // Another principal's subjects: the subscription to its replies is refused first.
    const other = await credvend(["request", "--template", "t", "--timeout", "5000"], { ...requester, CREDVEND_PRINCIPAL: "other", NATS_URL: nats.url, NATS_USER: "app", NATS_PASSWORD: password });
    assert.equal(other.code, 1);
    assert.match(oneLine(other), /^credvend request: NATS denied user "app": Permissions Violation for Subscription to "credvend\.v1\.reply\.acme\.other\.[^"]+"; a requester may use only its own subjects, so NATS_USER must be the user credvend nats-config generated for acme\/other/);
    // A user that may read its replies but publish nothing: nats.js reports the refused publish only as a status event.
    const mute = await credvend(["request", "--template", "t", "--timeout", "5000"], { ...requester, CREDVEND_PRINCIPAL: "listener", NATS_URL: nats.url, NATS_USER: "listener", NATS_PASSWORD: password });
    assert.equal(mute.code, 1);
    assert.match(oneLine(mute), /^credvend request: NATS denied user "listener": Permissions Violation for Publish to "credvend\.v1\.req\.acme\.listener"; a requester may use only its own subjects/);
    // Each stopped at the refusal, long before one attempt's 5 s timeout.
    assert.ok(Date.now() - started < 8000, `took ${Date.now() - started} ms`);
    for (const r of [other, mute]) assert.doesNotMatch(r.stderr, /no credvend worker is listening|no reply/);
    // The permitted principal with no worker running is told exactly that.
    const permitted = await credvend(["request", "--template", "t", "--timeout", "2000"], { ...requester, NATS_URL: nats.url, NATS_USER: "app", NATS_PASSWORD: password });
    assert.match(oneLine(permitted), /CV_ERR_CLIENT_NO_VENDOR/);
  });

  test("status with no worker says so; the worker needs an AWS region, a requester takes its reply key's", async () => {
    const plain = await startNatsServer({ jetstream: false });
    try {
      const none = await credvend(["status", "--wait", "200"], { NATS_URL: plain.url });
      assert.equal(none.code, 1);
      assert.match(oneLine(none), /no credvend worker answered on .* within 200 ms/);
      // The reply is decrypted where the pinned reply key lives (its ARN names the region), so a
      // requester without AWS_REGION gets as far as asking for a vendor.
      const request = await credvend(["request", "--template", "t", "--timeout", "300"], { ...requester, ...NO_REGION, NATS_URL: plain.url });
      assert.equal(request.code, 1);
      assert.match(oneLine(request), /^credvend request: UNAVAILABLE \(CV_ERR_CLIENT_NO_VENDOR\)/);
      const worker = await credvend(["worker"], { ...NO_REGION, CREDVEND_CONFIG: EXAMPLE, NATS_URL: plain.url });
      assert.equal(worker.code, 1);
      assert.match(oneLine(worker), /^credvend worker: no AWS region: set AWS_REGION/);
    } finally {
      await plain.stop();
    }
  });

  test("no password from a URL appears in any output: requester, worker and dev, known failure or not", async () => {
    const secret = "url-Secret-7c1f9a";
    const runs = [
      // NATS refuses, or nothing listens.
      await credvend(["request", "--template", "t"], { ...requester, NATS_URL: `nats://app:${secret}@127.0.0.1:1` }),
      await credvend(["status"], { NATS_URL: `nats://app:${secret}@127.0.0.1:${nats.port}` }),
      await credvend(["request", "--template", "t"], { ...requester, NATS_URL: `nats://app:${secret}@127.0.0.1:${nats.port}` }),
      // The worker: NATS unreachable with a password in its URL; then Redis unreachable with one.
      await credvend(["worker"], { CREDVEND_CONFIG: EXAMPLE, AWS_REGION: REGION, NATS_URL: `nats://app:${secret}@127.0.0.1:1`, CREDVEND_LOG_LEVEL: "trace" }),
      await credvend(["worker"], { CREDVEND_CONFIG: EXAMPLE, AWS_REGION: REGION, NATS_URL: nats.url, NATS_USER: "app", NATS_PASSWORD: password, REDIS_URL: `redis://:${secret}@127.0.0.1:1`, CREDVEND_LOG_LEVEL: "trace" }),
      // Settings refused: a wrong scheme, a malformed URL.
      await credvend(["worker"], { CREDVEND_CONFIG: EXAMPLE, AWS_REGION: REGION, REDIS_URL: `http://:${secret}@127.0.0.1:1` }),
      await credvend(["dev"], { REDIS_URL: `redis//:${secret}@127.0.0.1:1` }),
    ];
    for (const r of runs) {
      assert.notEqual(r.code, 0, r.stdout + r.stderr);
      assert.ok(r.stderr.length > 0, "each run explains its failure");
      assert.ok(!(r.stdout + r.stderr).includes(secret), `password printed:\n${r.stdout}${r.stderr}`);
    }
  });
});
