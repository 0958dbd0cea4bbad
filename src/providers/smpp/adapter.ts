// SMPP 3.4 to a carrier or aggregator (domain.md §6): Switchboard binds as an ESME. One
// provider record per carrier connection; `binds` sessions (transceiver), kept up by
// session.ts. A message goes out as one submit_sm per part, split exactly as our segment
// count says (GSM-7 → data_coding 0, UCS-2 → 8), concatenated by UDH (8-bit reference),
// SAR TLVs, or sent whole in message_payload for the SMSC to split; every part's
// message_id is recorded. deliver_sm PDUs — delivery receipts (esm_class 0x04) and
// inbound texts — are stored as raw webhooks before they are acknowledged, then parsed by
// the same pure functions as any provider's (receipts.ts), so they replay like webhooks.
// Nothing reaches an SMPP provider over HTTP: its webhook URLs refuse every request.
//
// Config: { host, port, system_id, password_env, tls?, ca_file?, system_type?, binds? (1),
//   bind_mode?: transceiver|transmitter_receiver (transceiver),
//   window? (10 outstanding submit_sm per bind), submits_per_second? (per bind, 0 = no pace),
//   enquire_link_seconds? (30), long_messages?: udh|sar|payload (udh),
//   source_ton?, source_npi?, dest_ton? (1), dest_npi? (1), receipt_ids?: same|hex|decimal,
//   from? }
import { randomBytes } from 'node:crypto';
import type { PDU } from 'smpp';
import type { AdapterContext, InboundMessage, ProviderAdapter, ProviderModule, RawWebhook, Receipt, SendOutcome, SendRequest, WebhookRequest } from '../provider.ts';
import { encodeGsm7, encodeUcs2, splitSegments } from '../../domain/encoding.ts';
import { addressOf, e164, readShortMessage, relativeValidity } from '../../domain/smpp.ts';
import { classifySmpp } from './errors.ts';
import { canonicalId, smppInbound, smppReceipts, type ReceiptIdBase, type StoredDeliverSm } from './receipts.ts';
import { SmppBind } from './session.ts';

interface SmppConfig {
  host: string; port: number; system_id: string; password_env: string; tls?: boolean; ca_file?: string; system_type?: string;
  binds?: number; window?: number; submits_per_second?: number; enquire_link_seconds?: number;
  long_messages?: 'udh' | 'sar' | 'payload'; source_ton?: number; source_npi?: number; dest_ton?: number; dest_npi?: number;
  receipt_ids?: ReceiptIdBase; bind_mode?: 'transceiver' | 'transmitter_receiver';
}

const int = (v: unknown, min: number, max: number) => v === undefined || (Number.isInteger(v) && (v as number) >= min && (v as number) <= max);

export function validateSmppConfig(c: Record<string, unknown>): string[] {
  const p: string[] = [];
  if (typeof c.host !== 'string' || c.host === '') p.push('config.host must be the SMSC host name or address');
  if (!Number.isInteger(c.port) || (c.port as number) < 1 || (c.port as number) > 65535) p.push('config.port must be the SMSC port (1-65535)');
  if (typeof c.system_id !== 'string' || c.system_id.length < 1 || c.system_id.length > 15) p.push('config.system_id must be 1-15 characters (SMPP limit)');
  if (typeof c.password_env !== 'string') p.push('config.password_env must name the environment variable holding the bind password');
  if (c.system_type !== undefined && (typeof c.system_type !== 'string' || c.system_type.length > 12)) p.push('config.system_type must be at most 12 characters');
  if (c.tls !== undefined && typeof c.tls !== 'boolean') p.push('config.tls must be true or false');
  if (c.ca_file !== undefined && typeof c.ca_file !== 'string') p.push('config.ca_file must be a path to a PEM file');
  if (!int(c.binds, 1, 16)) p.push('config.binds must be 1-16');
  if (!int(c.window, 1, 1000)) p.push('config.window must be 1-1000 outstanding submit_sm per bind');
  if (c.submits_per_second !== undefined && (typeof c.submits_per_second !== 'number' || c.submits_per_second < 0)) p.push('config.submits_per_second must be a number >= 0 (0 = no pace)');
  if (!int(c.enquire_link_seconds, 1, 3600)) p.push('config.enquire_link_seconds must be 1-3600');
  if (c.long_messages !== undefined && !['udh', 'sar', 'payload'].includes(c.long_messages as string)) p.push('config.long_messages must be udh, sar or payload');
  for (const k of ['source_ton', 'source_npi', 'dest_ton', 'dest_npi']) if (!int(c[k], 0, 255)) p.push(`config.${k} must be 0-255`);
  if (c.receipt_ids !== undefined && !['same', 'hex', 'decimal'].includes(c.receipt_ids as string)) p.push('config.receipt_ids must be same, hex or decimal');
  if (c.bind_mode !== undefined && !['transceiver', 'transmitter_receiver'].includes(c.bind_mode as string)) p.push('config.bind_mode must be transceiver or transmitter_receiver');
  return p;
}

