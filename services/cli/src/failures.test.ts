import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { SeedError } from "@credvend/aws-local";
import { MissingBinaryError, ServerStartError } from "@credvend/launcher";
import { CredvendError } from "@credvend/protocol";
import { ConfigRefusedError, MissingKvConfigError, SettingsError, WorkerStartError } from "@credvend/worker";
import { CliFailure, CommandNotFound, CommandNotRunnable, UsageError } from "./args.js";
import { describeFailure, OPERATOR_FAILURES, operatorFailure } from "./failures.js";

// The registry matches classes by name: a renamed class must fail here, not fall through to
// "unexpected failure" in front of an operator.
const SAMPLES: Record<string, Error> = {
  UsageError: new UsageError("--x is unknown"),
  CliFailure: new CliFailure("config file x.yaml: no such file"),
  SettingsError: new SettingsError("invalid vendor settings"),
  WorkerStartError: new WorkerStartError("no config"),
  ConfigRefusedError: new ConfigRefusedError("x.yaml", [{ severity: "error", path: "templates.t", message: "bad" }]),
  MissingKvConfigError: new MissingKvConfigError("no bucket"),
  MissingBinaryError: new MissingBinaryError("nats-server", ["/usr/bin"]),
  ServerStartError: new ServerStartError("redis-server", "exited", "last words"),
  SeedError: new SeedError("seed.yaml: bad"),
  CredvendError: new CredvendError("CV_ERR_TEMPLATE_NOT_FOUND", "no template t"),
  CommandNotFound: new CommandNotFound("job.sh: command not found"),
  CommandNotRunnable: new CommandNotRunnable("cannot run job.sh: permission denied"),
};

/** exec's own failures to start COMMAND use the statuses env(1) and shells use. */
const EXEC_EXITS: Record<string, number> = { CommandNotFound: 127, CommandNotRunnable: 126 };

test("every registered failure names a real error class, and every class maps to its entry", () => {
  assert.deepEqual(OPERATOR_FAILURES.map((f) => f.errorName).sort(), Object.keys(SAMPLES).sort());
  for (const [name, error] of Object.entries(SAMPLES)) {
    assert.equal(error.name, name);
    assert.equal(operatorFailure(error)?.errorName, name);
  }
});

test("codes are unique and permanent-looking; a wrong command line exits 2, everything else 1", () => {
  const codes = OPERATOR_FAILURES.map((f) => f.code);
  assert.equal(new Set(codes).size, codes.length);
  for (const f of OPERATOR_FAILURES) assert.match(f.code, /^CV_OP_[A-Z_]+$/);
  assert.equal(describeFailure("request", SAMPLES.UsageError).exit, 2);
  assert.equal(describeFailure("request", SAMPLES.UsageError).text, "credvend request: --x is unknown (see 'credvend request --help')");
  for (const name of Object.keys(SAMPLES).filter((n) => n !== "UsageError")) assert.equal(describeFailure("worker", SAMPLES[name]).exit, EXEC_EXITS[name] ?? 1, name);
});

test("a refused config lists its problems; a request error shows code and reason", () => {
  assert.equal(describeFailure("worker", SAMPLES.ConfigRefusedError).text, "credvend worker: config from x.yaml has 1 error(s):\n  error: templates.t: bad");
  assert.match(describeFailure("request", SAMPLES.CredvendError).text, /^credvend request: NOT_FOUND \(CV_ERR_TEMPLATE_NOT_FOUND\): no template t$/);
});

test("no failure line shows a password from a URL, known or unexpected", () => {
  const withUrl = [
    new WorkerStartError("cannot reach Redis at redis://:hunter2pass@127.0.0.1:1: connect ECONNREFUSED"),
    new Error("nats://vendor:hunter2pass@127.0.0.1:1 closed"),
    new SettingsError(`invalid vendor settings:\n  NATS_URL="nats://vendor:hunter2pass@h:99999x": invalid`),
  ];
  for (const error of withUrl) {
    const { text } = describeFailure("worker", error);
    assert.doesNotMatch(text, /hunter2pass/, text);
  }
});

test("the README's operator failure table is the registry, row for row", () => {
  const readme = readFileSync(new URL("../../../README.md", import.meta.url), "utf8");
  const rows = readme.split("\n").flatMap((line) => {
    const m = /^\| `(CV_OP_[A-Z_]+)` \| `(\w+)` \| (\d+) \| (.+) \|$/.exec(line);
    return m ? [{ code: m[1], errorName: m[2], exit: Number(m[3]), meaning: m[4] }] : [];
  });
  assert.deepEqual(rows, OPERATOR_FAILURES.map(({ code, errorName, exit, meaning }) => ({ code, errorName, exit, meaning })));
});
