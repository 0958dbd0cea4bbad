// What an adapter can do beyond its core (provider.ts), discovered once when the
// registry builds it. A capability counts only when every one of its methods is there:
// an adapter with three of the four provisioning methods provisions nothing, and
// `partial` names what it lacks (the registry logs it; the adapter suite fails on it).
import type { CarrierLookup, NumberProvisioning, ProviderAdapter, SendLookup, Sessions, StatusLookup } from './provider.ts';

export interface Capabilities {
  status: StatusLookup | null;
  sent: SendLookup | null;
  numbers: NumberProvisioning | null;
  sessions: Sessions | null;
  lookup: CarrierLookup | null;
}

const METHODS = {
  status: ['fetchStatus'],
  sent: ['findSent'],
  numbers: ['searchNumbers', 'buyNumber', 'ownedNumber', 'updateNumberHooks'],
  sessions: ['start', 'ready', 'sessionStats'],
  lookup: ['lookupNumber'],
} as const satisfies Record<keyof Capabilities, readonly (keyof ProviderAdapter)[]>;

const has = (a: ProviderAdapter, m: keyof ProviderAdapter) => typeof a[m] === 'function';

export function capabilities(adapter: ProviderAdapter): Capabilities {
  const whole = (c: keyof Capabilities) => METHODS[c].every((m) => has(adapter, m));
  // Each is the adapter itself, seen through the capability's interface (its methods keep their `this`).
  return {
    status: whole('status') ? adapter as StatusLookup : null,
    sent: whole('sent') ? adapter as SendLookup : null,
    numbers: whole('numbers') ? adapter as NumberProvisioning : null,
    sessions: whole('sessions') ? adapter as Sessions : null,
    lookup: whole('lookup') ? adapter as CarrierLookup : null,
  };
}

/** Capabilities an adapter implements only in part, with the methods it lacks. */
export function partial(adapter: ProviderAdapter): string[] {
  return (Object.keys(METHODS) as (keyof Capabilities)[]).flatMap((c) => {
    const missing = METHODS[c].filter((m) => !has(adapter, m));
    return missing.length > 0 && missing.length < METHODS[c].length ? [`${c}: lacks ${missing.join(', ')}`] : [];
  });
}