export function createSmpp(ctx: AdapterContext): ProviderAdapter {
  const c = ctx.config as unknown as SmppConfig;
  const mode = c.long_messages ?? 'udh';
  const idBase = c.receipt_ids ?? 'same';

  // A deliver_sm is stored (raw, durable) before it is acknowledged.
  const onDeliver = async (pdu: PDU): Promise<void> => {
    const received_at = Date.now();
    let stored: StoredDeliverSm;
    if ((Number(pdu.esm_class ?? 0) & 0x3c) === 0x04) {
      const { text } = readShortMessage(pdu);
      stored = {
        type: 'receipt', text, received_at, ...(pdu.source_addr ? { source_addr: String(pdu.source_addr) } : {}),
        ...(pdu.receipted_message_id !== undefined ? { receipted_message_id: String(pdu.receipted_message_id).replace(/\0+$/, '') } : {}),
        ...(pdu.message_state !== undefined ? { message_state: Number(pdu.message_state) } : {}),
        ...(Buffer.isBuffer(pdu.network_error_code) ? { network_error_code: (pdu.network_error_code as Buffer).toString('hex') } : {}),
      };
    } else {
      const { text, concat } = readShortMessage(pdu);
      stored = {
        type: 'mo', id: `${c.system_id}-${received_at.toString(36)}-${randomBytes(4).toString('hex')}`, received_at,
        from: e164(String(pdu.source_addr ?? ''), Number(pdu.source_addr_ton ?? 0)), to: e164(String(pdu.destination_addr ?? ''), Number(pdu.dest_addr_ton ?? 0)),
        text, ...(concat ? { concat } : {}),
      };
    }
    await ctx.emitWebhook({ kind: stored.type === 'receipt' ? 'status' : 'inbound', body: JSON.stringify(stored), headers: { 'content-type': 'application/json' } });
  };

  // transmitter_receiver: each bind is a transmitter (submits) and a receiver (deliver_sm).
  const modes: ('transceiver' | 'transmitter' | 'receiver')[] = c.bind_mode === 'transmitter_receiver' ? ['transmitter', 'receiver'] : ['transceiver'];
  const log = ctx.log ?? { warn: () => {}, info: () => {} };
  const open = (mode: 'transceiver' | 'transmitter' | 'receiver') => new SmppBind({
    mode, host: c.host, port: c.port, tls: c.tls === true, caFile: c.ca_file, systemId: c.system_id, password: () => ctx.secret(c.password_env) ?? '',
    systemType: c.system_type ?? '', window: c.window ?? 10, submitsPerSecond: c.submits_per_second ?? 0, enquireLinkSeconds: c.enquire_link_seconds ?? 30,
    onDeliver, log, onRefused: (refused, detail) => ctx.accountState?.(refused, detail),
  });
  // Each of `binds` slots holds its sessions (one, or a transmitter and a receiver). With
  // shared leases (Redis) a slot is open in one process at a time, so `binds` counts
  // every process's sessions together; without, every process opens every slot.
  const slots: (SmppBind[] | null)[] = Array.from({ length: c.binds ?? 1 }, () => null);
  /** texts refused part way, by message id: their parts and those the SMSC accepted (this process; oldest first) */
  const partial = new Map<string, { pdus: Record<string, unknown>[]; sent: { index: number; providerMessageId: string }[]; at: number }>();
  let keeper: NodeJS.Timeout | null = null;
  let closed = false;
  const leaseName = (i: number) => `${ctx.providerId}:session:${i}`;
  const keep = async (): Promise<void> => {
    for (let i = 0; i < slots.length && !closed; i++) {
      let held = true;
      if (ctx.leases) {
        try { held = await ctx.leases.acquire(leaseName(i), ctx.leases.ttlMs); } catch {
          held = slots[i] !== null; // Redis unreachable: keep what is open, open nothing new
        }
      }
      if (closed) return;
      if (held && !slots[i]) { slots[i] = modes.map(open); for (const b of slots[i]!) b.start(); }
      if (!held && slots[i]) { const gone = slots[i]!; slots[i] = null; log.info({ slot: i + 1 }, 'session lease held by another process: closing this one'); await Promise.all(gone.map((b) => b.close())); }
    }
  };
  const all = () => slots.flatMap((s) => s ?? []);
  const binds = () => all().filter((b) => b.mode !== 'receiver');
  let next = 0;
  const pick = (): SmppBind | undefined => {
    const list = binds();
    for (let i = 0; i < list.length; i++) {
      const b = list[(next + i) % list.length];
      if (b.state === 'bound') { next = (next + i + 1) % list.length; return b; }
    }
    return undefined;
  };

  function submits(req: SendRequest): Record<string, unknown>[] {
    const src = addressOf(req.from, c.source_ton, c.source_npi);
    const dst = addressOf(req.to, c.dest_ton ?? 1, c.dest_npi ?? 1);
    const dataCoding = req.encoding === 'UCS-2' ? 8 : 0;
    const encode = (t: string) => (dataCoding === 8 ? encodeUcs2(t) : encodeGsm7(t));
    const base = {
      source_addr_ton: src.ton, source_addr_npi: src.npi, source_addr: src.addr,
      dest_addr_ton: dst.ton, dest_addr_npi: dst.npi, destination_addr: dst.addr,
      registered_delivery: 1, data_coding: dataCoding,
      ...(req.validitySeconds ? { validity_period: relativeValidity(req.validitySeconds) } : {}),
    };
    const parts = splitSegments(req.body);
    if (parts.length === 1) return [{ ...base, short_message: encode(req.body) }];
    if (mode === 'payload') return [{ ...base, short_message: Buffer.alloc(0), message_payload: encode(req.body) }];
    const ref = randomBytes(2).readUInt16BE(0);
    return parts.map((text, i) => mode === 'sar'
      ? { ...base, short_message: encode(text), sar_msg_ref_num: ref, sar_total_segments: parts.length, sar_segment_seqnum: i + 1 }
      : { ...base, esm_class: 0x40, short_message: Buffer.concat([Buffer.from([0x05, 0x00, 0x03, ref & 0xff, parts.length, i + 1]), encode(text)]) });
  }

  return {
    kind: 'smpp',

    // No bind up (the SMSC is away, or another process holds the session): messages wait for one.
    ready: () => binds().some((b) => b.state === 'bound'),

    async send(req: SendRequest, signal: AbortSignal): Promise<SendOutcome> {
      const bind = pick() ?? (binds().length ? await Promise.race(binds().map(async (b) => ((await b.waitBound(1_000)) ? b : undefined))) : undefined) ?? pick();
      if (!bind) {
        const why = binds().map((b) => b.reason).join('; ') || 'no session open in this process';
        return { ok: false, error: { kind: 'transient', code: 'network_error', providerCode: 'unbound', message: `no SMPP bind is up (${why})` } };
      }
      // A text refused part way is sent again from its first part not yet accepted, with the
      // same parts (the same concatenation reference), so the handset joins one message.
      const earlier = partial.get(req.messageId);
      const pdus = earlier?.pdus ?? submits(req);
      const sent = [...(earlier?.sent ?? [])];
      partial.delete(req.messageId);
      const remember = () => {
        if (sent.length === 0) return;
        partial.set(req.messageId, { pdus, sent, at: Date.now() });
        for (const [id, p] of partial) if (partial.size > PARTIAL_MAX || Date.now() - p.at > PARTIAL_TTL_MS) partial.delete(id); else break;
      };
      for (const [index, fields] of pdus.entries()) {
        if (sent.some((x) => x.index === index)) continue;
        let resp: PDU;
        try {
          resp = await bind.submit(fields, signal);
        } catch (err) {
          const e = err as { name?: string; message?: string; code?: string };
          if (e.name === 'TimeoutError' || e.name === 'AbortError') { remember(); throw err; } // the worker's timeout, as for every adapter
          remember();
          return { ok: false, error: { kind: 'transient', code: 'network_error', providerCode: e.code, message: e.message ?? String(err) } };
        }
        if (resp.command_status !== 0) {
          const { kind, code, name, known } = classifySmpp(resp.command_status);
          if (kind === 'throttled') bind.stats.throttled++;
          const already = sent.length > 0 ? ` after ${sent.length} of ${pdus.length} parts were accepted (a retry here sends only the rest)` : '';
          remember();
          return { ok: false, error: { kind, code, providerCode: name, message: `the SMSC refused submit_sm: ${name}${already}`, ...(kind === 'throttled' ? { retryAfterMs: 1_000 } : {}), ...(known ? {} : { unmapped: true }) } };
        }
        sent.push({ index, providerMessageId: canonicalId(String(resp.message_id ?? '').replace(/\0+$/, '')) });
      }
      return { ok: true, parts: sent.sort((a, b) => a.index - b.index), segments: req.segments };
    },

    // deliver_sm PDUs come over the bind and are stored by the adapter itself: an HTTP
    // request to this provider's webhook URL is never genuine.
    async verify(_req: WebhookRequest): Promise<boolean> { return false; },

    parseReceipts(raw: RawWebhook): Receipt[] { return smppReceipts(raw.body, idBase); },
    parseInbound(raw: RawWebhook): InboundMessage[] { return smppInbound(raw.body); },

    async start(): Promise<void> {
      await keep();
      const every = ctx.leases ? ctx.leases.ttlMs / 3 : 0;
      if (every > 0) { keeper = setInterval(() => void keep(), every); keeper.unref(); }
    },

    sessionStats: () => slots.flatMap((s, i) => (s ?? []).map((b) => ({
      session: modes.length > 1 ? `${i + 1}${b.mode === 'receiver' ? 'rx' : 'tx'}` : String(i + 1), up: b.state === 'bound', state: b.reason, inflight: b.inflight,
      submitted: b.stats.submitted, throttled: b.stats.throttled, latencyMsTotal: b.stats.latencyMsTotal,
    }))),

    async close(): Promise<void> {
      closed = true;
      if (keeper) clearInterval(keeper);
      await Promise.all(all().map((b) => b.close()));
      if (ctx.leases) await Promise.all(slots.map((s, i) => (s ? ctx.leases!.release(leaseName(i)) : undefined)));
    },
  };
}

// How many texts refused part way are remembered, and for how long (a retry comes within seconds or minutes).
const PARTIAL_MAX = 10_000;
const PARTIAL_TTL_MS = 3_600_000;

export const smppModule: ProviderModule = { kind: 'smpp', validate: validateSmppConfig, create: createSmpp, identifierKeys: ['system_id'], httpWebhooks: false };
