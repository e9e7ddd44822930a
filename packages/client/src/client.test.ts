// The client's retry, deadline and abort behaviour against a real nats-server, with a scripted
// responder standing in for the vendor (what it answers is under test here, not the vendor).
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { getEventListeners } from "node:events";
import type { KMSClient } from "@aws-sdk/client-kms";
import { CredvendError, decodeRequest, encodeErrorReply, requestSubject } from "@credvend/protocol";
import { natsUrl, uniqueName } from "@credvend/testkit";
import { connect, type Msg, type NatsConnection } from "nats";
import { CredvendClient } from "./client.js";

interface Sent { readonly at: number; readonly payload: Uint8Array }

let nc: NatsConnection;
before(async () => {
  nc = await connect({ servers: await natsUrl() });
});
after(async () => {
  await nc?.close();
});

/** Answers each request on a fresh tenant's subject as `script` says: bytes to reply, or undefined to stay silent. */
async function scriptedVendor(tenant: string, script: (attempt: number, msg: Msg) => Uint8Array | undefined) {
  const sent: Sent[] = [];
  const sub = nc.subscribe(requestSubject(tenant, "demo-app"), {
    callback: (_err, msg) => {
      sent.push({ at: Date.now(), payload: msg.data });
      const reply = script(sent.length, msg);
      if (reply && msg.reply) nc.publish(msg.reply, reply);
    },
  });
  await nc.flush();
  return { sent, stop: () => sub.unsubscribe() };
}
const refusal = (payload: Uint8Array) => encodeErrorReply(decodeRequest(payload).requestId, new CredvendError("CV_ERR_TEMPLATE_NOT_FOUND", "no such template"), Date.now());
// Never reached: no scripted reply carries credentials.
const kms = {} as KMSClient;
const replyKeyArn = "arn:aws:kms:us-east-1:000000000000:key/c0ffee00-0000-4000-8000-000000000001";

test("retries reuse the request id and bytes, and every attempt leaves before the request's deadline", async () => {
  const tenant = uniqueName("cl");
  const vendor = await scriptedVendor(tenant, (attempt, msg) => (attempt < 3 ? undefined : refusal(msg.data)));
  const client = new CredvendClient({ nc, tenant, principal: "demo-app", kms, replyKeyArn, timeoutMs: 100, attempts: 3 });
  await assert.rejects(client.request({ template: "t" }), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_TEMPLATE_NOT_FOUND");
  vendor.stop();
  const { sent } = vendor;
  assert.equal(sent.length, 3);
  assert.equal(new Set(sent.map((s) => decodeRequest(s.payload).requestId)).size, 1, "one request id across attempts");
  assert.ok(sent.every((s) => Buffer.compare(Buffer.from(s.payload), Buffer.from(sent[0]?.payload ?? [])) === 0), "the same bytes on every attempt");
  for (const s of sent) {
    const deadline = Number(decodeRequest(s.payload).deadlineMs);
    assert.ok(deadline - s.at >= 100, `attempt sent ${s.at - (sent[0]?.at ?? 0)} ms in, with ${deadline - s.at} ms left before its deadline`);
  }
});

test("no vendor listening is UNAVAILABLE with a message naming the subject", async () => {
  const client = new CredvendClient({ nc, tenant: uniqueName("cl"), principal: "demo-app", kms, replyKeyArn, timeoutMs: 200, attempts: 1 });
  await assert.rejects(client.request({ template: "t" }), (e: unknown) => e instanceof CredvendError && e.code === "UNAVAILABLE" && /no credvend worker is listening on credvend\.v1\.req\./.test(e.message));
});

test("the caller's abort ends a request at once, mid-attempt", async () => {
  const tenant = uniqueName("cl");
  const vendor = await scriptedVendor(tenant, () => undefined);
  const client = new CredvendClient({ nc, tenant, principal: "demo-app", kms, replyKeyArn, timeoutMs: 5000, attempts: 3 });
  const controller = new AbortController();
  const started = Date.now();
  setTimeout(() => controller.abort(), 100);
  await assert.rejects(client.request({ template: "t", signal: controller.signal }), (e: unknown) => e instanceof CredvendError && /aborted by the caller/.test(e.message));
  assert.ok(Date.now() - started < 1000, "did not wait for the attempt's timeout");
  vendor.stop();
});

test("retry sleeps and attempts do not leave listeners on a long-lived AbortSignal", async () => {
  const tenant = uniqueName("cl");
  const vendor = await scriptedVendor(tenant, (attempt, msg) => (attempt % 2 === 1 ? undefined : refusal(msg.data)));
  const client = new CredvendClient({ nc, tenant, principal: "demo-app", kms, replyKeyArn, timeoutMs: 50, attempts: 2 });
  const shutdown = new AbortController();
  for (let i = 0; i < 5; i += 1) await assert.rejects(client.request({ template: "t", signal: shutdown.signal }));
  assert.equal(getEventListeners(shutdown.signal, "abort").length, 0);
  vendor.stop();
});

test("AWS throttling of the vendor is retried with the same request id, no sooner than the reply's retry-after", async () => {
  const tenant = uniqueName("cl");
  const throttled = (payload: Uint8Array) =>
    encodeErrorReply(decodeRequest(payload).requestId, new CredvendError("CV_ERR_AWS_THROTTLED", "AWS STS throttled AssumeRole", { retryAfterMs: 400 }), Date.now());
  const vendor = await scriptedVendor(tenant, (attempt, msg) => (attempt === 1 ? throttled(msg.data) : refusal(msg.data)));
  const client = new CredvendClient({ nc, tenant, principal: "demo-app", kms, replyKeyArn, timeoutMs: 1000, attempts: 2 });
  await assert.rejects(client.request({ template: "t" }), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_TEMPLATE_NOT_FOUND");
  vendor.stop();
  const [first, second] = vendor.sent;
  assert.ok(first && second, `retried: ${vendor.sent.length} attempts`);
  assert.ok(second.at - first.at >= 400, `waited ${second.at - first.at} ms, the retry-after was 400 ms`);
  assert.equal(decodeRequest(second.payload).requestId, decodeRequest(first.payload).requestId);
});

test("backoff between timeouts is jittered (the SDK's full-jitter strategy), never a fixed schedule", async () => {
  const tenant = uniqueName("cl");
  const vendor = await scriptedVendor(tenant, () => undefined);
  const gaps: number[] = [];
  for (let i = 0; i < 6; i += 1) {
    const client = new CredvendClient({ nc, tenant, principal: "demo-app", kms, replyKeyArn, timeoutMs: 30, attempts: 2 });
    const before = vendor.sent.length;
    await assert.rejects(client.request({ template: "t" }), (e: unknown) => e instanceof CredvendError && e.reason === "CV_ERR_CLIENT_TIMEOUT");
    const [a, b] = vendor.sent.slice(before);
    if (a && b) gaps.push(b.at - a.at - 30);
  }
  vendor.stop();
  assert.equal(gaps.length, 6);
  // Measured where the vendor receives, so delivery delays of a loaded machine shift a gap either
  // way by tens of milliseconds: the bound only says the schedule is short, never seconds.
  assert.ok(gaps.every((g) => g < 250), `full jitter: every first gap well under a second, got ${gaps.join(", ")}`);
  assert.ok(new Set(gaps).size > 1, `gaps differ: ${gaps.join(", ")}`);
});
