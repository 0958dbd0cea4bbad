// Opt-outs and opt-ins made by staff (API, dashboard, CLI, apply, import), as consent
// records (domain/consent.ts): the scope from what is named (a topic, else a sender, else
// the whole account), the record's id made here; and the proof file of one recipient's
// consent (JSON or CSV).
import type { ConsentLedger, InboundRow, RecordStore, WebhookLog, WebhookRow } from '../store/store.ts';
import { csvRows, parseCsv } from '../domain/csv.ts';
import type { Caller, Intake } from '../intake/accept-message.ts';
import { newId } from '../domain/ids.ts';
import { requirePhone, optOutSender } from '../domain/phone.ts';
import { presentConsent, scopeOf, topicOf, type ConsentAction, type ConsentSource } from '../domain/consent.ts';

export interface ConsentInput { number: string; sender?: string | null; topic?: string | null }

/** Records an opt-out or opt-in of one scope; answers the record's id, scope and how many opt-outs it added or removed. */
export async function changeConsent(store: Pick<ConsentLedger, 'recordConsent'>, accountId: string, action: ConsentAction, input: ConsentInput, source: ConsentSource) {
  const number = requirePhone(input.number, 'number');
  const topic = topicOf(input.topic);
  // A topic's opt-out is of the whole account's messages about it.
  const sender = topic === '' ? optOutSender(input.sender) : '';
  const scope = scopeOf({ sender, topic });
  const id = newId('cns');
  const changed = await store.recordConsent({ id, account_id: accountId, number, action, scope, sender, topic, source, inbound_id: null, inbound_text: null, created_at: Date.now() });
  return { id, number, scope, sender, topic, changed };
}

/**
 * The proof of a recipient's consent in one account: every record, oldest first, each
 * with the inbound text behind it as stored (id, numbers, words, when, through which
 * provider), and the opt-outs in force now.
 */
export async function consentProof(store: Pick<ConsentLedger, 'listConsent'> & Pick<RecordStore, 'listOptOuts'> & Pick<WebhookLog, 'getInbound' | 'getWebhook'>, accountId: string, number: string) {
  const [records, optOuts] = await Promise.all([store.listConsent(accountId, number), store.listOptOuts(accountId, number)]);
  const texts = new Map<string, InboundRow | undefined>();
  const raw = new Map<string, WebhookRow | undefined>();
  for (const r of records) {
    if (!r.inbound_id || texts.has(r.inbound_id)) continue;
    const m = await store.getInbound(accountId, r.inbound_id);
    texts.set(r.inbound_id, m);
    // The provider's webhook as it was received (kept until retention removes it).
    if (m && !raw.has(m.webhook_id)) raw.set(m.webhook_id, await store.getWebhook(m.webhook_id));
  }
  return {
    number, account_id: accountId, generated_at: new Date().toISOString(),
    opted_out: optOuts.map((o) => ({ sender: o.sender === '' ? null : o.sender, topic: o.topic === '' ? null : o.topic, source: o.source, since: new Date(Number(o.created_at)).toISOString() })),
    records: records.map((r) => {
      const m = r.inbound_id ? texts.get(r.inbound_id) : undefined;
      return {
        ...presentConsent(r),
        inbound: m ? {
          id: m.id, from: m.from_number, to: m.to_number, body: m.body, received_at: new Date(Number(m.received_at)).toISOString(), provider: m.provider_id, provider_message_id: m.provider_message_id, webhook_id: m.webhook_id,
          raw_webhook: rawOf(raw.get(m.webhook_id)),
        } : null,
      };
    }),
  };
}

/** A stored webhook as the proof shows it: what the provider posted, when, to which URL. */
function rawOf(w: WebhookRow | undefined) {
  return w ? { received_at: new Date(Number(w.received_at)).toISOString(), url: w.url, content_type: (JSON.parse(w.headers) as Record<string, string>)['content-type'] ?? null, body: w.body } : null;
}

