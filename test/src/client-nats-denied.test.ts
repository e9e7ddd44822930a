// The client library (not only the CLI) answers a NATS permission refusal at once with a
// non-retryable CV_ERR_CLIENT_NATS_DENIED: a requester connected as the wrong NATS user, or one
// whose user may not publish on its request subject, used to wait out every attempt and end with
// a retryable timeout or "no vendor listening". Against a real nats-server with authorization.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { KMSClient } from "@aws-sdk/client-kms";
import { CredvendClient } from "@credvend/client";
import { CredvendError } from "@credvend/protocol";
import { startNatsServer } from "@credvend/testkit";
import { connect, type NatsConnection } from "nats";

const password = "client-denied-secret-0123456789";
let nats: Awaited<ReturnType<typeof startNatsServer>>;
const connections: NatsConnection[] = [];
const kms = new KMSClient({ region: "us-east-1", endpoint: "http://127.0.0.1:1", credentials: { accessKeyId: "AKIAEXAMPLE", secretAccessKey: "unused" } });

before(async () => {
  nats = await startNatsServer({
    jetstream: false,
    config: `authorization { users = [
      { user: "app", password: "${password}", permissions: { publish: ["credvend.v1.req.acme.app"], subscribe: ["credvend.v1.reply.acme.app.>"] } },
      { user: "mute", password: "${password}", permissions: { publish: { deny: [">"] }, subscribe: ["credvend.v1.reply.acme.mute.>"] } }
    ] }`,
  });
});
after(async () => {
  for (const nc of connections) await nc.close();
  kms.destroy();
  await nats?.stop();
});

async function clientAs(user: string, principal: string): Promise<CredvendClient> {
  const nc = await connect({ servers: nats.url, user, pass: password });
  connections.push(nc);
  return new CredvendClient({ nc, tenant: "acme", principal, kms, replyKeyArn: "arn:aws:kms:us-east-1:000000000000:key/11111111-2222-3333-4444-555555555555", attempts: 3, timeoutMs: 4000 });
}

async function deniedQuickly(client: CredvendClient, subject: RegExp): Promise<void> {
  const started = Date.now();
  await assert.rejects(client.request({ template: "t" }), (e: unknown) => {
    assert.ok(e instanceof CredvendError, String(e));
    assert.equal(e.reason, "CV_ERR_CLIENT_NATS_DENIED", e.message);
    assert.equal(e.retryable, false);
    assert.match(e.message, subject);
    return true;
  });
  // Three attempts of 4 s would take 12 s; a refusal is reported on the first.
  assert.ok(Date.now() - started < 3500, `took ${Date.now() - started} ms`);
}

test("a user that may not read the request's reply subject (another principal's) is told at once", async () => {
  await deniedQuickly(await clientAs("app", "other"), /reply subject of credvend\.v1\.req\.acme\.other/);
});

test("a user that may not publish its request is told at once", async () => {
  await deniedQuickly(await clientAs("mute", "mute"), /publish on credvend\.v1\.req\.acme\.mute/);
});
