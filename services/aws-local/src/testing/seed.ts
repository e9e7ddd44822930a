// Test scaffolding (used by *.test.ts only): the message a seed that must be refused is refused with.
import assert from "node:assert/strict";
import { SeedError, validateSeed } from "../seed/load.js";
import type { SeedInput } from "../seed/schema.js";

/** validateSeed's SeedError message for `input`; fails the test if the seed loads. */
export function seedProblem(input: SeedInput): string {
  try {
    validateSeed(input, "test seed");
  } catch (error) {
    assert.ok(error instanceof SeedError, String(error));
    return error.message;
  }
  throw new Error("the seed loaded, but was expected to be refused");
}
