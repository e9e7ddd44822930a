// PackedPolicySize: AWS reports the share (percent) of an internal packed-binary budget used by the
// session policy, managed policy ARNs and session tags together. The real packing is not public.
// Our documented estimate: deflate (raw, level 9) the minified policy JSON, each ARN and each
// tag key/value, NUL-separated, and divide by a budget of 2,048 packed bytes, rounding up.
// A maximal 2,048-character policy lands around 20–40%; 50 long random tags exceed 100%.
import { deflateRawSync } from "node:zlib";

export const PACKED_BUDGET_BYTES = 2048;

export function packedPolicySizePercent(
  minifiedPolicy: string | undefined,
  policyArns: readonly string[],
  tags: readonly (readonly [string, string])[],
): number {
  const parts: string[] = [minifiedPolicy ?? "", ...policyArns];
  for (const [k, v] of tags) parts.push(k, v);
  const packed = deflateRawSync(Buffer.from(parts.join("\u0000"), "utf8"), { level: 9 });
  return Math.ceil((100 * packed.length) / PACKED_BUDGET_BYTES);
}
