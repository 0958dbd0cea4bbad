// The Store: everything Switchboard keeps, as small ports by area (ports/*.ts), each
// with its own contract suite that runs on both implementations (sqlite/, postgres/).
// Code that needs one area asks for that port only; `Store` is all of them, which is
// what a database implementation provides.
//
//   MessageLedger  messages (= the send queue), attempts, parts, events
//   WebhookLog     raw provider webhooks, receipts applied from them, inbound texts
//   CallbackQueue  callbacks to callers and their delivery attempts
//   RecordStore    accounts, API keys, providers, numbers, country rules, opt-outs
//   RelayStore     relay rules and the relay audit
//   MaskStore      masking sessions and their legs
//   AlertStore     alert episodes
//   ReportRollups  per-minute and per-hour counts that reports read instead of the ledger
//   ConversationStore  conversations: a business number and a customer, both ways
//   EventOutbox    events written with each change, sequenced and published from there
//   LookupCache    carrier lookups of numbers, shared by every process
//   AuditLog       configuration changes, chained by hash (written by RecordStore's writes)
//   ConsentLedger  opt-out and opt-in records (the opt-outs intake checks), account settings
//   BatchStore     bulk sends: a batch of messages accepted as one
//
// Rows and write shapes live in rows.ts. All times are epoch milliseconds.
import type { MessageLedger } from './ports/ledger.ts';
import type { WebhookLog } from './ports/webhooks.ts';
import type { CallbackQueue, CallbackClaim, CallbackFinish } from './ports/callbacks.ts';
import type { RecordStore } from './ports/records.ts';
import type { RelayStore } from './ports/relays.ts';
import type { MaskStore } from './ports/masks.ts';
import type { AlertStore } from './ports/alerts.ts';
import type { ReportRollups } from './ports/reports.ts';
import type { ConversationStore } from './ports/conversations.ts';
import type { EventOutbox } from './ports/outbox.ts';
import type { LookupCache } from './ports/lookups.ts';
import type { AuditLog, AuditFilter } from './ports/audit.ts';
import type { ConsentLedger, NewConsentRecord } from './ports/consent.ts';
import type { BatchRow, BatchStore } from './ports/batches.ts';
import type { RegionView } from './ports/regions.ts';

export type * from './rows.ts';
export type { MessageLedger, WebhookLog, CallbackQueue, CallbackClaim, CallbackFinish, RecordStore, RelayStore, MaskStore, AlertStore, ReportRollups, ConversationStore, EventOutbox, LookupCache, AuditLog, AuditFilter, ConsentLedger, NewConsentRecord, BatchRow, BatchStore };

/** Opening, migrating and closing a database. */
export interface StoreLifecycle {
  /** which database this is (shown in logs and /readyz; nothing outside store/ branches on it) */
  readonly dialect: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
  /** a consistent copy of the database in a file, taken while it runs (SQLite; PostgreSQL has pg_dump) */
  backup?(path: string): Promise<void>;
  /** a store over regions (regional/): which region a row, an id or a number belongs in, and which are away */
  readonly regions?: RegionView<Store>;
}

export interface Store extends StoreLifecycle, MessageLedger, WebhookLog, CallbackQueue, RecordStore, RelayStore, MaskStore, AlertStore, ReportRollups, ConversationStore, EventOutbox, LookupCache, AuditLog, ConsentLedger, BatchStore {}
