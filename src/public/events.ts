// The events Switchboard publishes (DESIGN.md §1, "events leave through an outbox"): each
// type, and the outbox row that carries it, built by whoever makes the change so the
// store writes it in the same transaction. `data` is the object as the API shows it.
// Brokers and the HTTP feed add the `switchboard.` prefix (events/cloud-event.ts); this file
// sits with the API's presenters because `data` is what the API shows.
import { newId } from '../domain/ids.ts';
import { SYSTEM_ACCOUNT } from '../domain/actor.ts';
import type { MessageStatus } from '../domain/status.ts';
import type { EventRow, InboundRow, MessageRow, OutboxRow, RelayRow } from '../store/store.ts';
import { presentEvent, presentInbound, presentMessage } from './present.ts';

export const EVENT_TYPES = [
  'message.accepted', 'message.sent', 'message.delivered', 'message.undelivered', 'message.failed', 'message.expired', 'message.canceled',
  'message.receipt', 'inbound.received', 'consent.opt_out', 'consent.opt_in', 'relay.hop',
  'provider.circuit_opened', 'provider.circuit_closed', 'config.changed', 'audit.recorded',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export { SYSTEM_ACCOUNT };

/** The statuses a message announces when it reaches them. */
const ANNOUNCED: Partial<Record<MessageStatus, EventType>> = {
  sent: 'message.sent', delivered: 'message.delivered', undelivered: 'message.undelivered',
  failed: 'message.failed', expired: 'message.expired', canceled: 'message.canceled',
};

/** An event about any object, with its API shape as `data`. */
export function newEvent(type: EventType, accountId: string, subject: string, data: unknown, now: number, messageId: string | null = null): OutboxRow {
  return { id: newId('evt'), account_id: accountId, type, subject, message_id: messageId, time: now, data: JSON.stringify(data) };
}

/** message.accepted, for a message just written (queued or scheduled). */
export function acceptedEvent(m: MessageRow, now: number): OutboxRow {
  return newEvent('message.accepted', m.account_id, m.id, presentMessage(m), now, m.id);
}

/** Whether a message announces reaching this status (an event, and the caller's callback). */
export function announces(status: MessageStatus): boolean { return ANNOUNCED[status] !== undefined; }

/** The event for the status a message has just moved to, if it announces that one (`data`: the message as presented already). */
export function statusEvents(m: MessageRow, now: number, data?: ReturnType<typeof presentMessage>): OutboxRow[] {
  const type = ANNOUNCED[m.status];
  return type ? [newEvent(type, m.account_id, m.id, data ?? presentMessage(m), now, m.id)] : [];
}

/** message.receipt: one provider receipt about one part, as the message's events show it. */
export function receiptEvent(m: MessageRow, e: EventRow, now: number): OutboxRow {
  return newEvent('message.receipt', m.account_id, m.id, { message_id: m.id, ...presentEvent(e) }, now, m.id);
}

/**
 * inbound.received, for a text as stored. Written after the text (the inbound log has no
 * transaction with the outbox), so its id comes from the text's: a replayed or redone
 * webhook writes the same event again, which the outbox keeps once.
 */
export function inboundEvent(m: InboundRow, now: number): OutboxRow {
  return { ...newEvent('inbound.received', m.account_id, m.id, presentInbound(m), now), id: `evt_${m.id.slice(m.id.indexOf('_') + 1)}` };
}

/** consent.opt_out or consent.opt_in, made by a keyword text (one per text, so its id comes from the text's). */
export function consentEvent(m: InboundRow, change: 'consent.opt_out' | 'consent.opt_in', sender: string, now: number): OutboxRow {
  const data = { number: m.from_number, sender: sender || null, via: presentInbound(m) };
  return { ...newEvent(change, m.account_id, m.from_number, data, now), id: `evt_${m.id.slice(m.id.indexOf('_') + 1)}_consent` };
}

/** relay.hop: a relayed text goes to the next destination of its chain (once per position, so its id comes from the relay's and the position). */
export function relayHopEvent(r: RelayRow, position: number, destination: string, now: number): OutboxRow {
  const data = { relay_id: r.id, number: r.number, from: r.source, position, destination, destinations: JSON.parse(r.destinations) as string[] };
  return { ...newEvent('relay.hop', r.account_id, r.id, data, now), id: `evt_${r.id.slice(r.id.indexOf('_') + 1)}_hop${position}` };
}

/** provider.circuit_opened / provider.circuit_closed, with why: an operator's event (account `_system`), written by the process that decided. */
export function circuitEvent(providerId: string, state: 'open' | 'closed', why: string, now: number): OutboxRow {
  return newEvent(state === 'open' ? 'provider.circuit_opened' : 'provider.circuit_closed', SYSTEM_ACCOUNT, providerId, { provider: providerId, state, reason: why }, now);
}
