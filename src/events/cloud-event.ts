// CloudEvents 1.0, structured JSON mode (https://github.com/cloudevents/spec, v1.0.2):
// the envelope every sink and the HTTP feed carry. `id` is the outbox row's, unique per
// event, so a consumer de-duplicates on it; `sequence` (the CloudEvents sequence
// extension) is its feed position, the cursor GET /v1/events pages by.
import type { OutboxEvent } from '../store/store.ts';

export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: string;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  /** the feed position, a decimal string (sequence extension) */
  sequence: string;
  account_id: string;
  data: unknown;
}

export const TYPE_PREFIX = 'switchboard.';

export function toCloudEvent(e: OutboxEvent, source: string): CloudEvent {
  return {
    specversion: '1.0', id: e.id, source, type: TYPE_PREFIX + e.type, subject: e.subject,
    time: new Date(e.time).toISOString(), datacontenttype: 'application/json', sequence: String(e.pos),
    account_id: e.account_id, data: JSON.parse(e.data),
  };
}

/**
 * The same event as JSON text, built around the stored `data` text rather than parsing and
 * serialising it again (the publisher's main cost per event): what brokers are sent.
 */
export function cloudEventJson(e: OutboxEvent, source: string): string {
  const { data: _data, ...envelope } = toCloudEvent({ ...e, data: 'null' }, source);
  return `${JSON.stringify(envelope).slice(0, -1)},"data":${e.data}}`;
}

/** What a sink is handed per event: the attributes it routes by, and the CloudEvent as JSON. */
export interface Envelope { id: string; /** without the switchboard. prefix */ type: string; account_id: string; subject: string; time: number; json: string }

/** A NATS subject or AMQP routing-key token: no dots, wildcards or spaces inside it. */
export function token(s: string): string {
  return s.replace(/[.*>#\s]/g, '_');
}

/** One place of delivery for events: a broker. `publish` resolves once the broker has taken every event (acknowledged). */
export interface EventSink {
  /** the URL without its credentials: logs, metrics, readiness and the sink's cursor */
  readonly name: string;
  publish(events: readonly Envelope[]): Promise<void>;
  close(): Promise<void>;
}
