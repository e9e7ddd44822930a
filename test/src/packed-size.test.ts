// Property: lint's packed-size estimate never passes what aws-local refuses. Random templates
// (statements, resources with Latin-1 text, typed parameters, up to 46 tags with non-ASCII text);
// for each that lint passes, the worst-case request (every parameter, tenant, principal and request
// id at its longest, drawn from its whole alphabet, acting on behalf so all four credvend tags are
// sent) goes through stsRequest and the unmodified STS SDK to aws-local's AssumeRole, which must
// accept it: no PackedPolicyTooLarge.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { AssumeRoleCommand, STSClient } from "@aws-sdk/client-sts";
import { DEV_ACCOUNT_ID, devCredentials, startAwsLocal, type AwsLocal } from "@credvend/aws-local";
import { parseConfig, planRequest, stsRequest, type CredvendConfig, type ParamSpec } from "@credvend/policy";

let local: AwsLocal;
let sts: STSClient;
before(async () => {
  local = await startAwsLocal({ port: 0, region: "us-east-1", logger: () => undefined });
  sts = new STSClient({ region: "us-east-1", endpoint: local.endpoint, credentials: devCredentials("credvend-vendor"), maxAttempts: 1 });
});
after(async () => {
  sts?.destroy();
  await local?.stop();
});

const LATIN1 = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_éñßüøåçÆÐÞ";
/** Tag text: STS's [\p{L}\p{Z}\p{N}_.:/=+\-@], BMP only, much of it 3 bytes in UTF-8. */
const TAG_TEXT = "abcXYZ09 _.:/=+-@éñßЖДЯλΩ漢字仮名鍵値東京日本語한국어大阪札幌福岡";

// size "max": lengths spread over the whole range, so many templates land near the packed limit.
const text = (alphabet: string, min: number, max: number) => fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max, size: "max" }).map((a) => a.join(""));

const paramArb: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
  fc.integer({ min: 1, max: 128 }).map((n) => ({ type: "string", max_length: n })),
  fc.integer({ min: 1, max: 128 }).map((n) => ({ type: "s3_prefix", max_length: n })),
  fc.array(text("abcdefghijklmnop0123", 1, 24), { minLength: 1, maxLength: 4 }).map((v) => ({ type: "enum", values: [...new Set(v)] })),
  fc.integer({ min: 0, max: 99_999 }).map((max) => ({ type: "integer", min: 0, max })),
);

const templateArb = fc.record({
  params: fc.array(paramArb, { minLength: 0, maxLength: 4 }),
  statements: fc.array(fc.record({
    actions: fc.subarray(["s3:GetObject", "s3:PutObject", "dynamodb:GetItem", "sqs:SendMessage"], { minLength: 1 }),
    resources: fc.array(fc.record({ lit: text(LATIN1, 1, 40), useParam: fc.nat(5) }), { minLength: 1, maxLength: 4 }),
    condition: fc.option(fc.record({ key: text("abcdefgh", 1, 10), useParam: fc.nat(5), lit: text(LATIN1, 1, 30) })),
  }), { minLength: 1, maxLength: 4 }),
  tags: fc.array(fc.record({ key: text("abcdefghijklmnopqrstuvwxyz0123456789", 1, 20), lit: text(TAG_TEXT, 0, 90), useParam: fc.nat(7) }), { minLength: 0, maxLength: 30, size: "max" }),
  arns: fc.array(text("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghij", 1, 40), { minLength: 0, maxLength: 3 }),
});

type GeneratedTemplate = typeof templateArb extends fc.Arbitrary<infer T> ? T : never;

