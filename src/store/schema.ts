// Kysely table types: one interface per table, the same on SQLite and PostgreSQL.
import type { InboundPartRow, MessagePartRow, MaskLegRow, MaskRow, RelayAttemptRow, RelayRow, RelayRuleRow, OptOutRow, AlertRow, CountryRuleRow, NumberRow, ApiKeyRow, AttemptRow, CallbackAttemptRow, CallbackRow, EventRow, InboundRow, MessageRow, ProviderRow, WebhookRow, TrackingLinkRow, TemplateRow, DrillRow, ReportRollupRow, RollupSpan, ConversationRow, OutboxRow, LookupRow, RouteRuleRow } from './store.ts';
import type { Generated } from 'kysely';
import type { AuditHead, AuditRow } from '../domain/audit.ts';
import type { ConsentRecordRow } from '../domain/consent.ts';
import type { BatchRow } from './ports/batches.ts';

export interface AccountTable { id: string; name: string; created_at: number; updated_at: number; settings?: string | null }
export interface ReportRollupTable extends ReportRollupRow { span: RollupSpan }
export interface ReportRollupDoneTable { span: RollupSpan; start: number; done_at: number }
export interface IdempotencyTable { account_id: string; key: string; request_hash: string; message_id: string; created_at: number }

export interface Database {
  accounts: AccountTable;
  api_keys: ApiKeyRow;
  messages: MessageRow;
  attempts: AttemptRow;
  message_parts: MessagePartRow;
  events: EventRow;
  idempotency_keys: IdempotencyTable;
  webhooks: WebhookRow;
  providers: ProviderRow;
  inbound_messages: InboundRow;
  inbound_parts: InboundPartRow;
  conversations: ConversationRow;
  callbacks: CallbackRow;
  callback_attempts: CallbackAttemptRow;
  numbers: NumberRow;
  country_rules: CountryRuleRow;
  alerts: AlertRow;
  opt_outs: OptOutRow;
  relay_rules: RelayRuleRow;
  relays: RelayRow;
  relay_attempts: RelayAttemptRow;
  masks: MaskRow;
  mask_legs: MaskLegRow;
  tracking_links: TrackingLinkRow;
  templates: TemplateRow;
  drills: DrillRow;
  report_rollups: ReportRollupTable;
  report_rollups_done: ReportRollupDoneTable;
  config_version: { id: number; version: number };
  attempt_buckets: { start: number; account_id: string; provider_id: string; sends: number; errors: number; failovers: number };
  attempt_buckets_done: { start: number; done_at: number };
  outbox: OutboxRow & { seq: Generated<number>; pos: number | null };
  outbox_cursors: { name: string; pos: number; updated_at: number };
  outbox_leases: { name: string; owner: string; until: number };
  lookups: LookupRow;
  route_rules: RouteRuleRow;
  audit_log: AuditRow;
  consent_records: ConsentRecordRow;
  batches: BatchRow;
  audit_head: AuditHead & { id: number };
  claim_clock: { name: string; at: number };
}
