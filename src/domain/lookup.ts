// A table lookup by a key that came from outside (a provider's status or error code):
// only the table's own entries count, so "__proto__", "constructor" and friends find
// nothing instead of Object.prototype's members.
export function lookup<T>(table: Readonly<Record<string | number, T>>, key: string | number): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
