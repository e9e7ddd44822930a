// A request whose payload cannot be decoded still has an identity (its subject): its error reply
// must go to the requester's own reply namespace only, never to a reply subject of its choosing.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { readReply, replySubject, replyWildcard, requestSubject, REPLY_PREFIX } from "@credvend/protocol";
import { uniqueName, uniqueRequestId } from "@credvend/testkit";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";

const tenant = uniqueName("rt");
const otherTenant = uniqueName("rt-other");
let h: Harness;

before(async () => {
  h = await startHarness({ config: demoConfig({ tenants: [tenant, otherTenant] }) });
});
after(async () => {
  await h?.stop();
});

test("undecodable payload: the error reply never goes to another principal's or tenant's reply subject", async () => {
  const received: string[] = [];
  const spies = [replyWildcard(tenant, "other-app"), replyWildcard(otherTenant, "demo-app"), "credvend.v1.req.>"]
    .map((s) => h.nc.subscribe(s, { callback: (_e, m) => received.push(m.subject) }));
  await h.nc.flush();
  const garbage = Uint8Array.from([0xff, 0xff, 0xff]);
  const before = h.vendor.worker.stats();
  for (const target of [
    replySubject(tenant, "other-app", uniqueRequestId()),
    replySubject(otherTenant, "demo-app", uniqueRequestId()),
    requestSubject(tenant, "other-app"),
  ]) {
    h.nc.publish(requestSubject(tenant, "demo-app"), garbage, { reply: target });
  }
  for (let i = 0; i < 100 && h.vendor.worker.stats().failed < before.failed + 3; i += 1) await new Promise((r) => setTimeout(r, 10));
  await new Promise((r) => setTimeout(r, 200));
  for (const s of spies) s.unsubscribe();
  // The worker did process all three (silence alone would also pass with no worker at all).
  const after = h.vendor.worker.stats();
  assert.equal(after.requests, before.requests + 3);
  assert.equal(after.failed, before.failed + 3);
  // The spy on credvend.v1.req.> sees our own three publishes; anything else is a redirected reply.
  assert.deepEqual(received.filter((s) => s !== requestSubject(tenant, "demo-app")), []);
});

test("undecodable payload with the requester's own reply subject still gets exactly one INVALID_ARGUMENT", async () => {
  const own = `${REPLY_PREFIX}.${tenant}.demo-app.${uniqueRequestId()}`;
  const msg = await h.nc.request(requestSubject(tenant, "demo-app"), Uint8Array.from([0xff, 0xff, 0xff]), { timeout: 5000, noMux: true, reply: own });
  const reply = readReply(msg.data);
  assert.equal(reply.kind, "error");
  if (reply.kind === "error") assert.equal(reply.error.code, "INVALID_ARGUMENT");
});
