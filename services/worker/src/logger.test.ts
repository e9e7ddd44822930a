import { test } from "node:test";
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger } from "./logger.js";

test("secret fields are redacted at any of the usual depths", async () => {
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const log = createLogger({ destination: sink });
  log.info({ secretAccessKey: "S1", credentials: { sessionToken: "T1", accessKeyId: "ASIAOK" }, req: { mfa: { tokenCode: "123456" } }, federation: { webIdentityToken: "W1" } }, "x");
  log.flush();
  await new Promise((r) => setImmediate(r));
  const out = lines.join("");
  for (const secret of ["S1", "T1", "123456", "W1"]) assert.doesNotMatch(out, new RegExp(`"${secret}"`));
  assert.match(out, /ASIAOK/);
});
