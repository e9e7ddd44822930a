// A tenant flooding refused requests (rate-limited, denied, unknown templates) must not grow the
// audit stream by one event per refusal: within a window, the first refusal of a kind (tenant,
// principal, template, outcome, reason) is stored in full and the others only counted, then one
// summary carries the count. What is stored stays bounded, the counts sum to exactly the refusals
// the flooder was sent, every issued credential keeps its own event, and a stopping worker flushes
// the windows still open. End to end: the client SDK, real nats-server (JetStream), redis-server.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";
import { uniqueName } from "@credvend/testkit";
import type { AuditEvent } from "@credvend/worker";
import { credvend } from "./support/cli.js";
import { demoConfig } from "./support/config.js";
import { startHarness, type Harness } from "./support/harness.js";
import { decisionsIn, tenantEvents } from "./support/audit-stream.js";
import { until } from "./support/until.js";

const flooder = uniqueName("aflood");
const calm = uniqueName("acalm");
const WINDOW_MS = 1500;
let h: Harness;

before(async () => {
  // A principal may vend twice, then every request is rate-limited: a flood that costs the
  // flooder nothing and the worker one refusal each.
  h = await startHarness({
    config: demoConfig({ tenants: [flooder, calm], principals: ["demo-app", "other-app", "acme-app"], perPrincipal: { perSecond: 0.01, burst: 2 } }),
    env: { CREDVEND_AUDIT_REFUSAL_WINDOW_MS: String(WINDOW_MS) },
  });
});
after(async () => {
  await h?.stop();
});

interface Sent {
  issued: string[];
  refused: number;
}

/** Sends `count` requests through the client SDK, `wave` at a time; what the requester got. */
async function flood(principal: string, count: number, wave: number, params: (i: number) => { template: string; bucket: string }): Promise<Sent> {
  const client = h.client(flooder, principal, { attempts: 1, timeoutMs: 10_000 });
  const sent: Sent = { issued: [], refused: 0 };
  for (let start = 0; start < count; start += wave) {
    await Promise.all(Array.from({ length: Math.min(wave, count - start) }, async (_, k) => {
      const p = params(start + k);
      try {
        sent.issued.push((await client.request({ template: p.template, params: { bucket: p.bucket } })).accessKeyId);
      } catch (error) {
        assert.ok(error instanceof CredvendError, String(error));
        sent.refused += 1;
      }
    }));
  }
  return sent;
}

const isSummary = (e: AuditEvent) => e.count !== undefined;

test("a flood of refusals is stored as a bounded number of events whose counts sum to the flood", async (t) => {
  const started = Date.now();
  const UNKNOWN = 600;
  const [rated, denied, unknown] = await Promise.all([
    flood("demo-app", 4000, 400, () => ({ template: "s3-tenant-read", bucket: "acme-data" })),
    flood("other-app", 1000, 250, () => ({ template: "s3-tenant-read", bucket: "not-allowed-bucket" })),
    // A distinct template name each: the aggregation's own map must stay bounded too.
    flood("acme-app", UNKNOWN, 50, (i) => ({ template: `no-such-${i}`, bucket: "acme-data" })),
  ]);
  const floodMs = Date.now() - started;
  const issued = [...rated.issued, ...denied.issued, ...unknown.issued];
  const refused = rated.refused + denied.refused + unknown.refused;
  assert.equal(issued.length + refused, 5600);
  assert.equal(issued.length, 2, "the burst of two, then rate-limited");
  await h.client(calm, "demo-app").request({ template: "s3-tenant-read", params: { bucket: "acme-data" } });

  // Every window closes by itself (no stop needed) and its summary is published.
  let events: AuditEvent[] = [];
  await until("the summaries of every window", async () => {
    events = await tenantEvents(h.nc, flooder);
    return decisionsIn(events) >= 5600;
  }, WINDOW_MS * 4 + 5000, 250);
  assert.equal(decisionsIn(events), 5600, "counts sum to the flood, nothing counted twice");
  const issuedEvents = events.filter((e) => e.outcome === "issued");
  assert.deepEqual(issuedEvents.map((e) => e.accessKeyId).sort(), [...issued].sort(), "each credential handed out has its own event");
  assert.ok(issuedEvents.every((e) => !isSummary(e)));
  // Per kind and window at most the first in full plus one summary; the unknown templates fill the
  // tenant's share of the map and then count into its overflow entry.
  const windows = Math.ceil(floodMs / WINDOW_MS) + 1;
  const bound = 2 + 256 + 2 * windows * 5;
  assert.ok(events.length <= bound, `${events.length} events stored for 5600 decisions (bound ${bound})`);
  for (const s of events.filter(isSummary)) {
    assert.ok((s.count ?? 0) >= 1 && s.windowStart !== undefined && s.windowEnd !== undefined && s.windowStart <= s.windowEnd, JSON.stringify(s));
    assert.ok(s.outcome !== "issued" && s.outcome !== "replayed" && s.requestId === undefined && s.accessKeyId === undefined, JSON.stringify(s));
  }
  const rateSummaries = events.filter((e) => isSummary(e) && e.reason === "CV_ERR_RATE_LIMITED" && e.principal === "demo-app");
  assert.ok(rateSummaries.length >= 1, "the rate-limited flood has summaries");
  const first = events.find((e) => e.reason === "CV_ERR_RATE_LIMITED" && !isSummary(e));
  assert.ok(first?.requestId && first.template === "s3-tenant-read", `the first refusal is in full: ${JSON.stringify(first)}`);
  assert.ok(events.some((e) => e.overflow === "tenant"), "unknown templates past the tenant's share are counted in its overflow entry");
  // The calm tenant's decisions are its own.
  assert.deepEqual((await tenantEvents(h.nc, calm)).map((e) => e.outcome), ["issued"]);
  const fixedKinds = events.filter((e) => e.principal !== "acme-app" && e.overflow === undefined);
  t.diagnostic(`flood of 5600 decisions (2 issued) in ${floodMs} ms: ${events.length} events stored, ${events.filter(isSummary).length} of them summaries; the 5000 of fixed kinds (not the ${UNKNOWN} distinct templates): ${fixedKinds.length} events`);

  // The CLI shows a summary readably.
  const table = await credvend(["audit", "tail", "--tenant", flooder, "--principal", "demo-app"], { NATS_URL: h.natsUrl });
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /refused +.*CV_ERR_RATE_LIMITED ×\d+ /);
});

test("a stopping worker publishes the windows still open", async () => {
  const before = decisionsIn(await tenantEvents(h.nc, flooder));
  const sent = await flood("demo-app", 300, 300, () => ({ template: "s3-tenant-read", bucket: "acme-data" }));
  assert.equal(sent.refused, 300);
  await h.vendor.stop();
  const events = await tenantEvents(h.nc, flooder);
  assert.equal(decisionsIn(events) - before, 300, "the open window's count was published at stop");
});
