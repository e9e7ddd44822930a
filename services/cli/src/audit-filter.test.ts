import { test } from "node:test";
import assert from "node:assert/strict";
import { UsageError } from "./args.js";
import { auditFilter, sinceTime } from "./audit-filter.js";

test("--tenant/--principal become a subject filter; a wildcard or dot in a name is refused", () => {
  assert.equal(auditFilter(undefined, undefined), "credvend.v1.audit.*.*");
  assert.equal(auditFilter("acme", undefined), "credvend.v1.audit.acme.*");
  assert.equal(auditFilter(undefined, "app"), "credvend.v1.audit.*.app");
  for (const bad of ["*", ">", "a.b", "", "Acme"]) assert.throws(() => auditFilter(bad, undefined), (e: unknown) => e instanceof UsageError && /--tenant/.test(e.message));
  assert.throws(() => auditFilter("acme", "a.>"), /--principal "a\.>" is not a valid name/);
});

test("--since takes a duration back from now or an ISO time", () => {
  const now = Date.parse("2026-01-31T12:00:00Z");
  assert.equal(sinceTime(undefined, now), undefined);
  assert.equal(sinceTime("90s", now)?.toISOString(), "2026-01-31T11:58:30.000Z");
  assert.equal(sinceTime("2h", now)?.toISOString(), "2026-01-31T10:00:00.000Z");
  assert.equal(sinceTime("7d", now)?.toISOString(), "2026-01-24T12:00:00.000Z");
  assert.equal(sinceTime("2026-01-30T00:00:00Z", now)?.toISOString(), "2026-01-30T00:00:00.000Z");
  for (const bad of ["yesterday", "5 m", "-1h", "2026-13-45"]) assert.throws(() => sinceTime(bad, now), UsageError);
});
