import { test } from "node:test";
import assert from "node:assert/strict";
import { encodeRevocation, parseRevocation, revokes } from "./revocation.js";

const bytes = (s: string) => new TextEncoder().encode(s);

test("a notice round-trips; it covers only its template, scope and sessions issued before its time", () => {
  const notice = parseRevocation(encodeRevocation({ template: "etl", tenant: "acme", beforeMs: 2_000 }));
  assert.deepEqual(notice, { template: "etl", tenant: "acme", beforeMs: 2_000 });
  const session = { template: "etl", tenant: "acme", principal: "app", issuedAtMs: 1_999 };
  assert.equal(revokes(notice, session), true);
  assert.equal(revokes(notice, { ...session, issuedAtMs: 2_000 }), false);
  assert.equal(revokes(notice, { ...session, tenant: "globex" }), false);
  assert.equal(revokes(notice, { ...session, template: "other" }), false);
});

test("a malformed notice is refused, saying which field is wrong", () => {
  const cases: Array<[string, RegExp]> = [
    ["\xff", /JSON/],
    ["[]", /JSON object/],
    ['{"template":"etl","beforeMs":1,"all":true}', /unknown fields: all/],
    ['{"template":"ETL!","beforeMs":1}', /template/],
    ['{"template":"etl","beforeMs":-1}', /beforeMs/],
    ['{"template":"etl","beforeMs":1.5}', /beforeMs/],
    ['{"template":"etl","beforeMs":1,"principal":"a.b"}', /principal/],
  ];
  for (const [text, message] of cases) assert.throws(() => parseRevocation(bytes(text)), message, text);
});
