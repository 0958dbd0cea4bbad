// Every provider kind Switchboard knows, registered from this one list. Adding a kind:
// a folder providers/<kind>/ exporting its ProviderModule, one line here, a loopback
// fake in test/fakes/, and one line in the adapter contract suite.
import type { ProviderModule } from './provider.ts';
import { simulator } from './simulator/adapter.ts';
import { twilio } from './twilio/adapter.ts';
import { vonage } from './vonage/adapter.ts';
import { sinch } from './sinch/adapter.ts';
import { aws } from './aws/adapter.ts';
import { smppModule } from './smpp/adapter.ts';

export const PROVIDER_MODULES: readonly ProviderModule[] = [simulator, twilio, vonage, sinch, aws, smppModule];

export function providerModule(kind: string): ProviderModule | undefined {
  return PROVIDER_MODULES.find((m) => m.kind === kind);
}

export const PROVIDER_KINDS: readonly string[] = PROVIDER_MODULES.map((m) => m.kind);
