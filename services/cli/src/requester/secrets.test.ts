// The requester's own secrets stay out of what credvend shows and hands on: a password or token
// inside NATS_URL never reaches an error line, a renewal message, the endpoint's 503 body or the
// environment of the command `credvend exec` runs; the token file `credvend serve` makes is one
// the AWS SDKs can send (they send its bytes unchanged, and refuse a newline).
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { VendedCredentials } from "@credvend/client";
import type { RequesterEnv } from "../cli-env.js";
import { loadOrCreateToken } from "../commands/serve.js";
import { natsFailure } from "../nats-failure.js";
import { childEnv } from "./child-env.js";
import { startContainerEndpoint } from "./container-endpoint.js";
import { RefreshingCredentials } from "./refreshing.js";

const PASSWORD = "hunter2-very-secret";
const env: RequesterEnv = {
  natsUrl: `nats://alice:${PASSWORD}@127.0.0.1:1,tls://${PASSWORD}@nats-2.internal:4222`,
  natsUser: undefined, natsPassword: undefined, tenant: "acme", principal: "app", region: undefined, replyKeyArn: undefined, sealingPublicKey: undefined, configFile: undefined,
};

test("NATS failures name NATS_URL's host but never the password or token inside it", () => {
  for (const code of ["CONNECTION_REFUSED", "ENOTFOUND", "TIMEOUT", "AUTHORIZATION_VIOLATION"]) {
    const mapped = natsFailure(Object.assign(new Error(code), { code }), env);
    assert.ok(mapped instanceof Error);
    assert.doesNotMatch(mapped.message, new RegExp(PASSWORD), `${code}: ${mapped.message}`);
    assert.match(mapped.message, /nats:\/\/alice:\*\*\*@127\.0\.0\.1:1/, code);
  }
});

test("credvend exec's command gets NATS_URL without its credentials", () => {
  const child = childEnv({ NATS_URL: env.natsUrl, NATS_PASSWORD: PASSWORD, HOME: "/home/x" }, { url: "http://127.0.0.1:1/credentials", token: "t".repeat(43) });
  assert.equal(child.NATS_URL, "nats://127.0.0.1:1,tls://nats-2.internal:4222");
  assert.equal(child.NATS_PASSWORD, undefined);
  assert.equal(child.HOME, "/home/x");
  assert.doesNotMatch(JSON.stringify(child), new RegExp(PASSWORD));
});

test("a failed renewal's 503 body shows no password from a URL in the failure", async () => {
  const failing = { get: async (): Promise<VendedCredentials> => { throw natsFailure(Object.assign(new Error("x"), { code: "CONNECTION_REFUSED" }), env); } };
  // Not through natsFailure: any failure text that quotes such a URL.
  const raw = { get: async (): Promise<VendedCredentials> => { throw new Error(`connect nats://alice:${PASSWORD}@h:4222 failed`); } };
  for (const source of [failing, raw]) {
    const token = "t".repeat(43);
    const credentials = new RefreshingCredentials(source, 1000);
    const endpoint = await startContainerEndpoint({ host: "127.0.0.1", port: 0, token, credentials });
    try {
      const res = await fetch(endpoint.url, { headers: { authorization: token } });
      assert.equal(res.status, 503);
      const body = await res.text();
      assert.match(body, /CredentialsUnavailable/);
      assert.doesNotMatch(body, new RegExp(PASSWORD), body);
    } finally {
      credentials.stop();
      await endpoint.close();
    }
  }
});

test("serve's token file holds the token alone (no newline), and a file with a line break is refused with the fix", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "credvend-token-"));
  try {
    const made = path.join(dir, "made");
    const token = loadOrCreateToken(made);
    // What the SDKs send: the file's bytes (botocore refuses \r and \n, Node refuses them in a header).
    assert.equal(readFileSync(made, "utf8"), token);
    assert.match(token, /^[\x21-\x7e]{32,}$/);
    assert.equal(loadOrCreateToken(made), token, "read back unchanged");
    const echoed = path.join(dir, "echoed");
    writeFileSync(echoed, `${"k".repeat(44)}\n`, { mode: 0o600 });
    assert.throws(() => loadOrCreateToken(echoed), (e: unknown) => e instanceof Error && /no line break/.test(e.message) && /tr -d '\\n'/.test(e.message));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