const CSV_HEADER = ['record_id', 'created_at', 'action', 'scope', 'sender', 'topic', 'source', 'actor_kind', 'actor_id', 'actor_name', 'inbound_id', 'inbound_text', 'message_id', 'inbound_from', 'inbound_to', 'inbound_received_at', 'inbound_provider', 'inbound_provider_message_id'];

/** The proof as CSV, a row per record (cells neutralised for spreadsheets: domain/csv.ts). */
export function consentProofCsv(proof: Awaited<ReturnType<typeof consentProof>>): string {
  return csvRows([CSV_HEADER, ...proof.records.map((r) => [
    r.id, r.created_at, r.action, r.scope, r.sender, r.topic, r.source, r.actor.kind, r.actor.id, r.actor.name, r.inbound_id, r.inbound?.body ?? r.inbound_text, r.message_id,
    r.inbound?.from, r.inbound?.to, r.inbound?.received_at, r.inbound?.provider, r.inbound?.provider_message_id,
  ])]);
}

export interface ConsentImport { rows: { line: number; action: ConsentAction; input: ConsentInput }[]; problems: string[] }

/**
 * A consent list from another system (CSV with a header): `number`, and optionally
 * `action` (opt_out, the default, or opt_in), `sender`, `topic`. Every row is checked
 * before anything is written. A cell a spreadsheet-safe export prefixed with `'` is read
 * without it.
 */
export function readConsentCsv(text: string): ConsentImport {
  const [header = [], ...lines] = parseCsv(text);
  const col = (name: string) => header.findIndex((h) => h.trim().toLowerCase() === name);
  const at = { number: col('number'), action: col('action'), sender: col('sender'), topic: col('topic') };
  if (at.number < 0) return { rows: [], problems: ['the header names no number column'] };
  const rows: ConsentImport['rows'] = [];
  const problems: string[] = [];
  lines.forEach((r, i) => {
    const line = i + 2;
    const cell = (k: number) => (k >= 0 ? (r[k] ?? '').trim().replace(/^'/, '') : '');
    const action = cell(at.action) || 'opt_out';
    if (action !== 'opt_out' && action !== 'opt_in') { problems.push(`line ${line}: action ${JSON.stringify(action)} is neither opt_out nor opt_in`); return; }
    const input = { number: cell(at.number), sender: cell(at.sender) || null, topic: cell(at.topic) || null };
    try {
      requirePhone(input.number, 'number');
      topicOf(input.topic);
      optOutSender(input.sender);
    } catch (err) {
      problems.push(`line ${line}: ${(err as Error).message}`);
      return;
    }
    rows.push({ line, action, input });
  });
  return { rows, problems };
}

/**
 * Double opt-in: texts the recipient a request to reply with a START keyword (YES when it
 * is one) and records the request; their reply within the window opts them in of the
 * request's scope (optout/inbound.ts). The request is an ordinary transactional send:
 * a recipient opted out of the whole account is not asked.
 */
export async function requestConfirmation(
  store: Pick<ConsentLedger, 'recordConsent'>, intake: Pick<Intake, 'accept'>, caller: Caller, startKeywords: readonly string[],
  input: { number: string; topic?: string; from?: string; body?: string }, source: ConsentSource,
) {
  const number = requirePhone(input.number, 'number');
  const topic = topicOf(input.topic);
  const yes = startKeywords.includes('YES') ? 'YES' : startKeywords[0] ?? 'START';
  const body = input.body ?? `Reply ${yes} to confirm you want ${topic ? `${topic} messages` : 'our messages'} at this number. Reply STOP to opt out.`;
  // Never to someone who opted out of everything, even where the account lets transactional
  // messages past (only they may opt back in, by texting START); one who opted out of the
  // topic alone may be asked to confirm it.
  const { message } = await intake.accept({ to: number, body, ...(input.from ? { from: input.from } : {}), category: 'transactional' }, caller, undefined, { allOptOuts: true });
  const id = newId('cns');
  await store.recordConsent({ id, account_id: caller.accountId, number, action: 'confirm_request', scope: topic ? 'topic' : 'account', sender: '', topic, source, inbound_id: null, inbound_text: null, message_id: message.id, created_at: Date.now() });
  return { id, message };
}
