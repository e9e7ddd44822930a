import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { formatEnv, formatRequest, shellQuote } from "./formats.js";
import { runsCredvend } from "./recursion.js";

const creds = { accessKeyId: "ASIAEXAMPLE", secretAccessKey: "s3cr3t'$(touch /tmp/x)`id`\"", sessionToken: "tok en\n'x'", expiration: new Date("2030-01-01T00:00:00Z") };

test("env lines survive a real shell unchanged, whatever the values hold", () => {
  const printed = execFileSync("sh", ["-c", `${formatEnv(creds, "env")}\nprintf '%s\\n%s' "$AWS_SECRET_ACCESS_KEY" "$AWS_SESSION_TOKEN"`], { encoding: "utf8" });
  assert.equal(printed, `${creds.secretAccessKey}\n${creds.sessionToken}`);
  assert.equal(shellQuote("it's"), `'it'\\''s'`);
});

test("powershell and json formats; the table masks secrets", () => {
  assert.match(formatEnv(creds, "powershell"), /^\$Env:AWS_SECRET_ACCESS_KEY='s3cr3t''\$\(touch/m);
  assert.equal(JSON.parse(formatEnv(creds, "json")).AWS_SESSION_TOKEN, creds.sessionToken);
  const table = formatRequest(creds, "table");
  assert.match(table, /access key id\s+ASIAEXAMPLE/);
  assert.doesNotMatch(table, /touch|tok en/);
  assert.equal(JSON.parse(formatRequest(creds, "json")).Expiration, "2030-01-01T00:00:00.000Z");
});

test("a credential_process that runs credvend is recognised, by any path", () => {
  for (const command of ["credvend credential-process --template t", "/usr/local/bin/credvend credential-process", "node /x/services/cli/bin/credvend.js credential-process", "\"/opt/my tools/credvend\" credential-process"]) {
    assert.equal(runsCredvend(command), true, command);
  }
  for (const command of ["aws-vault export --format=json dev", "/usr/bin/credvend-helper", "python credvendish.py"]) assert.equal(runsCredvend(command), false, command);
});
