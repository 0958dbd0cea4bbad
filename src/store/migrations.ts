// Numbered, append-only migrations, shared by both databases. Kysely's Migrator keeps the
// ledger (kysely_migration) and takes a lock (kysely_migration_lock), so two processes
// starting at once migrate safely. Never edit a released migration: add the next one.
import { PostgresAdapter, sql, type Kysely } from 'kysely';
import type { Migration, MigrationProvider } from 'kysely/migration';

const ts = 'bigint';

const m001: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('accounts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createTable('api_keys')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id'))
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('prefix', 'text', (c) => c.notNull())
      .addColumn('hash', 'text', (c) => c.notNull().unique())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('revoked_at', ts)
      .execute();
    await db.schema.createTable('messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('api_key_id', 'text')
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text')
      .addColumn('requested_from', 'text')
      .addColumn('country', 'text')
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('encoding', 'text', (c) => c.notNull())
      .addColumn('segments', 'integer', (c) => c.notNull())
      .addColumn('price', 'text')
      .addColumn('currency', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('provider_id', 'text')
      .addColumn('provider_message_id', 'text')
      .addColumn('callback_url', 'text')
      .addColumn('metadata', 'text')
      .addColumn('idempotency_key', 'text')
      .addColumn('send_at', ts)
      .addColumn('expires_at', ts)
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('throttled_attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', ts)
      .addColumn('lease_owner', 'text')
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('sent_at', ts)
      .addColumn('final_at', ts)
      .execute();
    // The queue: only rows that can still become due are indexed.
    await sql`CREATE INDEX messages_due ON messages (next_attempt_at) WHERE status IN ('scheduled', 'queued', 'sending')`.execute(db);
    await db.schema.createIndex('messages_account').on('messages').columns(['account_id', 'id']).execute();
    await db.schema.createIndex('messages_provider_ref').on('messages').columns(['provider_message_id', 'provider_id']).execute();
    await db.schema.createTable('attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('provider_message_id', 'text')
      .addColumn('started_at', ts, (c) => c.notNull())
      .addColumn('finished_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('attempts_message').on('attempts').column('message_id').execute();
    await db.schema.createTable('events')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('status', 'text')
      .addColumn('provider_id', 'text')
      .addColumn('provider_status', 'text')
      .addColumn('error_code', 'text')
      .addColumn('webhook_id', 'text')
      .addColumn('occurred_at', ts, (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('detail', 'text')
      .execute();
    await db.schema.createIndex('events_message').on('events').column('message_id').execute();
    // Replaying a webhook must not duplicate the events it produced.
    await sql`CREATE UNIQUE INDEX events_webhook_once ON events (webhook_id, message_id, provider_status) WHERE webhook_id IS NOT NULL`.execute(db);
    await db.schema.createTable('idempotency_keys')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('key', 'text', (c) => c.notNull())
      .addColumn('request_hash', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('idempotency_keys_pk', ['account_id', 'key'])
      .execute();
    await db.schema.createTable('webhooks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('headers', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('received_at', ts, (c) => c.notNull())
      .addColumn('process_after', ts, (c) => c.notNull())
      .addColumn('processed_at', ts)
      .addColumn('lease_until', ts)
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('error', 'text')
      .execute();
    await sql`CREATE INDEX webhooks_pending ON webhooks (process_after) WHERE processed_at IS NULL`.execute(db);
    await db.schema.createIndex('webhooks_received').on('webhooks').columns(['received_at']).execute();
    await db.schema.createTable('providers')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('priority', 'integer', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('config', 'text', (c) => c.notNull())
      .addColumn('prices', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    const now = Date.now();
    await db.insertInto('accounts').values({ id: 'default', name: 'default', created_at: now, updated_at: now }).execute();
  },
};

// Inbound messages, callbacks to callers (with every delivery attempt), and each API
// key's webhook signing secret and default callback URL.
const m002: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('api_keys').addColumn('webhook_secret', 'text').execute();
    await db.schema.alterTable('api_keys').addColumn('callback_url', 'text').execute();
    await db.schema.createTable('inbound_messages')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('provider_message_id', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text', (c) => c.notNull())
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('webhook_id', 'text', (c) => c.notNull())
      .addColumn('received_at', ts, (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('inbound_provider_ref').on('inbound_messages').columns(['provider_id', 'provider_message_id']).unique().execute();
    await db.schema.createIndex('inbound_account').on('inbound_messages').columns(['account_id', 'id']).execute();
    await db.schema.createTable('callbacks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('api_key_id', 'text')
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('url', 'text', (c) => c.notNull())
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('payload', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', ts)
      .addColumn('lease_until', ts)
      .addColumn('last_error', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('delivered_at', ts)
      .execute();
    await sql`CREATE INDEX callbacks_due ON callbacks (next_attempt_at) WHERE status = 'pending'`.execute(db);
    await db.schema.createIndex('callbacks_message').on('callbacks').column('message_id').execute();
    await db.schema.createTable('callback_attempts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('callback_id', 'text', (c) => c.notNull())
      .addColumn('attempt', 'integer', (c) => c.notNull())
      .addColumn('status_code', 'integer')
      .addColumn('error', 'text')
      .addColumn('started_at', ts, (c) => c.notNull())
      .addColumn('duration_ms', 'integer', (c) => c.notNull())
      .execute();
    await db.schema.createIndex('callback_attempts_callback').on('callback_attempts').column('callback_id').execute();
  },
};

// Routing: the pool of owned numbers, per-country compliance rules, failovers marked on
// attempts (the health window and /v1/status read attempts by time), alert episodes.
const m003: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('numbers')
      .addColumn('number', 'text', (c) => c.primaryKey())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('country', 'text')
      .addColumn('type', 'text', (c) => c.notNull())
      .addColumn('capabilities', 'text', (c) => c.notNull())
      .addColumn('rate_per_second', 'real', (c) => c.notNull())
      .addColumn('pool', 'text', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createTable('country_rules')
      .addColumn('country', 'text', (c) => c.primaryKey())
      .addColumn('require_local', 'integer', (c) => c.notNull())
      .addColumn('allow_alphanumeric', 'integer', (c) => c.notNull())
      .addColumn('providers', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.alterTable('attempts').addColumn('failover', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    await db.schema.createIndex('attempts_started').on('attempts').columns(['started_at']).execute();
    await db.schema.createIndex('messages_to_sent').on('messages').columns(['to_number', 'sent_at']).execute();
    await db.schema.createTable('alerts')
      .addColumn('rule', 'text', (c) => c.primaryKey())
      .addColumn('state', 'text', (c) => c.notNull())
      .addColumn('detail', 'text')
      .addColumn('fired_at', ts)
      .addColumn('resolved_at', ts)
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
  },
};

// Opt-outs: a recipient who replied STOP, per account and business number ('' = every
// number of the account).
const m004: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('opt_outs')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('number', 'text', (c) => c.notNull())
      .addColumn('sender', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('opt_outs_pk', ['account_id', 'number', 'sender'])
      .execute();
  },
};

// Relay rules and their audit (one row per relayed text, one per destination tried), and
// masking sessions with their legs (participant → proxy, unique while active).
const m005: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('relay_rules')
      .addColumn('number', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('destinations', 'text', (c) => c.notNull())
      .addColumn('template', 'text', (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createTable('relays')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('number', 'text', (c) => c.notNull())
      .addColumn('source', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('destinations', 'text', (c) => c.notNull())
      .addColumn('inbound_id', 'text')
      .addColumn('provider_id', 'text')
      .addColumn('provider_message_id', 'text')
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('reason', 'text')
      .addColumn('hops', 'integer', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('deadline_at', ts)
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('relays_provider_message').unique().on('relays').columns(['provider_id', 'provider_message_id']).execute();
    await sql`CREATE INDEX relays_due ON relays (deadline_at) WHERE status = 'forwarding'`.execute(db);
    await db.schema.createIndex('relays_number').on('relays').columns(['number', 'id']).execute();
    await db.schema.createTable('relay_attempts')
      .addColumn('relay_id', 'text', (c) => c.notNull())
      .addColumn('position', 'integer', (c) => c.notNull())
      .addColumn('destination', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text')
      .addColumn('outcome', 'text', (c) => c.notNull())
      .addColumn('detail', 'text')
      .addColumn('started_at', ts, (c) => c.notNull())
      .addColumn('finished_at', ts)
      .addPrimaryKeyConstraint('relay_attempts_pk', ['relay_id', 'position'])
      .execute();
    await db.schema.createTable('masks')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('context_id', 'text')
      .addColumn('participant_a', 'text', (c) => c.notNull())
      .addColumn('proxy_a', 'text', (c) => c.notNull())
      .addColumn('participant_b', 'text', (c) => c.notNull())
      .addColumn('proxy_b', 'text', (c) => c.notNull())
      .addColumn('expires_at', ts, (c) => c.notNull())
      .addColumn('ended_at', ts)
      .addColumn('end_reason', 'text')
      .addColumn('messages_a', 'integer', (c) => c.notNull())
      .addColumn('messages_b', 'integer', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .execute();
    await db.schema.createIndex('masks_account').on('masks').columns(['account_id', 'id']).execute();
    await sql`CREATE INDEX masks_open ON masks (expires_at) WHERE ended_at IS NULL`.execute(db);
    await db.schema.createTable('mask_legs')
      .addColumn('mask_id', 'text', (c) => c.notNull())
      .addColumn('participant', 'text', (c) => c.notNull())
      .addColumn('proxy', 'text', (c) => c.notNull())
      .addColumn('expires_at', ts, (c) => c.notNull())
      .addColumn('active', 'integer', (c) => c.notNull())
      .execute();
    await sql`CREATE UNIQUE INDEX mask_legs_active ON mask_legs (proxy, participant) WHERE active = 1`.execute(db);
    await db.schema.createIndex('mask_legs_mask').on('mask_legs').column('mask_id').execute();
  },
};

// Message parts, and catalog error codes (domain/message-errors.ts) with the provider's
// own code beside them. Parts: what a provider gave its own id to (one per segment for Vonage and
// SMPP, one per message for Twilio). Receipts match a part; the message rolls up. Sent
// messages from before keep their single provider id as part 0.
const m006: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.createTable('message_parts')
      .addColumn('message_id', 'text', (c) => c.notNull())
      .addColumn('part_index', 'integer', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('provider_message_id', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('error_code', 'text')
      .addColumn('error_message', 'text')
      .addColumn('provider_error_code', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('updated_at', ts, (c) => c.notNull())
      .addColumn('reconciled_at', ts)
      .addPrimaryKeyConstraint('message_parts_pk', ['message_id', 'part_index'])
      .execute();
    // Retention deletes final messages oldest first.
    await sql`CREATE INDEX messages_final ON messages (final_at) WHERE final_at IS NOT NULL`.execute(db);
    // Reconciliation looks for parts still `sent` long after they were sent, per provider.
    await db.schema.createIndex('message_parts_unsettled').on('message_parts').columns(['provider_id', 'status', 'updated_at']).execute();
    // Error codes now come from the catalog; the provider's own code is kept beside them.
    await db.schema.alterTable('messages').addColumn('provider_error_code', 'text').execute();
    await db.schema.alterTable('attempts').addColumn('provider_error_code', 'text').execute();
    // Parts of long inbound texts, until every part is here and they are joined.
    await db.schema.createTable('inbound_parts')
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('from_number', 'text', (c) => c.notNull())
      .addColumn('concat_ref', 'text', (c) => c.notNull())
      .addColumn('part', 'integer', (c) => c.notNull())
      .addColumn('total', 'integer', (c) => c.notNull())
      .addColumn('provider_message_id', 'text', (c) => c.notNull())
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('webhook_id', 'text', (c) => c.notNull())
      .addColumn('received_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('inbound_parts_pk', ['provider_id', 'from_number', 'concat_ref', 'part'])
      .execute();
    await db.schema.createIndex('message_parts_provider_ref').unique().on('message_parts').columns(['provider_id', 'provider_message_id']).execute();
    await sql`INSERT INTO message_parts (message_id, part_index, provider_id, provider_message_id, status, error_code, error_message, created_at, updated_at)
      SELECT id, 0, provider_id, provider_message_id, status, error_code, error_message, COALESCE(sent_at, updated_at), updated_at
      FROM messages WHERE provider_message_id IS NOT NULL AND provider_id IS NOT NULL`.execute(db);
  },
};

// Crash-window duplicates, parts awaiting receipts, open messages. A claim that finds the message still `sending` (its lease ran
// out: the worker died, or shut down mid-send) marks it interrupted, so the next worker
// asks a provider that can be asked by our reference before it sends again.
const m007: Migration = {
  async up(db: Kysely<any>) {
    await db.schema.alterTable('messages').addColumn('interrupted', 'integer', (c) => c.notNull().defaultTo(0)).execute();
    // Parts awaiting a receipt, whatever their provider (the receipt deadline, and the
    // metric of how many there are and the oldest): bounded by them, not by the ledger.
    await sql`CREATE INDEX message_parts_awaiting ON message_parts (updated_at) WHERE status = 'sent'`.execute(db);
    // Figures about the queue (/metrics, /v1/status, alerts) count messages not yet final:
    // bounded by what is under way, not by the ledger.
    await sql`CREATE INDEX messages_open ON messages (account_id, status) WHERE final_at IS NULL`.execute(db);
    // An account's messages to one number, newest first (GET /v1/messages?to=).
    await db.schema.createIndex('messages_account_to').on('messages').columns(['account_id', 'to_number', 'id']).execute();
    // Receipts find their message through its part (message_parts_provider_ref) since
    // 006; this index was only written, never read.
    await db.schema.dropIndex('messages_provider_ref').execute();
    // SMPP clients bind with a system_id and password that belong to an API key.
    await db.schema.alterTable('api_keys').addColumn('smpp_system_id', 'text').execute();
    await db.schema.alterTable('api_keys').addColumn('smpp_password_hash', 'text').execute();
    await sql`CREATE UNIQUE INDEX api_keys_smpp ON api_keys (smpp_system_id) WHERE smpp_system_id IS NOT NULL`.execute(db);
    // Public tracking pages for one job's notifications: the token itself is never stored.
    await db.schema.createTable('tracking_links')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('job_id', 'text', (c) => c.notNull())
      .addColumn('token_hash', 'text', (c) => c.notNull().unique())
      .addColumn('created_at', ts, (c) => c.notNull())
      .addColumn('expires_at', ts, (c) => c.notNull())
      .addColumn('revoked_at', ts)
      .execute();
    // Message templates, versioned: an edit is a new version; a message records the one it used.
    await db.schema.createTable('templates')
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('id', 'text', (c) => c.notNull())
      .addColumn('version', 'integer', (c) => c.notNull())
      .addColumn('body', 'text', (c) => c.notNull())
      .addColumn('variables', 'text', (c) => c.notNull())
      .addColumn('locale', 'text')
      .addColumn('created_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('templates_pk', ['account_id', 'id', 'version'])
      .execute();
    await db.schema.alterTable('messages').addColumn('template_id', 'text').execute();
    // Voice notifications ride the same ledger: channel 'voice', and the call's options.
    await db.schema.alterTable('messages').addColumn('channel', 'text', (c) => c.notNull().defaultTo('sms')).execute();
    await db.schema.alterTable('messages').addColumn('voice_options', 'text').execute();
    await db.schema.alterTable('messages').addColumn('template_version', 'integer').execute();
    // Failover drills and what they proved.
    await db.schema.createTable('drills')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('to_number', 'text', (c) => c.notNull())
      .addColumn('message_id', 'text')
      .addColumn('passed', 'integer', (c) => c.notNull())
      .addColumn('result', 'text', (c) => c.notNull())
      .addColumn('created_at', ts, (c) => c.notNull())
      .execute();
    // Why each send went where it went (the routing explanation), on its last attempt.
    await db.schema.alterTable('attempts').addColumn('route_explanation', 'text').execute();
    await db.schema.createIndex('tracking_links_account').on('tracking_links').columns(['account_id', 'id']).execute();
  },
};

// The failover alert counts failovers in its window every check: read through an index of
// failovers only, it costs what there are of them, not every attempt sent in the window.
const m008: Migration = {
  async up(db) {
    await sql`CREATE INDEX attempts_failover ON attempts (started_at) WHERE failover = 1`.execute(db);
  },
};

// Indexes that every message passes through, narrowed to the rows their queries read:
// - messages_to_sent: the sticky sender (lastSender) reads the newest *sent* message to a
//   number. Unsent messages cost an index write at intake and another when sent (a page
//   of their own when recipients vary); now only sent messages are indexed.
// - message_parts_unsettled: reconciliation reads parts still `sent`, per provider. Every
//   part stayed in it for good and moved within it on its receipt; now a part leaves it
//   when its receipt comes, and the index holds what awaits one, not the ledger.
const m009: Migration = {
  async up(db) {
    await db.schema.dropIndex('messages_to_sent').execute();
    await sql`CREATE INDEX messages_to_sent ON messages (to_number, sent_at) WHERE sent_at IS NOT NULL`.execute(db);
    await db.schema.dropIndex('message_parts_unsettled').execute();
    await sql`CREATE INDEX message_parts_unsettled ON message_parts (provider_id, updated_at) WHERE status = 'sent'`.execute(db);
  },
};

// Report rollups: reports and the dashboard read a settled minute's (or hour's) counts from
// here instead of every message final in it (ports/reports.ts, services/reports.ts). A
// span's rows and its mark in report_rollups_done are written once: by the first report
// that reads it, or by a worker process's minutely run over the last day.
const m010: Migration = {
  async up(db) {
    await db.schema.createTable('report_rollups')
      .addColumn('span', 'text', (c) => c.notNull())
      .addColumn('start', ts, (c) => c.notNull())
      .addColumn('account_id', 'text', (c) => c.notNull())
      .addColumn('provider_id', 'text', (c) => c.notNull())
      .addColumn('country', 'text', (c) => c.notNull())
      .addColumn('status', 'text', (c) => c.notNull())
      .addColumn('n', 'integer', (c) => c.notNull())
      .addColumn('price_micros', 'bigint', (c) => c.notNull())
      .addColumn('latency', 'text')
      .addPrimaryKeyConstraint('report_rollups_pk', ['span', 'start', 'account_id', 'provider_id', 'country', 'status'])
      .execute();
    await db.schema.createTable('report_rollups_done')
      .addColumn('span', 'text', (c) => c.notNull())
      .addColumn('start', ts, (c) => c.notNull())
      .addColumn('done_at', ts, (c) => c.notNull())
      .addPrimaryKeyConstraint('report_rollups_done_pk', ['span', 'start'])
      .execute();
  },
};

// Configuration changes reach every process (services/config-watch.ts): a write to any
// table an operator configures bumps config_version, whoever writes it (the API, the CLI,
// `switchboard apply`, a hand-run SQL statement); on PostgreSQL the same trigger NOTIFYs
// CONFIG_CHANNEL, so listening processes hear it at once, and everyone else polls the
// one-row table.
export const CONFIG_TABLES = ['accounts', 'api_keys', 'providers', 'numbers', 'country_rules', 'relay_rules', 'templates'] as const;
export const CONFIG_CHANNEL = 'switchboard_config';
const m011: Migration = {
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

// Failover on no receipt: a message may ask to be sent once more through another provider
// when no final receipt came in time. messages_failover_due finds the resends due (only
// messages that asked, and only until it is done).
const m012: Migration = {
  async up(db) {
    await db.schema.alterTable('messages').addColumn('failover_after_ms', 'bigint').execute();
    await db.schema.alterTable('messages').addColumn('failover_at', 'bigint').execute();
    await db.schema.alterTable('messages').addColumn('failover_from', 'text').execute();
    await sql`CREATE INDEX messages_failover_due ON messages (failover_at) WHERE failover_at IS NOT NULL`.execute(db);
  },
};

export const migrations: MigrationProvider = {
  async getMigrations() {
    return {
      '001_initial': m001, '002_inbound_callbacks': m002, '003_routing': m003, '004_opt_outs': m004, '005_relay_masking': m005,
      '006_message_parts': m006, '007_interrupted': m007, '008_failover_index': m008,
      '009_hot_indexes': m009, '010_report_rollups': m010, '011_config_changes': m011, '012_receipt_failover': m012,
    };
  },
};
