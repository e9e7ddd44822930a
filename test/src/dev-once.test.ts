// `credvend dev --once`: the whole stack on one machine, one demo vend, one JSON object, exit 0.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { connect } from "nats";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { redisUrl } from "@credvend/testkit";
import { spawnCredvend } from "./support/cli.js";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

// Each run gets its own temp folder (os.tmpdir() follows TMPDIR), so the test can see that the
// dev stack removes every folder it made (its own, nats-server's, redis-server's) on exit.
function privateTmp(): string {
  return mkdtempSync(path.join(tmpdir(), "credvend-devtmp-"));
}

test("credvend dev --once vends a demo credential end to end, exits 0 and leaves no temp folder", async () => {
  const tmp = privateTmp();
  const env = { ...process.env, REDIS_URL: await redisUrl(), TMPDIR: tmp };
  const run = spawnSync(process.execPath, [path.join(root, "services/cli/bin/credvend.js"), "dev", "--once"], { env, encoding: "utf8", timeout: 60_000 });
  assert.equal(run.status, 0, `exit ${run.status}\nstdout:\n${run.stdout}\nstderr:\n${run.stderr}`);
  const summary = JSON.parse(run.stdout) as {
    endpoints: { nats: string; awsLocal: string };
    demoRequest: { tenant: string; principal: string; template: string };
    credentials: { accessKeyId: string; secretAccessKey: string; sessionToken: string; expiration: string };
    assumedRoleArn: string;
    callerIdentityArn: string;
  };
  assert.deepEqual(readdirSync(tmp), [], "temp folders left behind");
  rmSync(tmp, { recursive: true, force: true });
  assert.match(summary.endpoints.nats, /^nats:\/\/127\.0\.0\.1:\d+$/);
  assert.match(summary.credentials.accessKeyId, /^ASIA/);
  assert.match(summary.assumedRoleArn, /^arn:aws:sts::000000000000:assumed-role\/credvend-demo\//);
  assert.equal(summary.callerIdentityArn, summary.assumedRoleArn);
  // Secrets are never printed whole.
  assert.match(summary.credentials.secretAccessKey, /masked/);
  assert.match(summary.credentials.sessionToken, /masked/);
});

test("credvend dev (npm start) prints commands that work pasted verbatim into another shell, and stops on Ctrl-C", async () => {
  const tmp = privateTmp();
  const dev = spawnCredvend(["dev"], { REDIS_URL: await redisUrl(), TMPDIR: tmp });
  try {
    await dev.waitFor(/Serving until Ctrl-C\./, 60_000);
    const printed = /Request more from another shell:\n([\s\S]*?)\n\n/.exec(dev.output())?.[1];
    assert.ok(printed, dev.output());
    const script = printed.split("\n").map((line) => line.replace(/^ {2}/, "")).join("\n");
    // Another shell: its own directory and a clean environment, as a person's new terminal has.
    const stdout = execFileSync("bash", ["-euc", script], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir() },
      encoding: "utf8",
      timeout: 60_000,
    });
    const creds = JSON.parse(stdout) as { AccessKeyId: string; Arn: string };
    assert.match(creds.AccessKeyId, /^ASIA/);
    assert.match(creds.Arn, /assumed-role\/credvend-demo\//);
    // The exports serve the AWS CLI v1 too, which reads AWS_DEFAULT_REGION (not AWS_REGION).
    assert.match(printed, /AWS_DEFAULT_REGION='us-east-1'/);
    const exportsOnly = script.split("\n").filter((line) => !line.startsWith("node ")).join("\n");
    const who = JSON.parse(execFileSync("bash", ["-euc", `${exportsOnly}\naws sts get-caller-identity --output json`], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? "", HOME: tmpdir() },
      encoding: "utf8",
      timeout: 60_000,
    })) as { Arn: string };
    assert.equal(who.Arn, "arn:aws:iam::000000000000:user/demo-app");
    // With no AWS identity at all: the sealed-reply commands, as printed, in a shell without AWS variables.
    const sealedBlock = /Or with no AWS identity at all \(sealed replies[^\n]*\n([\s\S]*?)\n\n/.exec(dev.output())?.[1];
    assert.ok(sealedBlock, dev.output());
    assert.doesNotMatch(sealedBlock, /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|CREDVEND_REPLY_KEY_ARN/);
    const sealed = JSON.parse(execFileSync("bash", ["-euc", sealedBlock.split("\n").map((line) => line.replace(/^ {2}/, "")).join("\n")], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir() },
      encoding: "utf8",
      timeout: 60_000,
    })) as { AccessKeyId: string; Arn: string };
    assert.match(sealed.Arn, /assumed-role\/credvend-demo\//);
    // The status command works as printed, as the operator's NATS user, and lists the dev worker.
    const statusBlock = /See the workers \(as the operator's NATS user\):\n([\s\S]*?)\n\n/.exec(dev.output())?.[1];
    assert.ok(statusBlock, dev.output());
    const status = execFileSync("bash", ["-euc", statusBlock.split("\n").map((line) => line.replace(/^ {2}/, "")).join("\n")], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir() },
      encoding: "utf8",
      timeout: 60_000,
    });
    // Served: the demo vend and the two requests just made from other shells (KMS-sealed, then sealed to the request's key).
    assert.match(status, /^WORKER +VERSION .*\n\S+ +0\.1\.0 +\S+ +3 +0 /, status);
    assert.match(statusBlock, /NATS_USER='credvend-operator'/);
    // The audit trail as printed, as the auditor's NATS user: the demo vend and the two just made.
    const auditBlock = /Read the audit trail \(as the auditor's NATS user[^\n]*\n([\s\S]*?)\n\n/.exec(dev.output())?.[1];
    assert.ok(auditBlock, dev.output());
    assert.match(auditBlock, /NATS_USER='credvend-auditor'/);
    const audit = execFileSync("bash", ["-euc", auditBlock.split("\n").map((line) => line.replace(/^ {2}/, "")).join("\n")], {
      cwd: tmpdir(),
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir() },
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(audit.trim().split("\n").filter((line) => / issued +acme\/demo-app /.test(line)).length, 3, audit);
    dev.child.kill("SIGINT");
    const started = Date.now();
    assert.equal(await dev.exited, 0, dev.output());
    assert.ok(Date.now() - started < 3000, `stopping took ${Date.now() - started} ms`);
    assert.deepEqual(readdirSync(tmp), [], "temp folders left behind");
  } finally {
    dev.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
});
/** The first line a server sends on a plain TCP connection (NATS: INFO {...}; Redis: reply to PING). */
function firstLine(port: number, send = ""): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port }, () => {
      if (send) socket.write(send);
    });
    let text = "";
    socket.setEncoding("utf8");
    socket.setTimeout(3000, () => reject(new Error(`no line from port ${port}`)));
    socket.on("data", (chunk: string) => {
      text += chunk;
      if (text.includes("\r\n")) {
        socket.destroy();
        resolve(text.slice(0, text.indexOf("\r\n")));
      }
    });
    socket.once("error", reject);
  });
}

