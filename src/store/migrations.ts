// Numbered, append-only migrations, shared by both databases. Kysely's Migrator keeps the
// ledger (kysely_migration) and takes a lock (kysely_migration_lock), so two processes
// starting at once migrate safely. Never edit a released migration: add the next one.
// One file per migration in migrations/, named as Kysely records it.
import type { MigrationProvider } from 'kysely/migration';
import { m001 } from './migrations/001_initial.ts';
import { m002 } from './migrations/002_inbound_callbacks.ts';
import { m003 } from './migrations/003_routing.ts';
import { m004 } from './migrations/004_opt_outs.ts';
import { m005 } from './migrations/005_relay_masking.ts';
import { m006 } from './migrations/006_message_parts.ts';
import { m007 } from './migrations/007_interrupted.ts';
import { m008 } from './migrations/008_failover_index.ts';
import { m009 } from './migrations/009_hot_indexes.ts';
import { m010 } from './migrations/010_report_rollups.ts';
import { m011 } from './migrations/011_config_changes.ts';
import { m012 } from './migrations/012_receipt_failover.ts';
import { m013 } from './migrations/013_callback_transports.ts';
import { m014 } from './migrations/014_fair_queues.ts';
import { m015 } from './migrations/015_inbound_webhooks.ts';
import { m016 } from './migrations/016_webhooks_due.ts';
import { m017 } from './migrations/017_attempt_buckets.ts';
import { m018 } from './migrations/018_outbox.ts';
import { m019 } from './migrations/019_lookups_route_rules.ts';
import { m020 } from './migrations/020_audit_log.ts';
import { m021 } from './migrations/021_consent.ts';
import { m022 } from './migrations/022_batches.ts';
import { m023 } from './migrations/023_send_window.ts';
import { m024 } from './migrations/024_idempotency_by_message.ts';
import { m025 } from './migrations/025_claim_clock.ts';
export { CONFIG_CHANNEL, CONFIG_TABLES } from './migrations/011_config_changes.ts';

export const migrations: MigrationProvider = {
  async getMigrations() {
    return {
      '001_initial': m001, '002_inbound_callbacks': m002, '003_routing': m003, '004_opt_outs': m004, '005_relay_masking': m005,
      '006_message_parts': m006, '007_interrupted': m007, '008_failover_index': m008,
      '009_hot_indexes': m009, '010_report_rollups': m010, '011_config_changes': m011, '012_receipt_failover': m012, '013_callback_transports': m013,
      '014_fair_queues': m014, '015_inbound_webhooks': m015, '016_webhooks_due': m016, '017_attempt_buckets': m017,
      '018_outbox': m018, '019_lookups_route_rules': m019, '020_audit_log': m020, '021_consent': m021, '022_batches': m022, '023_send_window': m023,
      '024_idempotency_by_message': m024, '025_claim_clock': m025,
    };
  },
};
