// How a request ended, for tests that assert on reasons rather than on thrown errors.
import assert from "node:assert/strict";
import { CredvendError } from "@credvend/protocol";

/** The CredvendError the request was refused with; fails the test if it succeeded or threw something else. */
export async function refusal(promise: Promise<unknown>): Promise<CredvendError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof CredvendError, `expected a CredvendError, got ${String(error)}`);
    return error;
  }
  assert.fail("expected a refusal, but the request succeeded");
}

/** "served", or the refusal's permanent reason (anything else as text, so an assertion shows it). */
export function reason(promise: Promise<unknown>): Promise<string> {
  return promise.then(() => "served", (e: unknown) => (e instanceof CredvendError ? e.reason : String(e)));
}
