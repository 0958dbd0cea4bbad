// What happens to an inbound text, in order: compliance keywords first (STOP, START,
// HELP: never forwarded anywhere), then masking proxies (a text to a proxy number goes
// to the other party), then relay rules (a text to a business number is forwarded along
// its chain). Each step takes the texts and returns those it left for the next.
import type { InboundRow } from '../store/store.ts';

export interface InboundStep { handle(rows: InboundRow[]): Promise<InboundRow[]> }

export function inboundInOrder(steps: { optOuts: InboundStep; masks: InboundStep; relays: InboundStep }): (rows: InboundRow[]) => Promise<void> {
  const order = [steps.optOuts, steps.masks, steps.relays];
  return async (rows) => {
    let left = rows;
    for (const step of order) {
      if (left.length === 0) return;
      left = await step.handle(left);
    }
  };
}
