// A cheap walk over a CredentialRequest's wire bytes before protobufjs decodes them. The vendor
// decodes every message before anything else about it (admission reads its request id), so what
// decoding costs is what one tenant's junk costs everybody. protobufjs builds a JS object per map
// entry and skips unknown fields one by one: 14,000 tiny params fit in 124 KiB and took 10 ms and
// 1.7 MB of heap to decode, 400 times a normal request. This walk reads only tags and lengths (a
// length-delimited field is skipped in one step), stops at the first bound exceeded, and names the
// field to fix. It also checks each string field's UTF-8, so that error names its field too.
import { isUtf8 } from "node:buffer";
import { CredvendError } from "./errors.js";

/**
 * Most params a request may carry. The policy package checks the same bound on the decoded request
 * (its MAX_REQUEST_PARAMS, which must equal this; a worker test keeps them in step).
 */
export const MAX_REQUEST_PARAM_ENTRIES = 64;

/**
 * Most fields, at every level, one request may hold: the 11 top-level fields, 64 params of three
 * fields each and the 6 federation and MFA fields are about 210, so this leaves room for fields a
 * newer client adds (unknown ones are skipped, as proto3 wants) but not for a flood of them.
 */
export const MAX_REQUEST_WIRE_FIELDS = 1024;

// Field numbers of proto/credvend/v1/credvend.proto (never renumbered: the file is additive only).
const REQUEST_STRINGS: Readonly<Record<number, string>> = { 1: "request_id", 2: "template", 7: "on_behalf_of", 11: "client_version" };
const PARAMS = 3;
const NESTED: Readonly<Record<number, { readonly name: string; readonly strings: Readonly<Record<number, string>> }>> = {
  8: { name: "federation", strings: { 1: "web_identity_token", 2: "provider_id", 3: "saml_assertion", 4: "saml_provider_arn" } },
  9: { name: "mfa", strings: { 1: "serial_number", 2: "token_code" } },
};
const PARAM_ENTRY: Readonly<Record<number, string>> = { 1: "key", 2: "value" };

const WIRE_VARINT = 0;
const WIRE_I64 = 1;
const WIRE_LEN = 2;
const WIRE_I32 = 5;

class Walk {
  pos = 0;
  fields = 0;
  params = 0;
  constructor(readonly bytes: Uint8Array) {}

  varint(): number {
    let value = 0;
    for (let shift = 0; shift < 70; shift += 7) {
      if (this.pos >= this.bytes.length) throw malformed("a varint runs past the end of the payload");
      const b = this.bytes[this.pos++] as number;
      // Only lengths and tags are used: beyond 2^49 the exact value no longer matters (it is
      // then larger than any payload), but the bytes are still consumed.
      if (shift < 49) value += (b & 0x7f) * 2 ** shift;
      if ((b & 0x80) === 0) return value;
    }
    throw malformed("a varint is longer than 10 bytes");
  }

  /** The [start, end) of a length-delimited field's body. */
  body(field: string): [number, number] {
    const length = this.varint();
    const start = this.pos;
    if (length > this.bytes.length - start) throw malformed(`${field} says it is ${length} bytes but only ${this.bytes.length - start} follow`);
    this.pos = start + length;
    return [start, this.pos];
  }

  /** One message's fields in [pos, end): `onField` handles a known one and returns true, else it is skipped. */
  message(end: number, path: string, onField: (number: number, wire: number) => boolean): void {
    while (this.pos < end) {
      if (++this.fields > MAX_REQUEST_WIRE_FIELDS) {
        throw new CredvendError("CV_ERR_REQUEST_DECODE", `request has more than ${MAX_REQUEST_WIRE_FIELDS} protobuf fields (unknown or repeated fields included); send each field once, and only the template's parameters`);
      }
      const tag = this.varint();
      const number = Math.floor(tag / 8);
      const wire = tag % 8;
      if (number === 0) throw malformed(`${path || "request"} has a field numbered 0`);
      if (!onField(number, wire)) this.skip(wire, path);
      if (this.pos > end) throw malformed(`a field of ${path || "the request"} runs past its end`);
    }
  }

  skip(wire: number, path: string): void {
    switch (wire) {
      case WIRE_VARINT: this.varint(); return;
      case WIRE_I64: this.advance(8); return;
      case WIRE_LEN: this.body(path || "a field"); return;
      case WIRE_I32: this.advance(4); return;
      // Groups (3, 4) are proto2 only; credvend.v1 is proto3 and never sends them.
      default: throw malformed(`${path || "the request"} has a field of wire type ${wire} (groups or an invalid type), which credvend.v1 never uses`);
    }
  }

  advance(n: number): void {
    if (this.pos + n > this.bytes.length) throw malformed("a fixed-size field runs past the end of the payload");
    this.pos += n;
  }

  /** A string field: its bytes must be UTF-8. `what` names it in the message (a param's key or value). */
  string(field: string, what = field): void {
    const [start, end] = this.body(field);
    if (!isUtf8(this.bytes.subarray(start, end))) {
      throw new CredvendError("CV_ERR_REQUEST_FIELD", `${what}: is not valid UTF-8; send it as UTF-8 text`, { field });
    }
  }
}

/** Throws CV_ERR_REQUEST_DECODE or CV_ERR_REQUEST_FIELD (naming the field) when the bytes exceed a bound; cost: one pass over tags. */
export function checkRequestShape(bytes: Uint8Array): void {
  const w = new Walk(bytes);
  w.message(bytes.length, "", (number, wire) => {
    if (wire !== WIRE_LEN) return false;
    const stringField = REQUEST_STRINGS[number];
    if (stringField !== undefined) {
      w.string(stringField);
      return true;
    }
    if (number === PARAMS) {
      if (++w.params > MAX_REQUEST_PARAM_ENTRIES) {
        throw new CredvendError("CV_ERR_REQUEST_FIELD", `params: has more than ${MAX_REQUEST_PARAM_ENTRIES} entries; at most ${MAX_REQUEST_PARAM_ENTRIES} are accepted (send only the template's parameters)`, { field: "params" });
      }
      const [start, end] = w.body("params");
      w.pos = start;
      entry(w, end);
      return true;
    }
    const nested = NESTED[number];
    if (nested === undefined) return false;
    const [start, end] = w.body(nested.name);
    w.pos = start;
    w.message(end, nested.name, (n, t) => {
      const name = nested.strings[n];
      if (t !== WIRE_LEN || name === undefined) return false;
      w.string(`${nested.name}.${name}`);
      return true;
    });
    return true;
  });
}

function entry(w: Walk, end: number): void {
  w.message(end, "params", (n, t) => {
    const part = PARAM_ENTRY[n];
    if (t !== WIRE_LEN || part === undefined) return false;
    w.string("params", `params: a parameter ${part}`);
    return true;
  });
}

function malformed(why: string): CredvendError {
  return new CredvendError("CV_ERR_REQUEST_DECODE", `payload is not a valid credvend.v1.CredentialRequest protobuf (${why}); encode it with the proto in proto/credvend/v1`);
}
