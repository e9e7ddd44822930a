// XML parsing that throws on any error (xmldom only reports them to a handler by default, and a
// document it recovered from is not one a signature or a seed may be read from).
import { DOMParser } from "@xmldom/xmldom";

export function parseStrictXml(xml: string): Document {
  return new DOMParser({
    errorHandler: {
      warning: () => undefined,
      error: (msg: string) => {
        throw new Error(msg);
      },
      fatalError: (msg: string) => {
        throw new Error(msg);
      },
    },
  }).parseFromString(xml, "text/xml") as unknown as Document;
}
