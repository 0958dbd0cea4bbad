// What happens to an inbound text, in order: compliance keywords first (STOP, START,
// HELP: never forwarded anywhere), then every text is posted to its number's inbound
// webhook (a keyword's effect already in place), then masking proxies (a text to a proxy
// number goes to the other party), then relay rules (a text to a business number is
// forwarded along its chain). Each step takes the texts and returns those it left for the next.
import type { InboundRow } from '../store/store.ts';

export interface InboundStep { handle(rows: InboundRow[]): Promise<InboundRow[]> }

export function inboundInOrder(steps: { optOuts: InboundStep; announce: (rows: InboundRow[]) => Promise<void>; masks: InboundStep; relays: InboundStep }): (rows: InboundRow[]) => Promise<void> {
  const order = [steps.masks, steps.relays];
  return async (rows) => {
    let left = await steps.optOuts.handle(rows);
    await steps.announce(rows);
    for (const step of order) {
      if (left.length === 0) return;
      left = await step.handle(left);
    }
  };
}
