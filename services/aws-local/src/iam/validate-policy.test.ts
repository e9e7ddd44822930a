import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkPolicyDocument } from "./validate-policy.js";

describe("checkPolicyDocument", () => {
  it("accepts a well-formed key policy", () => {
    const doc = {
      Version: "2012-10-17",
      Statement: [{ Effect: "Allow", Principal: { AWS: "arn:aws:iam::000000000000:root" }, Action: "kms:*", Resource: "*", Condition: { "ForAnyValue:StringLikeIfExists": { "k:x": ["a"] } } }],
    };
    assert.deepEqual(checkPolicyDocument(doc, "resource"), []);
  });

  it("knows the IP address operators", () => {
    const doc = { Statement: [{ Effect: "Deny", Principal: "*", Action: "*", Resource: "*", Condition: { NotIpAddress: { "aws:SourceIp": "10.0.0.0/8" }, IpAddressIfExists: { "aws:SourceIp": "::1" } } }] };
    assert.deepEqual(checkPolicyDocument(doc, "resource"), []);
  });

  it("names each problem", () => {
    const problems = checkPolicyDocument({ Statement: [{ Effect: "Permit", Action: "kms:*", Condition: { StringSortOf: { k: "v" } }, Extra: 1 }] }, "resource");
    assert.ok(problems.some((p) => p.includes('unknown element "Extra"')));
    assert.ok(problems.some((p) => p.includes("Effect")));
    assert.ok(problems.some((p) => p.includes("Principal")));
    assert.ok(problems.some((p) => p.includes('unknown condition operator "StringSortOf"')));
  });

  it("rejects Principal in identity policies and bad versions", () => {
    assert.equal(checkPolicyDocument({ Statement: { Effect: "Allow", Principal: "*", Action: "*", Resource: "*" } }, "identity").length, 1);
    assert.equal(checkPolicyDocument({ Version: "2020-01-01", Statement: [] }, "identity").length, 1);
    assert.equal(checkPolicyDocument("nope", "identity").length, 1);
  });
});
