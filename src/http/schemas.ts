// JSON schemas shared by the routes; they validate requests, drive fast serialization
// of answers, and become the OpenAPI document at /docs.
import { STATUSES } from '../domain/status.ts';

const nullableString = { type: ['string', 'null'] } as const;
const time = { type: 'string', format: 'date-time' } as const;
const nullableTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: { code: { type: 'string' }, message: { type: 'string' }, field: { type: 'string' }, details: { type: 'array', items: { type: 'object', additionalProperties: true } } },
    },
  },
} as const;

export const messageSchema = {
  $id: 'Message',
  type: 'object',
  required: ['id', 'status', 'to', 'body', 'created_at'],
  properties: {
    id: { type: 'string', examples: ['msg_01JD5Z9Q8M0000000000000000'] },
    object: { type: 'string' },
    status: { type: 'string', enum: [...STATUSES] },
    to: { type: 'string' },
    from: nullableString,
    body: { type: 'string' },
    country: nullableString,
    encoding: { type: 'string', enum: ['GSM-7', 'UCS-2'] },
    segments: { type: 'integer' },
    price: { ...nullableString, description: 'price of all segments, decimal string' },
    currency: { type: 'string' },
    provider: nullableString,
    provider_message_id: nullableString,
    simulated: { type: 'boolean', description: 'true when the built-in simulator (or a provider of kind simulator) carried it: nothing was sent to a handset' },
    failover_after_seconds: { type: ['integer', 'null'], description: 'failover on no receipt, as asked for' },
    lookup: { type: 'boolean', description: 'a carrier lookup before routing, as asked for' },
    category: { type: 'string', enum: ['transactional', 'marketing'] },
    topic: { ...nullableString, description: 'its consent topic, when it named one' },
    priority: { type: 'string', enum: ['urgent', 'normal', 'bulk'], description: 'its lane: urgent goes first, bulk keeps a guaranteed share; within a lane, accounts take turns' },
    conversation_id: { ...nullableString, description: 'the conversation it was sent on, when one was named' },
    region: { type: 'string', description: 'data residency (SWITCHBOARD_REGIONS): the region whose database stores it; absent without regions' },
    waited_for_turn_ms: { type: ['integer', 'null'], description: 'how long it waited from when it was due to its first attempt (shown with its attempts; null until then)' },
    resent_after_no_receipt_from: { ...nullableString, description: 'the provider whose receipt did not come in time, once the message was sent once more elsewhere' },
    callback_url: nullableString,
    metadata: { type: ['object', 'null'], additionalProperties: { type: 'string' } },
    attempts_count: { type: 'integer' },
    error: { type: ['object', 'null'], properties: { code: { type: 'string', description: 'from the message error catalog' }, message: nullableString, provider_code: { ...nullableString, description: 'the provider\'s own code' } } },
    send_at: nullableTime,
    expires_at: nullableTime,
    next_attempt_at: nullableTime,
    created_at: time,
    updated_at: time,
    sent_at: nullableTime,
    final_at: nullableTime,
    channel: { type: 'string', enum: ['sms', 'voice'], description: 'sms, or voice for a text-to-speech call (POST /v1/calls)' },
    template: { type: ['object', 'null'], description: 'the template version the body was rendered from', properties: { id: { type: 'string' }, version: { type: ['integer', 'null'] } } },
    routing: {
      type: 'object',
      description: 'Why the last send went where it did: every candidate in the order tried (price per segment, score = price × segments raised by a poor delivery rate, circuit, what happened) and the providers left out with the reason',
      properties: {
        candidates: { type: 'array', items: { type: 'object', properties: { provider: { type: 'string' }, price_per_segment: nullableString, price_entry: { type: 'string', description: 'the price list entry that priced it when more specific than the country: a network ("310-260") or a prefix ("+1415")' }, score: { type: ['number', 'null'] }, circuit: { type: 'string' }, result: { type: 'string' } } } },
        excluded: { type: 'array', items: { type: 'object', properties: { provider: { type: 'string' }, reason: { type: 'string' } } } },
        lookup: {
          type: 'object', description: 'the carrier lookup made before routing (the message asked for one)',
          properties: { cached: { type: 'boolean' }, line_type: nullableString, carrier: nullableString, network: { ...nullableString, description: 'MCC-MNC the number is on now' }, ported: { type: ['boolean', 'null'] }, error: { ...nullableString, description: 'why the lookup failed: routed by prefix and country instead' } },
        },
        rule: { type: 'string', description: 'the route rule that matched: a network or a prefix' },
      },
    },
    attempts: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' }, attempt: { type: 'integer' }, provider: { type: 'string' }, from: nullableString,
          outcome: { type: 'string', enum: ['sent', 'transient', 'throttled', 'permanent'] },
          error: { type: ['object', 'null'], properties: { code: { type: 'string', description: 'from the message error catalog' }, message: nullableString, provider_code: { ...nullableString, description: 'the provider\'s own code' }, class: { type: 'string', enum: ['message', 'route', 'provider', 'throttle'], description: 'what the failure meant for routing: message (final), route (next provider), provider (next provider; the circuit counts it), throttle (retry later)' } } },
          provider_message_id: nullableString, started_at: time, finished_at: time, latency_ms: { type: 'integer' },
          failover: { type: 'boolean', description: 'this attempt failed and the send moved on to the next route at once' },
        },
      },
    },
    parts: {
      type: 'array',
      description: 'what the provider gave its own id to: one part, or one per segment for providers that split (receipts are per part)',
      items: {
        type: 'object',
        properties: {
          index: { type: 'integer' }, provider: { type: 'string' }, provider_message_id: { type: 'string' }, status: { type: 'string', enum: [...STATUSES] },
          error: { type: ['object', 'null'], properties: { code: { type: 'string', description: 'from the message error catalog' }, message: nullableString, provider_code: { ...nullableString, description: 'the provider\'s own code' } } }, updated_at: time,
        },
      },
    },
    events: {
      type: 'array',
      items: {
        type: 'object',
        properties: {
          id: { type: 'string' }, type: { type: 'string' }, status: nullableString, provider: nullableString,
          provider_status: nullableString, error_code: nullableString,
          detail: { ...nullableString, description: '"fetched" when reconciliation asked the provider; "part 2 of 3" for a part\'s receipt' },
          occurred_at: time, received_at: time,
          webhook_id: { ...nullableString, description: 'the stored provider webhook it came from (operators: GET /v1/webhooks/:id); null when fetched or from the receipt deadline' },
        },
      },
    },
  },
} as const;

