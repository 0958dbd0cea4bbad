// The event outbox's rows (store/ports/outbox.ts). All times are epoch milliseconds.

/** One event, as written with the change it announces. */
export interface OutboxRow {
  /** evt_…: unique, what consumers de-duplicate on */
  id: string;
  account_id: string;
  /** without the `switchboard.` prefix: message.accepted, message.delivered, message.receipt… */
  type: string;
  /** the id of the object the event is about (a message, an inbound text, a provider) */
  subject: string;
  /** the message it is about, when it is about one (events are purged by age, not with the message) */
  message_id: string | null;
  time: number;
  /** JSON: the object as the API shows it */
  data: string;
}

/** Every column of an outbox row (both stores' hot insert). */
export const OUTBOX_COLUMNS = ['id', 'account_id', 'type', 'subject', 'message_id', 'time', 'data'] as const satisfies readonly (keyof OutboxRow)[];

/** An event with its feed position (given once it is visible: commit order). */
export interface OutboxEvent extends OutboxRow { pos: number }

export interface OutboxQuery {
  /** positions after this one */
  after: number;
  limit: number;
  /** one account's events; omitted = every account's (operators, the publisher) */
  accountId?: string;
  /** only these types (without the prefix) */
  types?: readonly string[];
}
