// The fleet's population: P requesters spread over T tenants, each an aws-local IAM user bound to
// its tenant (as in production: its `credvend:tenant` tag and an IAM policy that lets it Decrypt
// only replies sealed to its own (tenant, name)), so the client really decrypts per principal and
// the worker really generates one data key per recipient. The seed is the built-in dev seed plus
// these users; the access rule and the rate-limited template go into the bench config.
import { DEV_ACCOUNT_ID, DEV_REPLY_KEY_ID, DEV_SEED } from "@credvend/aws-local";

/** Templates the fleet uses, beside the bench's own two (topology.mjs). */
export const LIMITED_TEMPLATE = "s3-tenant-read-limited";
/** Per tenant: the limited template refuses beyond this (GCRA in Redis, one counter per tenant). */
export const LIMITED_PER_SECOND = 1;

const pad = (n, width) => String(n).padStart(width, "0");

/** `count` principals round-robin over `tenants` tenants: bench-p0000 in fleet-t00, bench-p0001 in fleet-t01, ... */
export function fleetPopulation(principals, tenants) {
  const tenantNames = Array.from({ length: tenants }, (_, i) => `fleet-t${pad(i, 2)}`);
  const members = Array.from({ length: principals }, (_, i) => {
    const name = `bench-p${pad(i, 4)}`;
    return {
      tenant: tenantNames[i % tenants],
      principal: name,
      // BENCH-ONLY keys, valid against this local emulator only (like the dev seed's).
      credentials: { accessKeyId: `AKIABENCHP${pad(i, 10)}`, secretAccessKey: `bench-only/${name}/NOT-A-REAL-SECRET` },
    };
  });
  return { tenants: tenantNames, members };
}

const replyKeyArnAnyRegion = `arn:aws:kms:*:${DEV_ACCOUNT_ID}:key/${DEV_REPLY_KEY_ID}`;

/** The dev seed plus one tenant-bound requester per member (JSON, which is YAML). */
export function fleetSeed(population) {
  const seed = JSON.parse(JSON.stringify(DEV_SEED));
  for (const m of population.members) {
    seed.users.push({
      name: m.principal,
      path: "/",
      access_keys: [{ access_key_id: m.credentials.accessKeyId, secret_access_key: m.credentials.secretAccessKey }],
      tags: { "credvend:tenant": m.tenant },
      mfa_devices: [],
      policies: [
        {
          name: "decrypt-own-replies",
          document: {
            Version: "2012-10-17",
            Statement: [
              {
                Effect: "Allow",
                Action: "kms:Decrypt",
                Resource: replyKeyArnAnyRegion,
                Condition: {
                  StringEquals: {
                    "kms:EncryptionContext:credvend:principal": "${aws:username}",
                    "kms:EncryptionContext:credvend:tenant": "${aws:PrincipalTag/credvend:tenant}",
                  },
                },
              },
            ],
          },
        },
      ],
    });
  }
  return JSON.stringify(seed);
}

/** Config lines for the fleet: its access rule (appended to `access:`) and the limited template. */
export function fleetConfigParts(population, { template, reuseTemplate, templateBlock }) {
  const tenants = population.tenants.map((t) => `"${t}"`).join(", ");
  return {
    templateBlock: templateBlock.replace(/^  (\S+):\n/, `  ${LIMITED_TEMPLATE}:\n`),
    accessRule: `  - tenants: [${tenants}]
    principals: ["bench-p*"]
    templates: ["${template}", "${reuseTemplate}", "${LIMITED_TEMPLATE}"]
    params: { bucket: ["acme-data"] }
`,
    perTemplate: `  per_template:\n    ${LIMITED_TEMPLATE}: { per_second: ${LIMITED_PER_SECOND}, burst: ${LIMITED_PER_SECOND} }\n`,
  };
}
