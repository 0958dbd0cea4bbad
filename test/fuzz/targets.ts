// Fuzz targets shared by the tests (a few thousand inputs each) and bench/fuzz.ts (100,000
// each): generated hostile input for intake, every webhook parser, the apply file, phone
// numbers and bodies. Each target states what must hold for any input.
import fc from 'fast-check';
import assert from 'node:assert/strict';
import { parsePhone } from '../../src/domain/phone.ts';
import { countSegments } from '../../src/domain/encoding.ts';
import { STATUSES } from '../../src/domain/status.ts';
import { ERRORS } from '../../src/domain/errors.ts';
import { isMessageErrorCode } from '../../src/domain/message-errors.ts';
import { PROVIDER_MODULES } from '../../src/providers/modules.ts';
import { loadConfig } from '../../src/config.ts';
import type { ProviderAdapter, RawWebhook } from '../../src/providers/provider.ts';

/** Text with the awkward parts of Unicode: lone surrogates, emoji, GSM extension characters, controls, escapes. */
export const nastyText = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', 'a\udc00b', '€[]{}~^|\\', '😀'.repeat(90), 'x'.repeat(1601), '{"a":', '%00', '+1415555010\u0000'),
  fc.string({ unit: fc.constantFrom('a', '€', '\ud83d', '\ude00', '\n', '"', '&', '='), maxLength: 300 }),
);

export const phoneLike = fc.oneof(
  fc.string({ maxLength: 20 }),
  fc.stringMatching(/^\+?[0-9 ()-]{0,20}$/),
  fc.constantFrom('+14155550100', '+4915112345678', '00447700900000', '+', '+0', '+999999999999999999', '12345', 'ACME'),
);

const KNOWN = new Set(Object.keys(ERRORS));

/** Any JSON for POST /v1/messages: sometimes well-formed, mostly not. */
export const sendBody = fc.oneof(
  fc.record({ to: phoneLike, body: nastyText }, { requiredKeys: [] }),
  fc.record({
    to: phoneLike, body: nastyText, from: fc.oneof(phoneLike, nastyText), country: fc.oneof(fc.constantFrom('US', 'GB', 'ZZ', 'us'), nastyText),
    callback_url: fc.oneof(fc.webUrl(), nastyText, fc.constantFrom('http://10.0.0.1/x', 'http://[::1]/', 'ftp://x')),
    metadata: fc.dictionary(fc.string({ maxLength: 45 }), fc.oneof(fc.string({ maxLength: 600 }), fc.integer())),
    send_at: fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), nastyText), validity_period: fc.oneof(fc.integer(), fc.double()),
  }, { requiredKeys: [] }),
  fc.anything(),
);

/** What an API answer to bad input must look like: below 500, with a catalog code. */
export function assertClientError(status: number, body: unknown, input: unknown): void {
  assert.ok(status < 500, `${status} for ${JSON.stringify(input)?.slice(0, 300)}: ${JSON.stringify(body)}`);
  if (status >= 400) {
    const code = (body as { error?: { code?: string } })?.error?.code;
    assert.ok(code && (KNOWN.has(code) || code === 'bad_request' || code === 'unsupported_media_type' || code === 'payload_too_large'), `unknown code ${code} for ${JSON.stringify(input)?.slice(0, 200)}`);
  }
}

/** Every adapter, for its pure parsers (no network is touched by parsing). */
export function parserAdapters(): ProviderAdapter[] {
  const settings = loadConfig({}, { simulatorLatencyMs: 0 });
  return PROVIDER_MODULES.map((m) => m.create({ providerId: 'fuzz', config: {}, publicUrl: 'https://sb.example.com', settings, secret: () => undefined, emitWebhook: async () => {} }));
}

/** A raw webhook as any provider might post it, or anything else. */
export const rawWebhook = fc.record({
  body: fc.oneof(nastyText, fc.json(), fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })).map((d) => new URLSearchParams(d).toString()),
    fc.record({ Type: fc.constantFrom('Notification', 'SubscriptionConfirmation', 'x'), Message: fc.oneof(fc.json(), nastyText) }).map((o) => JSON.stringify(o)),
    fc.record({ type: fc.constantFrom('recipient_delivery_report_sms', 'delivery_report_sms', 'mo_text'), batch_id: fc.string(), status: fc.string(), statuses: fc.anything(), id: fc.string(), from: fc.string(), to: fc.string() }, { requiredKeys: [] }).map((o) => JSON.stringify(o))),
  query: fc.dictionary(fc.string({ maxLength: 20 }), fc.string({ maxLength: 40 })),
  contentType: fc.constantFrom('application/json', 'application/x-www-form-urlencoded', 'text/plain', ''),
});

/** Parsing must answer well-formed records or throw an Error; nothing else. */
export function assertParses(adapter: ProviderAdapter, w: { body: string; query: Record<string, string>; contentType: string }): void {
  const raw: RawWebhook = { id: 'whk_fuzz', providerId: 'fuzz', kind: 'status', url: `https://sb.example.com/webhooks/fuzz/status?${new URLSearchParams(w.query)}`, headers: { 'content-type': w.contentType }, body: w.body, receivedAt: 0 };
  for (const kind of ['status', 'inbound'] as const) {
    let out: unknown[];
    try {
      out = kind === 'status' ? adapter.parseReceipts({ ...raw, kind }) : adapter.parseInbound({ ...raw, kind });
    } catch (err) {
      assert.ok(err instanceof Error, `${adapter.kind} ${kind} threw a non-Error: ${String(err)}`);
      continue;
    }
    assert.ok(Array.isArray(out));
    for (const r of out as Record<string, unknown>[]) {
      assert.equal(typeof r.providerMessageId, 'string', `${adapter.kind} ${kind}: ${JSON.stringify(r)}`);
      if (kind === 'status') {
        assert.ok(r.status === null || (STATUSES as readonly unknown[]).includes(r.status), `${adapter.kind}: status ${String(r.status)}`);
        if (r.errorCode !== undefined) assert.ok(isMessageErrorCode(r.errorCode as string), `${adapter.kind}: errorCode ${String(r.errorCode)}`);
      } else {
        for (const f of ['from', 'to', 'body']) assert.equal(typeof r[f], 'string', `${adapter.kind} inbound ${f}`);
      }
    }
  }
}

/** Phone numbers and bodies: never a throw, and segments that add up. */
export function assertTextRules(phone: string, body: string): void {
  const p = parsePhone(phone);
  if (p.ok) assert.match(p.e164, /^\+[1-9]\d{1,14}$/);
  const s = countSegments(body);
  assert.ok(s.encoding === 'GSM-7' || s.encoding === 'UCS-2');
  assert.ok(Number.isInteger(s.segments) && s.segments >= (body.length > 0 ? 1 : 0), `${s.segments} segments for ${JSON.stringify(body).slice(0, 80)}`);
}
