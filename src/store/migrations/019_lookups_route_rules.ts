import { PostgresAdapter, sql } from 'kysely';
import type { Migration } from 'kysely/migration';
import { ts } from './types.ts';

// Carrier-aware routing (issue 28): the carrier lookup cache, shared by every process
// (a row is claimed under a lease while one process asks the provider, so one number is
// never looked up twice at once), route rules by prefix and by network (configuration:
// they bump config_version and write config.changed like the tables of 011 and 018), and
// a message's own ask for a lookup, or its destination country's.
export const m019: Migration = {
  async up(db) {
    const pg = db.getExecutor().adapter instanceof PostgresAdapter;
    await db.schema.createTable('lookups')
      .addColumn('number', 'text', (c) => c.primaryKey())
      .addColumn('provider_id', 'text')
      .addColumn('line_type', 'text')
      .addColumn('provider_type', 'text')
      .addColumn('carrier', 'text')
      .addColumn('mcc', 'text')
      .addColumn('mnc', 'text')
      .addColumn('ported', 'integer')
      .addColumn('price', 'text')
      .addColumn('error', 'text')
      .addColumn('looked_up_at', ts)
      .addColumn('expires_at', ts)
      .addColumn('lease_owner', 'text')
      .addColumn('lease_until', ts)
      .execute();
    await db.schema.createTable('route_rules')
      .addColumn('match', 'text', (c) => c.primaryKey())
      .addColumn('providers', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.alterTable('messages').addColumn('lookup', 'integer').execute();
    await db.schema.alterTable('country_rules').addColumn('lookup', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    if (pg) {
      await sql.raw('CREATE TRIGGER route_rules_config_changed AFTER INSERT OR UPDATE OR DELETE ON route_rules FOR EACH ROW EXECUTE FUNCTION config_changed()').execute(db);
      await sql.raw('CREATE TRIGGER route_rules_config_event AFTER INSERT OR UPDATE OR DELETE ON route_rules FOR EACH ROW EXECUTE FUNCTION config_event()').execute(db);
      return;
    }
    for (const op of ['INSERT', 'UPDATE', 'DELETE']) {
      await sql.raw(`CREATE TRIGGER route_rules_config_${op.toLowerCase()} AFTER ${op} ON route_rules BEGIN
        UPDATE config_version SET version = version + 1 WHERE id = 1;
        INSERT INTO outbox (id, account_id, type, subject, time, data) VALUES ('evt_cfg_' || lower(hex(randomblob(12))), '_system', 'config.changed', 'route_rules',
          CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER), json_object('table', 'route_rules', 'operation', '${op}')); END`).execute(db);
    }
  },
};
