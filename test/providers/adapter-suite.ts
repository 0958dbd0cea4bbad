// One contract suite for every provider adapter (DESIGN.md §3): each kind runs these
// cases against its loopback fake, through a small harness that knows how to make that
// fake misbehave and how that provider signs its callbacks. Adding a provider kind adds
// one harness and one line in adapters.test.ts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { AdapterContext, ProviderAdapter, ProviderModule, SendRequest, WebhookRequest } from '../../src/providers/provider.ts';
import { loadConfig } from '../../src/config.ts';
import { isMessageErrorCode } from '../../src/domain/message-errors.ts';
import { capabilities, partial } from '../../src/providers/capabilities.ts';

export const STATUS_URL = 'https://sb.example.com/webhooks/p1/status';

export interface AdapterHarness {
  module: ProviderModule;
  /** starts the fake; returns the record config and secrets that point the adapter at it */
  start(): Promise<{ config: Record<string, unknown>; secrets: Record<string, string> }>;
  stop(): Promise<void>;
  /** makes the next send fail this way; returns the destination to send to */
  failNext(kind: 'transient' | 'throttled' | 'permanent'): string;
  /** makes the provider hold the next send without answering (absent: it cannot hang, as the in-process simulator) */
  hangNext?(): void;
  /** the provider's signed status callback for a part, as it would reach STATUS_URL */
  statusCallback(providerMessageId: string, status: 'delivered' | 'undelivered'): Promise<WebhookRequest>;
  /** the same callback forged (default: its body changed, for providers that sign the body) */
  forged?(req: WebhookRequest): WebhookRequest;
  /** the same callback without its signature (default: without headers, where most providers sign) */
  unsigned?(req: WebhookRequest): WebhookRequest;
  /** receipts come over the provider's own session (SMPP), not HTTP: every HTTP request is refused */
  overSession?: boolean;
  /** lets the provider consider a sent part delivered, without telling us (for fetchStatus) */
  deliverQuietly?(providerMessageId: string): Promise<void>;
}

const request = (to = '+14155550100', segments = 1): SendRequest => ({
  messageId: 'msg_contract', attempt: 1, to, from: '+14155550199', body: 'contract', encoding: 'GSM-7', segments, statusCallbackUrl: STATUS_URL,
});

export function runAdapterSuite(h: AdapterHarness): void {
  describe(`provider adapter contract: ${h.module.kind}`, () => {
    let adapter: ProviderAdapter;
    const signal = () => AbortSignal.timeout(5_000);

    before(async () => {
      const { config, secrets } = await h.start();
      assert.deepEqual(h.module.validate(config), [], 'the harness config is one the module accepts');
      const ctx: AdapterContext = {
        providerId: 'p1', config, publicUrl: 'https://sb.example.com', settings: loadConfig({}, { simulatorLatencyMs: 0 }),
        secret: (name) => secrets[name],
        emitWebhook: async () => {},
      };
      adapter = h.module.create(ctx);
      await adapter.start?.();
    });
    after(async () => { await adapter?.close?.(); await h.stop(); });

    it('implements each capability whole or not at all, so the registry can discover it', () => {
      assert.deepEqual(partial(adapter), []);
      // A harness that can deliver quietly is testing a status lookup: the adapter must offer it.
      if (h.deliverQuietly) assert.ok(capabilities(adapter).status, 'a status lookup');
    });

    it('a send answers the parts the provider accepted, each with its own id', async () => {
      const out = await adapter.send(request(), signal());
      assert.ok(out.ok, JSON.stringify(out));
      assert.ok(out.parts.length >= 1);
      assert.deepEqual(out.parts.map((p) => p.index), out.parts.map((_, i) => i));
      assert.ok(out.parts.every((p) => typeof p.providerMessageId === 'string' && p.providerMessageId.length > 0));
    });

    for (const kind of ['transient', 'throttled', 'permanent'] as const) {
      it(`a ${kind} failure is classified ${kind}, with a catalog code and the provider's own`, async () => {
        const out = await adapter.send(request(h.failNext(kind)), signal());
        assert.equal(out.ok, false);
        if (out.ok) return;
        assert.equal(out.error.kind, kind);
        assert.ok(isMessageErrorCode(out.error.code), out.error.code);
        assert.ok(out.error.providerCode, 'the provider\'s code is kept');
        assert.ok(out.error.message.length > 0);
      });
    }

    if (h.hangNext) {
      it('a provider that hangs is cut off by the send timeout, and nothing is assumed sent', async () => {
        h.hangNext!();
        await assert.rejects(adapter.send(request(), AbortSignal.timeout(200)), (e: Error) => e.name === 'TimeoutError' || e.name === 'AbortError');
      });
    }

    it('accepts its own signed callback, refuses a tampered one, and reads the receipt for the part it names', async () => {
      const out = await adapter.send(request(), signal());
      assert.ok(out.ok);
      const part = out.parts[0].providerMessageId;
      const cb = await h.statusCallback(part, 'delivered');
      if (h.overSession) {
        assert.equal(await adapter.verify(cb), false, 'nothing over HTTP is genuine');
      } else {
        assert.equal(await adapter.verify(cb), true);
        const forged = h.forged ? h.forged(cb) : { ...cb, body: cb.body.replace(/delivered/, 'undelivered') };
        assert.notDeepEqual(forged, cb, 'the forgery changes something');
        assert.equal(await adapter.verify(forged), false, 'a forged callback');
        assert.equal(await adapter.verify(h.unsigned ? h.unsigned(cb) : { ...cb, headers: {} }), false, 'no signature');
      }
      const answer = adapter.respond?.(cb) ?? { contentType: 'text/plain', body: '' };
      assert.ok(answer.contentType);
      const receipts = adapter.parseReceipts({ id: 'whk_1', providerId: 'p1', kind: 'status', url: cb.url, headers: cb.headers, body: cb.body, receivedAt: Date.now() });
      assert.deepEqual(receipts.map((r) => [r.providerMessageId, r.status]), [[part, 'delivered']]);
      // The recipient, where the receipt names it, is the one sent to (it picks the region a receipt is stored in).
      if (receipts[0].to !== undefined) assert.equal(receipts[0].to, request().to);
      const failed = await h.statusCallback(part, 'undelivered');
      const [r] = adapter.parseReceipts({ id: 'whk_2', providerId: 'p1', kind: 'status', url: failed.url, headers: failed.headers, body: failed.body, receivedAt: Date.now() });
      assert.ok(r.status === 'undelivered' || r.status === 'failed', `${r.status}`);
      if (r.errorCode !== undefined) assert.ok(isMessageErrorCode(r.errorCode), r.errorCode);
    });

    if (h.deliverQuietly) {
      it('reports a part\'s current status when asked (the provider has a status API)', async () => {
        assert.ok(adapter.fetchStatus, 'a provider with a status API offers fetchStatus');
        const out = await adapter.send(request(), signal());
        assert.ok(out.ok);
        const part = out.parts[0].providerMessageId;
        await h.deliverQuietly!(part);
        const receipts = await adapter.fetchStatus(out.parts.map((p) => p.providerMessageId).concat('SMnotaknownmessage'), signal());
        assert.deepEqual(receipts.map((r) => [r.providerMessageId, r.status]), [[part, 'delivered']], 'an unknown id yields nothing');
      });
    } else {
      it('offers no fetchStatus (the provider has no status API), so reconciliation does not assume one', () => {
        assert.equal(adapter.fetchStatus, undefined);
      });
    }
  });
}
