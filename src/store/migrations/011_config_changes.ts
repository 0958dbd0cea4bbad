import { PostgresAdapter, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Configuration changes reach every process (services/config-watch.ts): a write to any
// table an operator configures bumps config_version, whoever writes it (the API, the CLI,
// `switchboard apply`, a hand-run SQL statement); on PostgreSQL the same trigger NOTIFYs
// CONFIG_CHANNEL, so listening processes hear it at once, and everyone else polls the
// one-row table.
export const CONFIG_TABLES = ['accounts', 'api_keys', 'providers', 'numbers', 'country_rules', 'relay_rules', 'templates'] as const;
export const CONFIG_CHANNEL = 'switchboard_config';
export const m011: Migration = {
  async up(db) {
    await db.schema.createTable('config_version').addColumn('id', 'integer', (c) => c.primaryKey()).addColumn('version', 'bigint', (c) => c.notNull()).execute();
    await db.insertInto('config_version').values({ id: 1, version: 0 }).execute();
    // A message a simulator carried says so (API, callbacks, dashboard): it never left the building.
    await db.schema.alterTable('messages').addColumn('simulated', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    if (db.getExecutor().adapter instanceof PostgresAdapter) {
      await sql.raw(`CREATE FUNCTION config_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; PERFORM pg_notify('${CONFIG_CHANNEL}', TG_TABLE_NAME); RETURN NULL; END $$`).execute(db);
      for (const t of CONFIG_TABLES) {
        await sql.raw(`CREATE TRIGGER ${t}_config_changed AFTER INSERT OR UPDATE OR DELETE ON ${t} FOR EACH ROW EXECUTE FUNCTION config_changed()`).execute(db);
      }
      return;
    }
    for (const t of CONFIG_TABLES) {
      for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
        await sql.raw(`CREATE TRIGGER ${t}_config_${op.toLowerCase()} AFTER ${op} ON ${t} BEGIN UPDATE config_version SET version = version + 1 WHERE id = 1; END`).execute(db);
      }
    }
  },
};
