import { ADMIN_TOKEN_HEADER, devEnvExports, startAwsLocal, validateFaultConfig, type FaultConfig } from "@credvend/aws-local";
import { readFileSync } from "node:fs";
import { parse, parseIntFlag, requireFile, UsageError } from "../args.js";
import { stopSignal } from "../stop-signal.js";

export const AWS_LOCAL_USAGE = `usage: credvend aws-local [--port 4566] [--host 127.0.0.1] [--seed FILE] [--region us-east-1]
                          [--clock-skew-seconds 300] [--faults JSON|@FILE]
       credvend aws-local --print-env USER [--port 4566] [--region us-east-1]

A LOCAL EMULATOR of AWS STS and KMS (real wire protocols, SigV4, policies, cryptography) for
development, tests and benchmarks. Without --seed it loads the built-in dev seed (dev-only keys).
--print-env prints the export lines that point the AWS CLI and SDKs at it as a dev-seed user.
--faults sets latency, throttling and injected errors (see services/aws-local/README.md).`;

function readFaults(arg: string): FaultConfig {
  const text = arg.startsWith("@") ? readFileSync(requireFile(arg.slice(1), "--faults"), "utf8") : arg;
  try {
    return validateFaultConfig(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`--faults: ${(error as Error).message}`);
  }
}

export async function awsLocalCommand(argv: readonly string[], out: (line: string) => void): Promise<number> {
  const { values } = parse(argv, {
    port: { type: "string" }, host: { type: "string" }, seed: { type: "string" }, region: { type: "string" }, "print-env": { type: "string" },
    "clock-skew-seconds": { type: "string" }, faults: { type: "string" },
  });
  const skew = parseIntFlag("clock-skew-seconds", values["clock-skew-seconds"]);
  const port = parseIntFlag("port", values.port, 65535) ?? 4566;
  const region = values.region ?? "us-east-1";
  if (values["print-env"]) {
    if (values.seed) throw new UsageError("--print-env knows the built-in dev seed's users only; for a custom seed, export its keys yourself");
    try {
      out(devEnvExports(values["print-env"], `http://127.0.0.1:${port}`, region));
    } catch (error) {
      throw new UsageError((error as Error).message);
    }
    return 0;
  }
  if (values.seed) requireFile(values.seed, "--seed");
  const faults = values.faults ? readFaults(values.faults) : undefined;
  const stop = stopSignal();
  const emulator = await startAwsLocal({
    port,
    region,
    logger: out,
    ...(values.host ? { host: values.host } : {}),
    ...(values.seed ? { seed: values.seed } : {}),
    ...(skew !== undefined ? { clockSkewSeconds: skew } : {}),
    ...(faults ? { faults } : {}),
  });
  out(`aws-local listening on ${emulator.endpoint} (region ${region}); Ctrl-C stops it`);
  out(`aws-local admin token for /_aws-local/ (this start only; send it as ${ADMIN_TOKEN_HEADER}): ${emulator.adminToken}`);
  await stop.requested;
  await emulator.stop();
  return 0;
}
