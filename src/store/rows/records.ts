// Records operators and account admins keep: keys, providers, numbers, country rules, opt-
// outs, templates, drills, tracking links. All times are epoch milliseconds (numbers);
// JSON columns hold text.

export type Scope = 'send' | 'read' | 'admin' | 'operator';

export interface ApiKeyRow {
  id: string;
  account_id: string;
  name: string;
  prefix: string;
  hash: string;
  scopes: string;
  created_at: number;
  updated_at: number;
  revoked_at: number | null;
  /** the lane of messages sent with this key that name none (domain/lanes.ts) */
  priority?: string | null;
  /** Standard Webhooks secret (whsec_…) that signs this key's callbacks */
  webhook_secret: string | null;
  /** where status callbacks go for messages sent with this key and no callback_url of their own */
  callback_url: string | null;
  /** the system_id an SMPP client binds with for this key (Switchboard's SMPP server) */
  smpp_system_id?: string | null;
  /** scrypt of the SMPP bind password: `scrypt$<salt>$<hash>` */
  smpp_password_hash?: string | null;
}

export interface ProviderRow {
  id: string;
  kind: string;
  priority: number;
  active: number;
  config: string;
  prices: string;
  created_at: number;
  updated_at: number;
}

export type NumberType = 'longcode' | 'shortcode' | 'tollfree' | 'alphanumeric';

/** A sender Switchboard owns: an E.164 number or an alphanumeric sender id. */
export interface NumberRow {
  number: string;
  provider_id: string;
  account_id: string;
  /** ISO country of the number; null for an alphanumeric sender */
  country: string | null;
  type: NumberType;
  /** JSON array, e.g. ["sms","international"] */
  capabilities: string;
  rate_per_second: number;
  /** "default" serves ordinary sends; "masking" is kept for masking sessions */
  pool: string;
  active: number;
  created_at: number;
  updated_at: number;
  /** where the texts this number receives are posted (message.inbound), if anywhere */
  inbound_url?: string | null;
  /** the key whose signing secret signs them: the one that set inbound_url (null: SWITCHBOARD_WEBHOOK_SECRET) */
  inbound_key_id?: string | null;
}

/** What a destination country allows (compliance). */
export interface CountryRuleRow {
  country: string;
  require_local: number;
  allow_alphanumeric: number;
  /** JSON array of provider ids allowed to carry traffic to this country; null = any */
  providers: string | null;
  /** 1: every message to this country is looked up before routing (issue 28) */
  lookup?: number;
  created_at: number;
  updated_at: number;
}

/** A recipient who opted out of an account's messages (sender '' = from every number). */
export interface OptOutRow {
  account_id: string;
  number: string;
  sender: string;
  /** '' = every topic (domain/consent.ts) */
  topic: string;
  /** how it was recorded: 'keyword' (an inbound STOP) or 'api' */
  source: string;
  created_at: number;
}

/** One version of an account's message template; `variables` is a JSON array of names. */
export interface TemplateRow {
  account_id: string;
  id: string;
  version: number;
  body: string;
  variables: string;
  locale: string | null;
  /** the lane of messages sent with it that name none (domain/lanes.ts) */
  priority?: string | null;
  created_at: number;
}

/** A failover drill: the provider marked failing, and what the drill proved (`result` JSON). */
export interface DrillRow {
  id: string;
  provider_id: string;
  to_number: string;
  message_id: string | null;
  passed: number;
  result: string;
  created_at: number;
}

/** A public tracking page for one job's notifications (metadata.job_id); the token is kept only as its hash. */
export interface TrackingLinkRow {
  id: string;
  account_id: string;
  job_id: string;
  token_hash: string;
  created_at: number;
  expires_at: number;
  revoked_at: number | null;
}

/** A route rule by prefix ("+1415") or network ("310-260"): the providers it may go through, in the order preferred (routing/network.ts). */
export interface RouteRuleRow {
  match: string;
  /** JSON array of provider ids */
  providers: string;
  created_at: number;
  updated_at: number;
}

/** A carrier lookup's result for a number, cached (routing/lookups.ts); a row under a lease is being looked up. */
export interface LookupRow {
  number: string;
  provider_id: string | null;
  line_type: 'mobile' | 'landline' | 'voip' | 'unknown' | null;
  provider_type: string | null;
  carrier: string | null;
  mcc: string | null;
  mnc: string | null;
  /** 1 ported, 0 not, null unknown */
  ported: number | null;
  price: string | null;
  /** why the last lookup failed (the row then holds no result) */
  error: string | null;
  looked_up_at: number | null;
  expires_at: number | null;
  lease_owner: string | null;
  lease_until: number | null;
}
