// Signals reach the process that does the work: SIGTERM or SIGINT sent to the PID a user started
// (`npm start`, `npx credvend worker`) ends every process below it, and nothing keeps listening.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "nats";
import { redisUrl, startNatsServer, uniqueName } from "@credvend/testkit";
import { ROOT } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { REGION } from "./support/harness.js";
import { descendants, killAll, portOpen, waitGone } from "./support/process-tree.js";

const dir = mkdtempSync(path.join(tmpdir(), "credvend-signals-"));
after(() => rmSync(dir, { recursive: true, force: true }));

interface Started {
  readonly child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs: number): Promise<void>;
  /** Resolves when the process has ended; rejects after `timeoutMs` (a process that ignores a signal fails the test, not hangs it). */
  exited(timeoutMs: number): Promise<void>;
}

function start(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Started {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
  let text = "";
  for (const stream of [child.stdout, child.stderr]) stream.on("data", (chunk: Buffer) => (text += chunk.toString("utf8")));
  const ended = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const exited = (timeoutMs: number): Promise<void> => Promise.race([ended, new Promise<void>((_, reject) => {
    setTimeout(() => reject(new Error(`${command} did not exit within ${timeoutMs} ms; output:\n${text}`)), timeoutMs).unref();
  })]);
  return {
    child,
    output: () => text,
    exited,
    async waitFor(pattern, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (!pattern.test(text)) {
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} (exit ${child.exitCode}); output:\n${text}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  };
}

/** The environment of a person's shell: no servers of the test run, no npm script variables. */
function shellEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!/^(npm_|NATS_|REDIS_|CREDVEND_|AWS_)/i.test(k)) env[k] = v;
  }
  return { ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...extra };
}

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`npm start: ${signal} to the npm pid stops credvend dev and its nats-server, redis-server and aws-local`, async () => {
    const npm = start("npm", ["start"], shellEnv());
    let tree: number[] = [];
    try {
      await npm.waitFor(/Serving until Ctrl-C\./, 60_000);
      const ports = [...npm.output().matchAll(/(?:NATS|Redis|aws-local) +\S*?127\.0\.0\.1:(\d+)/g)].map((m) => Number(m[1]));
      assert.equal(ports.length, 3, npm.output());
      tree = descendants(npm.child.pid ?? 0);
      // credvend dev itself, and a supervised nats-server and redis-server.
      assert.ok(tree.length >= 3, `process tree below npm: ${tree.join(", ")}`);
      for (const port of ports) assert.equal(await portOpen(port), true, `port ${port} is served before the stop`);

      npm.child.kill(signal);
      await npm.exited(15_000);
      assert.equal(npm.child.exitCode, 0, `npm ended with ${npm.child.exitCode ?? npm.child.signalCode}; output:\n${npm.output()}`);
      assert.match(npm.output(), /stopping…/);
      assert.deepEqual(await waitGone(tree, 5000), [], "processes left running after npm ended");
      for (const port of ports) assert.equal(await portOpen(port), false, `port ${port} still accepts connections`);
    } finally {
      killAll([...tree, npm.child.pid ?? 0]);
    }
  });
}

test("npx credvend worker: SIGTERM to the npx pid stops the worker (it leaves the queue group)", async () => {
  const nats = await startNatsServer();
  const config = path.join(dir, "credvend.yaml");
  writeFileSync(config, demoConfig({ tenants: [uniqueName("sig")] }));
  const nc = await connect({ servers: nats.url, name: "signals-test" });
  const npx = start("npx", ["credvend", "worker"], shellEnv({
    NATS_URL: nats.url, REDIS_URL: await redisUrl(), CREDVEND_CONFIG: config, AWS_REGION: REGION,
    // A free port: the default 9465 may be held by any other worker on this machine.
    CREDVEND_HTTP_PORT: "0",
  }));
  let tree: number[] = [];
  try {
    await npx.waitFor(/worker ready/, 30_000);
    tree = descendants(npx.child.pid ?? 0);
    assert.ok(tree.length >= 1, "the worker runs below npx");
    const ping = await nc.request("$SRV.PING.credvend-vendor", undefined, { timeout: 2000 });
    assert.ok(ping.data.length > 0, "the worker answers discovery before the stop");

    npx.child.kill("SIGTERM");
    await npx.exited(15_000);
    assert.deepEqual(await waitGone(tree, 5000), [], `worker processes left running after npx ended; output:\n${npx.output()}`);
    // Nobody serves the queue group any more: NATS answers "no responders" at once.
    await assert.rejects(nc.request("$SRV.PING.credvend-vendor", undefined, { timeout: 2000 }), (e: Error & { code?: string }) => e.code === "503");
  } finally {
    killAll([...tree, npx.child.pid ?? 0]);
    await nc.close();
    await nats.stop();
  }
});
