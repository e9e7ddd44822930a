/** A forger's clear field quoted in an error: bounded (a protobuf string may be megabytes), so the message's advice survives. */
export function clip(text: string, max = 200): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
