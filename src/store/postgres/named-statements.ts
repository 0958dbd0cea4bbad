// Named prepared statements for SQL that Kysely builds. pg sends a statement without a name
// as Parse + Bind every time, and PostgreSQL plans it again at every Bind. The worker's
// bookkeeping (an outcome batch, a receipt batch) is one long statement of CTEs whose text
// repeats from batch to batch; an outcome batch's Bind took 1.4 ms, 0.5 ms once named (the
// server's log; what is left is its JSON), and with more workers the batches are smaller,
// so each message paid more of it. A connection set up here names each statement with
// parameters after its text: parsed once per connection, and, once PostgreSQL finds the
// generic plan no worse, planned once too.
//
// Only texts seen among the first MAX_NAMED get names (an application bug that made a new
// text every time must not grow every connection's statements without end); the rest go
// unnamed, as before. SWITCHBOARD_PG_PREPARED=off (a pooler that cannot keep prepared
// statements) leaves connections alone.
import { createHash } from 'node:crypto';
import type pg from 'pg';

const MAX_NAMED = 256;
const names = new Map<string, string>();

/** The name for `text`, or null once MAX_NAMED texts have one. */
export function statementName(text: string): string | null {
  let name = names.get(text);
  if (name === undefined) {
    if (names.size >= MAX_NAMED) return null;
    name = `sb_${createHash('sha256').update(text).digest('hex').slice(0, 24)}`;
    names.set(text, name);
  }
  return name;
}

/** Makes `client` send each statement that has parameters (Kysely's `query(text, values)`) as a named prepared statement. */
export function nameStatements(client: pg.PoolClient): void {
  const query = client.query.bind(client) as (config: unknown, values?: unknown) => unknown;
  (client as { query: unknown }).query = (config: unknown, values?: unknown) => {
    if (typeof config === 'string' && Array.isArray(values) && values.length > 0) {
      const name = statementName(config);
      if (name !== null) return query({ text: config, values, name });
    }
    return query(config, values);
  };
}
