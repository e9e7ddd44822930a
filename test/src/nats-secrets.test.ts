// NATS identities can not be empty: a real nats-server started from what `credvend nats-config`
// generates refuses an empty password (and a wrong one) and accepts the right one; the command
// refuses to generate a block from an empty or short secret.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { connect } from "nats";
import { startNatsServer } from "@credvend/testkit";
import { credvend } from "./support/cli.js";
import { demoConfig } from "./support/config.js";

const APP_SECRET = "app-secret-9f1c2e7d5b";
const VENDOR_SECRET = "vendor-secret-4a8e0c3b6d";

test("nats-server from the generated block refuses an empty password, for requesters and the worker", async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-natssecrets-"));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, "credvend.yaml");
  writeFileSync(file, `${demoConfig({ tenants: ["acme"] })}identities:\n  - { tenant: acme, principal: demo-app, user: demo-app, password: $DEMO_APP_NATS_PASSWORD }\n`);

  // Unset, empty, short: no block is generated at all.
  for (const value of [undefined, "", "short-pw"]) {
    const env = { CREDVEND_VENDOR_NATS_PASSWORD: VENDOR_SECRET, ...(value === undefined ? {} : { DEMO_APP_NATS_PASSWORD: value }) };
    const refused = await credvend(["nats-config", file], env);
    assert.equal(refused.code, 1, refused.stdout);
    assert.equal(refused.stdout, "");
    assert.match(refused.stderr, /\$DEMO_APP_NATS_PASSWORD (is unset|is empty|has 8 characters)/);
  }

  const generated = await credvend(["nats-config", file], { DEMO_APP_NATS_PASSWORD: APP_SECRET, CREDVEND_VENDOR_NATS_PASSWORD: VENDOR_SECRET });
  assert.equal(generated.code, 0, generated.stderr);
  assert.ok(!generated.stdout.includes(APP_SECRET) && !generated.stdout.includes(VENDOR_SECRET), "no secret in the block");
  assert.match(generated.stdout, /password: "\$2[ab]\$10\$/);

  // nats-server runs WITHOUT the variables in its environment: the hashes are all it needs.
  const nats = await startNatsServer({ config: generated.stdout });
  t.after(() => nats.stop());
  for (const [user, pass] of [["demo-app", ""], ["credvend-vendor", ""], ["demo-app", "wrong-password-123"], ["nobody", ""]] as const) {
    await assert.rejects(connect({ servers: nats.url, user, pass, reconnect: false, timeout: 3000 }), (e: Error & { code?: string }) => e.code === "AUTHORIZATION_VIOLATION", `${user} with ${JSON.stringify(pass)} got in`);
  }
  for (const [user, pass] of [["demo-app", APP_SECRET], ["credvend-vendor", VENDOR_SECRET]] as const) {
    const nc = await connect({ servers: nats.url, user, pass, reconnect: false });
    await nc.close();
  }
});
