// awsQuery request parameters: flat `Name=value` pairs, lists as `Name.member.N`, structs in lists
// as `Name.member.N.Field`. An empty list arrives as `Name=` (the JS SDK sets serializeEmptyLists).

export class QueryParams {
  constructor(private readonly params: URLSearchParams) {}

  /** A scalar parameter, or undefined when absent. */
  get(name: string): string | undefined {
    return this.params.get(name) ?? undefined;
  }

  /** `Name.member.1`, `Name.member.2`, … in index order; [] for `Name=` or absence. */
  list(name: string): string[] {
    return this.indexed(`${name}.member.`).map(([, v]) => v);
  }

  /** Structs in a list: `Name.member.N.Field` -> [{Field: value}, …] in index order. */
  structList(name: string, fields: readonly string[]): Record<string, string | undefined>[] {
    const byIndex = new Map<number, Record<string, string | undefined>>();
    const prefix = `${name}.member.`;
    for (const [key, value] of this.params) {
      if (!key.startsWith(prefix)) continue;
      const rest = key.slice(prefix.length);
      const dot = rest.indexOf(".");
      const index = Number(rest.slice(0, dot));
      const field = rest.slice(dot + 1);
      if (dot < 0 || !Number.isInteger(index) || index < 1 || !fields.includes(field)) continue;
      const entry = byIndex.get(index) ?? {};
      entry[field] = value;
      byIndex.set(index, entry);
    }
    return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }

  private indexed(prefix: string): [number, string][] {
    const out: [number, string][] = [];
    for (const [key, value] of this.params) {
      if (!key.startsWith(prefix)) continue;
      const index = Number(key.slice(prefix.length));
      if (Number.isInteger(index) && index >= 1) out.push([index, value]);
    }
    return out.sort((a, b) => a[0] - b[0]);
  }
}
