// SNS notifications carrying End User Messaging SMS events → canonical records (pure).
// The SNS envelope's `Message` is the event, JSON in a string: a delivery event
// (eventType, messageId, …) or an inbound text (originationNumber, messageBody, …).
// Subscription confirmations carry neither.
import type { InboundMessage, Receipt } from '../provider.ts';
import { AWS_EVENTS } from './errors.ts';
import { lookup } from '../../domain/lookup.ts';

function event(body: string): Record<string, unknown> | null {
  const envelope = JSON.parse(body) as Record<string, unknown>;
  if (envelope.Type !== 'Notification') return null;
  if (typeof envelope.Message !== 'string') throw new Error('SNS notification without Message');
  return JSON.parse(envelope.Message) as Record<string, unknown>;
}

export function awsReceipts(body: string): Receipt[] {
  const e = event(body);
  if (e === null) return [];
  if (typeof e.messageId !== 'string' || typeof e.eventType !== 'string') throw new Error('SMS event without messageId/eventType');
  const [status, error] = lookup(AWS_EVENTS, e.eventType) ?? [null, null];
  const at = typeof e.eventTimestamp === 'number' ? e.eventTimestamp : typeof e.eventTimestamp === 'string' ? Date.parse(e.eventTimestamp) : NaN;
  return [{
    providerMessageId: e.messageId, status, providerStatus: e.eventType,
    errorCode: error ?? undefined, providerErrorCode: error ? e.eventType : undefined,
    errorMessage: error ? (typeof e.messageStatusDescription === 'string' ? e.messageStatusDescription : e.eventType) : undefined,
    occurredAt: Number.isNaN(at) ? undefined : at,
    ...(typeof e.destinationPhoneNumber === 'string' ? { to: e.destinationPhoneNumber } : {}),
  }];
}

export function awsInbound(body: string): InboundMessage[] {
  const e = event(body);
  if (e === null) return [];
  const { inboundMessageId: id, originationNumber: from, destinationNumber: to, messageBody } = e;
  if (typeof id !== 'string' || typeof from !== 'string' || typeof to !== 'string') throw new Error('inbound SMS without inboundMessageId/originationNumber/destinationNumber');
  return [{ providerMessageId: id, from, to, body: typeof messageBody === 'string' ? messageBody : '' }];
}
