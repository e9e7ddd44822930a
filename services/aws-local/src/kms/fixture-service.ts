// A KMS service with a credvend-replies key like the dev seed's, for unit tests (not used at run time).

import { evaluatePolicies } from "../iam/evaluate.js";
import { ACCOUNT, FIXTURE_PRINCIPALS } from "../iam/fixture-callers.js";
import { AwsError, type CallerIdentity, type PolicyDocument, type SeedKmsKey } from "../types.js";
import { createKmsService, type KmsService } from "./service.js";

export const REGION = "eu-west-1";
export const REPLIES_KEY_ID = "6f1d8a9e-0c3b-4e59-9a51-2f0c1d7e8b11";
export const REPLIES_KEY_ARN = `arn:aws:kms:${REGION}:${ACCOUNT}:key/${REPLIES_KEY_ID}`;
export const OPEN_KEY_ID = "0b7c2f5e-4d1a-4c8e-8f3b-9e6a5d4c3b21";

export const REPLIES_POLICY: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [
    {
      Sid: "VendorSealsReplies",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:user/credvend-vendor` },
      Action: ["kms:GenerateDataKey", "kms:DescribeKey"],
      Resource: "*",
    },
    {
      Sid: "RequesterOpensOwnReplies",
      Effect: "Allow",
      Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` },
      Action: "kms:Decrypt",
      Resource: "*",
      Condition: { StringEquals: { "kms:EncryptionContext:credvend:principal": "${aws:username}" } },
    },
  ],
};

export const SEED_KEYS: readonly SeedKmsKey[] = [
  { id: REPLIES_KEY_ID, description: "credvend reply sealing", aliases: ["alias/credvend-replies"], policy: REPLIES_POLICY },
  { id: OPEN_KEY_ID, aliases: ["alias/open"] },
];

export function testKms(now = () => Date.UTC(2026, 10, 29, 12)): KmsService {
  return createKmsService({ keys: [{ accountId: ACCOUNT, keys: SEED_KEYS }], region: REGION, clock: { now }, evaluate: evaluatePolicies, principals: FIXTURE_PRINCIPALS });
}

export type Body = Record<string, unknown>;

export async function call(kms: KmsService, op: string, input: unknown, caller: CallerIdentity): Promise<Body> {
  const reply = await kms.handle(op, input, caller);
  if (reply.status !== 200) throw new Error(`unexpected status ${reply.status}`);
  return reply.body as Body;
}

/** The AwsError code a call fails with (so tests assert on codes, not text). */
export async function failure(kms: KmsService, op: string, input: unknown, caller: CallerIdentity): Promise<AwsError> {
  try {
    await kms.handle(op, input, caller);
  } catch (error) {
    if (error instanceof AwsError) return error;
    throw error;
  }
  throw new Error(`${op} succeeded but was expected to fail`);
}

export const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
