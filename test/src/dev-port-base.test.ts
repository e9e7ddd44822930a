// `credvend dev` as a base to build on: fixed ports with --port-base, and passwords that stay the
// same from run to run (derived from a per-user dev secret), so exports, scripts and AWS profiles
// written against one run keep working against the next. The NATS user names are the ones
// `credvend nats-config` generates.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { credvend, ROOT, spawnCredvend, type CliProcess } from "./support/cli.js";

const state = mkdtempSync(path.join(tmpdir(), "credvend-devstate-"));
after(() => rmSync(state, { recursive: true, force: true }));

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once("error", () => resolve(false));
    server.listen(port, "127.0.0.1", () => server.close(() => resolve(true)));
  });
}

/** A base with four free ports after it (the dev stack's NATS, Redis, aws-local, health). */
async function freePortBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const base = 20_000 + Math.floor(Math.random() * 30_000);
    const free = await Promise.all([0, 1, 2, 3].map((i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error("no four free ports in a row");
}

const ENV = { XDG_STATE_HOME: state, REDIS_URL: "" };

async function startDev(base: number): Promise<CliProcess> {
  const dev = spawnCredvend(["dev", "--port-base", String(base)], ENV);
  await dev.waitFor(/Serving until Ctrl-C\./, 60_000);
  return dev;
}

async function stopDev(dev: CliProcess): Promise<void> {
  dev.child.kill("SIGINT");
  assert.equal(await dev.exited, 0, dev.output());
}

function block(output: string, title: RegExp): string {
  const found = new RegExp(`${title.source}\\n([\\s\\S]*?)\\n\\n`).exec(output)?.[1];
  assert.ok(found, output);
  return found.split("\n").map((line) => line.replace(/^ {2}/, "")).join("\n");
}

/** Runs printed lines in a new shell: its own directory and a clean environment. */
function shell(script: string): string {
  return execFileSync("bash", ["-euc", script], { cwd: tmpdir(), env: { PATH: process.env.PATH ?? "", HOME: tmpdir() }, encoding: "utf8", timeout: 60_000 });
}

test("dev --port-base puts each server on its port, and a second run keeps the passwords: the first run's commands still work", async () => {
  const base = await freePortBase();
  const first = await startDev(base);
  let firstRequest: string;
  let firstStatus: string;
  try {
    const out = first.output();
    assert.match(out, new RegExp(`NATS +nats://127\\.0\\.0\\.1:${base} `));
    assert.match(out, new RegExp(`Redis +redis://:\\*\\*\\*@127\\.0\\.0\\.1:${base + 1} `));
    assert.match(out, new RegExp(`aws-local +http://127\\.0\\.0\\.1:${base + 2}\\n`));
    assert.match(out, new RegExp(`health +http://127\\.0\\.0\\.1:${base + 3}/readyz`));
    firstRequest = block(out, /Request more from another shell:/);
    firstStatus = block(out, /See the workers \(as the operator's NATS user\):/);
    assert.match(JSON.parse(shell(firstRequest)).Arn as string, /assumed-role\/credvend-demo\//);
  } finally {
    // A clean stop (Ctrl-C): the servers end and free the ports, their temp folders go.
    await stopDev(first).finally(() => first.kill());
  }
  // The secret: made once, readable by this user alone.
  const secretFile = path.join(state, "credvend", "dev-secret");
  assert.equal(statSync(secretFile).mode & 0o777, 0o600);
  assert.equal(statSync(path.join(state, "credvend")).mode & 0o777, 0o700);

  const second = await startDev(base);
  try {
    // The same lines, word for word: ports, user names, passwords and the CA's path.
    assert.equal(block(second.output(), /Request more from another shell:/), firstRequest);
    assert.equal(block(second.output(), /See the workers \(as the operator's NATS user\):/), firstStatus);
    // What the first run printed works against the second.
    assert.match(JSON.parse(shell(firstRequest)).AccessKeyId as string, /^ASIA/);
    assert.match(shell(firstStatus), /^WORKER +VERSION/);
  } finally {
    await stopDev(second).finally(() => second.kill());
  }
});

test("dev prints the NATS user names nats-config generates", async () => {
  const base = await freePortBase();
  const dev = spawnCredvend(["dev", "--once", "--port-base", String(base)], ENV);
  assert.equal(await dev.exited, 0, dev.output());
  const summary = JSON.parse(dev.output()) as { natsUsers: { requester: string; operator: string; auditor: string; worker: string }; endpoints: { nats: string } };
  assert.equal(summary.endpoints.nats, `nats://127.0.0.1:${base}`);
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-devnames-"));
  try {
    const file = path.join(dir, "identities.yaml");
    writeFileSync(file, `${readFileSync(path.join(ROOT, "services/cli/examples/credvend.yaml"), "utf8")}\nidentities:\n  - { tenant: acme, principal: demo-app, password: $DEMO_PW }\n`);
    const pw = "a-long-enough-dev-password-1";
    const auth = await credvend(["nats-config", file, "--operator-user", summary.natsUsers.operator, "--auditor-user", summary.natsUsers.auditor], { DEMO_PW: pw, CREDVEND_VENDOR_NATS_PASSWORD: pw, CREDVEND_OPERATOR_NATS_PASSWORD: pw, CREDVEND_AUDITOR_NATS_PASSWORD: pw });
    assert.equal(auth.code, 0, auth.stderr);
    for (const user of [summary.natsUsers.requester, summary.natsUsers.operator, summary.natsUsers.auditor, summary.natsUsers.worker]) {
      assert.match(auth.stdout, new RegExp(`user: "${user.replace(".", "\\.")}"`), `${user} in:\n${auth.stdout}`);
    }
    assert.equal(summary.natsUsers.requester, "acme.demo-app");
    // The operator may ask the workers for their status and read the answers: nothing else.
    assert.match(auth.stdout, /user: "credvend-operator", password: "\$2[ab]\$[^"]+", permissions: \{ publish: \{ allow: \["\$SRV\.>", "credvend\.v1\.admin\.revoked"\] \}, subscribe: \{ allow: \["_INBOX\.>"\] \} \}/);
    // The auditor reads the audit stream through its own consumers and inbox: nothing else.
    assert.match(auth.stdout, /user: "credvend-auditor", password: "\$2[ab]\$[^"]+", permissions: \{ publish: \{ allow: \["\$JS\.API\.STREAM\.INFO\.CREDVEND_AUDIT", [^\]]*\] \}, subscribe: \{ allow: \["_INBOX\.credvend-audit\.>"\] \} \}/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("dev refuses a bad port base and a dev secret others can read", async () => {
  for (const bad of ["0", "65533", "x"]) {
    const r = await credvend(["dev", "--port-base", bad], ENV);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /--port-base/);
  }
  const own = mkdtempSync(path.join(tmpdir(), "credvend-devstate-open-"));
  try {
    // First use makes the file; opened up to others, it is refused before anything starts.
    const base = await freePortBase();
    const made = spawnCredvend(["dev", "--once", "--port-base", String(base)], { ...ENV, XDG_STATE_HOME: own });
    assert.equal(await made.exited, 0, made.output());
    chmodSync(path.join(own, "credvend", "dev-secret"), 0o644);
    const refused = await credvend(["dev", "--once"], { ...ENV, XDG_STATE_HOME: own });
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /dev-secret is readable by other users \(mode 644\): run chmod 600 /);
  } finally {
    rmSync(own, { recursive: true, force: true });
  }
});
