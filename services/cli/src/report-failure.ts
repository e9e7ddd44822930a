// The failure path of every command, apart from index.ts so that the credential-process entry
// point (credential-process-main.ts) shares it. Loads only when a command has failed.

/** One line on stderr that says what to fix; 2 for a wrong command line, 1 for everything else. */
export async function reportFailure(command: string, error: unknown): Promise<number> {
  const { describeFailure } = await import("./failures.js");
  const { natsFailure } = await import("./nats-failure.js");
  const { requesterEnv } = await import("./cli-env.js");
  const { text, exit } = describeFailure(command, natsFailure(error, requesterEnv()));
  process.stderr.write(`${text}\n`);
  return exit;
}
