// Kysely's PostgreSQL dialect with an introspector that looks only at the schema this
// store works in (`current_schema()`).
//
// Kysely's migrator asks the introspector whether its ledger tables exist, and the stock
// one reads every column of every table in the database, calling has_schema_privilege()
// on each schema's name. A schema dropped by another application (or another test run)
// between the catalog read and that call fails our migration with "schema … does not
// exist" — a migration that has nothing to do with that schema. Reading our own schema
// only cannot race with anyone's DROP SCHEMA, and it costs the same however many schemas
// the database holds.
import { PostgresDialect, sql, type DatabaseIntrospector, type Kysely, type SchemaMetadata, type TableMetadata } from 'kysely';

class CurrentSchemaIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<unknown>;
  constructor(db: Kysely<unknown>) { this.#db = db; }

  async getSchemas(): Promise<SchemaMetadata[]> {
    const r = await sql<{ name: string }>`SELECT nspname AS name FROM pg_catalog.pg_namespace`.execute(this.#db);
    return r.rows;
  }

  /** The tables and views of the current schema, without their columns (no caller reads them). */
  async getTables(): Promise<TableMetadata[]> {
    const r = await sql<{ name: string; schema: string; kind: string }>`
      SELECT c.relname AS name, n.nspname AS schema, c.relkind AS kind
        FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
       WHERE n.nspname = current_schema() AND c.relkind IN ('r', 'v', 'p', 'f')
       ORDER BY c.relname`.execute(this.#db);
    return r.rows.map((t) => ({ name: t.name, schema: t.schema, isView: t.kind === 'v', isForeign: t.kind === 'f', columns: [] }));
  }
}

export class SchemaScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new CurrentSchemaIntrospector(db);
  }
}