function configOf(g: GeneratedTemplate): string {
  const params = Object.fromEntries(g.params.map((p, i) => [`p${i}`, p]));
  const variable = (n: number) => (n < g.params.length ? `{{p${n}}}` : "{{tenant}}");
  const template = {
    kind: "assume_role",
    role_arn: `arn:aws:iam::${DEV_ACCOUNT_ID}:role/credvend-demo`,
    ...(g.params.length > 0 && { params }),
    policy: {
      Version: "2012-10-17",
      Statement: g.statements.map((s) => ({
        Effect: "Allow",
        Action: s.actions,
        Resource: s.resources.map((r) => `arn:aws:s3:::bucket-${r.lit.toLowerCase().replace(/[^a-z0-9-]/g, "x")}/${r.lit}/${variable(r.useParam)}/x`),
        ...(s.condition !== null && { Condition: { StringEquals: { [`aws:ResourceTag/${s.condition.key}`]: `${s.condition.lit}${variable(s.condition.useParam)}` } } }),
      })),
    },
    ...(g.tags.length > 0 && { tags: Object.fromEntries(g.tags.map((t, i) => [`k${i}-${t.key}`, `${t.lit}${t.useParam < 4 ? variable(t.useParam) : ""}`])) }),
    ...(g.arns.length > 0 && { policy_arns: g.arns.map((a) => `arn:aws:iam::aws:policy/${a}`) }),
  };
  return JSON.stringify({ templates: { t: template }, access: [{ tenants: ["*"], principals: ["*"], templates: ["t"], on_behalf_of: ["cust-*"] }] });
}

/** A small seeded generator, so each run's worst-case values differ from lint's own filler. */
function randomText(seed: number): (alphabet: string, n: number) => string {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return (alphabet, n) => Array.from({ length: n }, () => alphabet[Math.floor(next() * alphabet.length)]).join("");
}

function worstValue(spec: ParamSpec, rnd: (a: string, n: number) => string): string {
  const token = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@+=-";
  switch (spec.type) {
    case "string": return rnd(token, spec.max_length ?? 128);
    case "s3_prefix": {
      const n = spec.max_length ?? 256;
      return rnd(token, n).split("").map((c, i) => (i % 9 === 8 && i < n - 1 ? "/" : c)).join("");
    }
    case "enum": return spec.values.reduce((a, b) => (b.length > a.length ? b : a));
    case "integer": return String(spec.max ?? 0);
    case "arn": return "arn:aws:s3:::x";
  }
}

const NAME = "abcdefghijklmnopqrstuvwxyz0123456789_-";
const REQUEST_ID = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";

test("property: whatever lint passes, aws-local's AssumeRole accepts at worst case (no PackedPolicyTooLarge)", async () => {
  let passed = 0;
  let refusedForSize = 0;
  let highest = 0;
  await fc.assert(fc.asyncProperty(templateArb, fc.integer(), async (g, seed) => {
    const r = parseConfig(configOf(g));
    if (!r.ok) {
      if (r.problems.some((p) => p.message.includes("packed size"))) refusedForSize += 1;
      return;
    }
    passed += 1;
    const config: CredvendConfig = r.config;
    const rnd = randomText(seed);
    const tpl = config.templates.t;
    const params = Object.fromEntries(Object.entries(tpl?.params ?? {}).map(([k, spec]) => [k, worstValue(spec, rnd)]));
    const plan = planRequest(config, {
      tenant: `c${rnd(NAME, 63)}`, principal: `p${rnd(NAME, 63)}`, onBehalfOf: `cust-${rnd(NAME, 59)}`,
      requestId: rnd(REQUEST_ID, 128), template: "t", params,
    });
    const request = stsRequest(plan);
    assert.equal(request.operation, "AssumeRole");
    if (request.operation !== "AssumeRole") return;
    try {
      const out = await sts.send(new AssumeRoleCommand(request.input));
      highest = Math.max(highest, out.PackedPolicySize ?? 0);
    } catch (e) {
      assert.fail(`lint passed but aws-local refused: ${(e as Error).name}: ${(e as Error).message}\n${configOf(g)}`);
    }
  }), { endOnFailure: true, numRuns: Number(process.env.CREDVEND_PACKED_RUNS ?? 40), ...(process.env.CREDVEND_PACKED_RUNS ? {} : { seed: 20261201 }) });
  if (process.env.CREDVEND_PACKED_RUNS) console.log({ passed, refusedForSize, highest });
  // The property says something only if runs pass lint and come close to the limit.
  assert.ok(passed >= 10 && refusedForSize >= 3, `${passed} passed lint, ${refusedForSize} refused for size`);
  assert.ok(highest >= 60, `the largest accepted request used only ${highest}% of aws-local's packed budget`);
});
