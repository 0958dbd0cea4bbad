// Which region a raw webhook is stored in (domain/regions.ts), decided before it is
// written: an inbound text by the region of the number it was sent to; a receipt by the
// region of the message it is about (found by the provider's id for it), or, before its
// send's outcome is recorded (a receipt may overtake it), by its recipient's number where
// the receipt names it, else by its message once found (asked again for up to 175 ms).
// One found by neither, or a body no parser reads, goes to the fallback region; the processor still applies a receipt in whichever region holds its
// message (store/regional/message-routes.ts applyReceipts).
import { setTimeout as sleep } from 'node:timers/promises';
import type { Store } from '../store/store.ts';
import type { ProviderRegistry } from '../providers/registry.ts';
import type { LocateWebhook } from './ingest.ts';

export function webhookRegion(store: Pick<Store, 'regions' | 'messageOfProvider'>, registry: Pick<ProviderRegistry, 'get'>): LocateWebhook | undefined {
  const regions = store.regions;
  if (!regions) return undefined;
  return async (w) => {
    const adapter = registry.get(w.providerId)?.adapter;
    const raw = { id: '', providerId: w.providerId, kind: w.kind, url: w.url, headers: w.headers, body: w.body, receivedAt: Date.now() };
    try {
      if (adapter && w.kind === 'inbound') {
        const text = adapter.parseInbound(raw)[0];
        if (text) return regions.ofNumber(text.to).index;
      } else if (adapter) {
        const receipts = adapter.parseReceipts(raw);
        const to = receipts.find((r) => r.to)?.to;
        // Not recorded yet (a receipt may overtake its send's outcome): its recipient's
        // region, or, where the receipt names none, the message's once its outcome is
        // committed (a few group-commit windows).
        for (const wait of to ? [0] : [0, 25, 50, 100]) {
          if (wait) await sleep(wait);
          for (const r of receipts) {
            const id = await store.messageOfProvider(w.providerId, r.providerMessageId);
            if (id) return regions.ofId(id).index;
          }
        }
        if (to) return regions.ofNumber(to).index;
      }
    } catch {
      // unparseable: stored as it came, where nothing else points; the processor says why
    }
    return regions.map.fallback;
  };
}