test("credvend dev secures its own servers: NATS requires TLS with its CA, Redis a password no output shows", async () => {
  const tmp = privateTmp();
  const env: Record<string, string> = { TMPDIR: tmp };
  const dev = spawnCredvend(["dev"], { ...env, REDIS_URL: "" });
  try {
    await dev.waitFor(/Serving until Ctrl-C\./, 60_000);
    const out = dev.output();
    const natsPort = Number(/NATS +nats:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    const redisPort = Number(/Redis +redis:\/\/:\*\*\*@127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
    assert.ok(natsPort > 0 && redisPort > 0, out);

    // NATS: the server announces TLS as required; a client that does not trust the dev CA is refused.
    const info = JSON.parse((await firstLine(natsPort)).replace(/^INFO /, "")) as { tls_required?: boolean };
    assert.equal(info.tls_required, true);
    await assert.rejects(connect({ servers: `nats://127.0.0.1:${natsPort}`, reconnect: false, timeout: 3000 }), /certificate|self[- ]signed|verify/i);
    const caFile = /CA (\S+?);/.exec(out)?.[1];
    assert.ok(caFile, out);
    // With the CA the handshake passes; this client has no NATS user, so authorization refuses it.
    await assert.rejects(connect({ servers: `nats://127.0.0.1:${natsPort}`, reconnect: false, timeout: 3000, tls: { caFile } }), (e: Error & { code?: string }) => e.code === "AUTHORIZATION_VIOLATION");

    // Redis: no command without the password.
    assert.match(await firstLine(redisPort, "PING\r\n"), /^-NOAUTH/);
    const redisDir = readdirSync(tmp).find((d) => d.startsWith("credvend-redis-"));
    assert.ok(redisDir, readdirSync(tmp).join(", "));
    const password = /requirepass "([^"]+)"/.exec(readFileSync(path.join(tmp, redisDir, "redis.conf"), "utf8"))?.[1];
    assert.ok(password && password.length >= 16);
    const devDir = readdirSync(tmp).find((d) => d.startsWith("credvend-dev-"));
    const workerLog = devDir ? readFileSync(path.join(tmp, devDir, "vendor.log"), "utf8") : "";
    assert.match(workerLog, /worker ready/);

    dev.child.kill("SIGTERM");
    assert.equal(await dev.exited, 0, dev.output());
    assert.ok(!dev.output().includes(password), "the Redis password is printed");
    assert.ok(!workerLog.includes(password), "the Redis password is in the worker's log");
    assert.deepEqual(readdirSync(tmp), [], "temp folders left behind");
  } finally {
    dev.kill();
    rmSync(tmp, { recursive: true, force: true });
  }
});