export const sendBodySchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    to: { type: 'string', maxLength: 32, description: 'recipient, E.164 (or national with `country`); required unless `conversation_id` gives it' },
    conversation_id: { type: 'string', maxLength: 64, description: 'send on this conversation: to its customer, from its business number (the customer\'s thread stays one thread)' },
    body: { type: 'string', maxLength: 6400, description: 'the text; or give `template` and `variables` instead' },
    template: { type: 'string', maxLength: 64, description: 'a template id (GET /v1/templates): the body is rendered from its latest version' },
    variables: { type: 'object', maxProperties: 50, additionalProperties: { type: 'string', maxLength: 1000 }, description: "the template's variables, every one of them and no others" },
    from: { type: 'string', maxLength: 32, description: 'one of your numbers or an alphanumeric sender id' },
    country: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166 country for a national `to`' },
    callback_url: { type: 'string', maxLength: 2048 },
    metadata: {
      type: 'object', maxProperties: 20,
      propertyNames: { maxLength: 40, pattern: '^[A-Za-z0-9_.-]+$' },
      additionalProperties: { type: 'string', maxLength: 500 },
    },
    send_at: { type: 'string', maxLength: 40, description: 'ISO-8601; schedules the message' },
    validity_period: { type: 'integer', minimum: 1, maximum: 259200, description: 'seconds the message may wait before it expires' },
    lookup: { type: 'boolean', description: 'look the number up before routing it (line type, current network): a landline fails with not_mobile; the network picks route rules and prices by network. Costs a lookup unless cached (SWITCHBOARD_LOOKUP_TTL_DAYS)' },
    failover_after_seconds: { type: 'integer', minimum: 1, maximum: 259200, description: 'failover on no receipt: if no final receipt came this long after the send, it is sent once more through another provider (it then costs twice)' },
    priority: { type: 'string', enum: ['urgent', 'normal', 'bulk'], description: 'its lane (default normal, bulk for marketing): urgent (one-time codes, alerts) goes first; bulk (campaigns) keeps a guaranteed share (SWITCHBOARD_BULK_SHARE); within a lane, accounts take turns' },
    category: { type: 'string', enum: ['transactional', 'marketing'], description: 'transactional (default) or marketing; an account may let transactional messages past opt-outs that name no topic (POST /v1/account/settings)' },
    topic: { type: 'string', maxLength: 40, description: 'the consent topic it falls under (like marketing): a recipient who opted out of that topic is refused' },
    send_window: {
      type: 'object', required: ['start', 'end'], additionalProperties: false,
      properties: { start: { type: 'string', maxLength: 5 }, end: { type: 'string', maxLength: 5 } },
      description: 'quiet hours: the recipient\'s local hours it may be sent in ("08:00"–"21:00"; an end before the start crosses midnight). Outside them it is held (scheduled, error quiet_hours) until they open. Default: the account\'s send_window for marketing messages',
    },
    tz: { type: 'string', maxLength: 64, description: 'the recipient\'s IANA time zone, instead of the one found from the number' },
  },
} as const;

export function listOf(ref: string) {
  return {
    type: 'object',
    properties: { data: { type: 'array', items: { $ref: `${ref}#` } }, next_cursor: { type: ['string', 'null'] } },
  } as const;
}
