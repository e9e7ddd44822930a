// Text that came off the wire (a vendor's error message, a forger's request id or key id) ends up
// in an exception a CLI prints to a terminal or a service writes to its logs. Control characters
// there are an attack (ANSI escapes that rewrite the screen, a carriage return that hides the real
// message, bidi overrides that reorder it), and a megabyte of text is a nuisance: both are cut here.

/** C0, DEL and C1 controls, and the Unicode bidi embeddings, overrides and isolates. */
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g;

/** Longest wire text kept in a message (the vendor's own messages are one short line). */
export const MAX_WIRE_TEXT = 1000;

/** `text` with every control character shown as U+FFFD and at most `max` characters kept. */
export function printable(text: string, max = MAX_WIRE_TEXT): string {
  const clean = text.replace(UNPRINTABLE, "\ufffd");
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}
