import { fileURLToPath } from "node:url";

// The config the dev stack runs with: one tenant, one least-privilege template on the dev seed's
// role. It is the example from the README, so what a new user reads is what runs.
export const DEMO_TENANT = "acme";
export const DEMO_PRINCIPAL = "demo-app";
export const DEMO_TEMPLATE = "s3-tenant-read";
export const DEMO_PARAMS = { bucket: "acme-data" } as const;

/** The example config file shipped with the CLI (services/cli/examples/credvend.yaml). */
export const DEMO_CONFIG_FILE = fileURLToPath(new URL("../../examples/credvend.yaml", import.meta.url));
